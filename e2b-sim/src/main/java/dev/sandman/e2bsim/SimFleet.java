package dev.sandman.e2bsim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The simulated E2B's sandboxes and what its API does to them: create, describe, list, pause,
 * connect, set timeout, kill, and expiry (kill or auto-pause at the end time, applied lazily).
 */
final class SimFleet {
  private final E2bSimulator.Options options;
  private final ObjectMapper json;
  private final Map<String, SimSandbox> sandboxes = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final Object lock = new Object();
  /** No running sandbox ends before this (guarded by lock). */
  private Instant nextExpiry = Instant.MIN;

  SimFleet(E2bSimulator.Options options, ObjectMapper json) {
    this.options = options;
    this.json = json;
  }

  /** The sandbox's state as E2B reports it ("running", "paused"), or null when it does not exist. */
  String stateOf(String sandboxId) {
    synchronized (lock) {
      expire(now());
      SimSandbox sandbox = sandboxes.get(sandboxId);
      return sandbox == null ? null : sandbox.apiState();
    }
  }

  Instant endAtOf(String sandboxId) {
    synchronized (lock) {
      SimSandbox sandbox = sandboxes.get(sandboxId);
      return sandbox == null ? null : sandbox.endAt;
    }
  }

  /** Creates a sandbox directly (as if an app had called E2B), returning its id. */
  String createSandbox(String template, Duration timeout, boolean autoPause, Map<String, String> metadata) {
    synchronized (lock) {
      Instant now = now();
      SimSandbox sandbox = newSandbox(template, autoPause, metadata, now, now.plus(timeout));
      return sandbox.sandboxId;
    }
  }

  /** Told of each lifecycle change, as E2B's webhooks tell: created, paused, resumed, killed. */
  interface Lifecycle {
    void changed(String type, SimSandbox sandbox);
  }

  private volatile Lifecycle lifecycle = (type, sandbox) -> {};

  void onLifecycle(Lifecycle listener) {
    this.lifecycle = listener;
  }

  /** Removes a sandbox behind everyone's back (E2B lost it). */
  void vanish(String sandboxId) {
    sandboxes.remove(sandboxId);
  }

  /** Pauses a sandbox as E2B's own timeout would. */
  void autoPauseNow(String sandboxId) {
    synchronized (lock) {
      SimSandbox sandbox = sandboxes.get(sandboxId);
      if (sandbox != null) {
        sandbox.phase = SimSandbox.Phase.PAUSED;
        lifecycle.changed("paused", sandbox);
      }
    }
  }

  int size() {
    return sandboxes.size();
  }

  SimAnswer create(byte[] body) {
    JsonNode request = parse(body);
    if (request == null || !request.isObject()) {
      return SimAnswer.error(400, "Invalid request body");
    }
    JsonNode template = request.get("templateID");
    if (template == null || !template.isTextual() || template.asText().isBlank()) {
      return SimAnswer.error(400, "templateID is required");
    }
    long timeout = request.has("timeout") ? request.get("timeout").asLong(-1) : 15;
    if (timeout < 0 || !request.path("timeout").isMissingNode() && !request.get("timeout").isIntegralNumber()) {
      return SimAnswer.error(400, "timeout must be a non-negative integer");
    }
    if (Duration.ofSeconds(timeout).compareTo(options.maxRunningLength()) > 0) {
      return SimAnswer.error(400, "Timeout exceeds the maximum allowed (" + options.maxRunningLength().toHours() + "h)");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    if (request.has("metadata")) {
      if (!request.get("metadata").isObject()) {
        return SimAnswer.error(400, "metadata must be an object of strings");
      }
      request.get("metadata").fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
    }
    boolean autoPause = request.path("autoPause").asBoolean(false);
    synchronized (lock) {
      Instant now = now();
      SimSandbox sandbox = newSandbox(template.asText(), autoPause, metadata, now, now.plusSeconds(timeout));
      return SimAnswer.of(201, sandboxJson(sandbox, Shape.SANDBOX));
    }
  }

  private SimSandbox newSandbox(String template, boolean autoPause, Map<String, String> metadata, Instant now, Instant endAt) {
    String id = "sim" + Long.toString(ids.incrementAndGet(), 36) + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    SimSandbox sandbox =
        new SimSandbox(id, template, template, options.defaultCpuCount(), options.defaultMemoryMb(), autoPause,
            metadata == null ? Map.of() : Map.copyOf(metadata), now, endAt);
    sandboxes.put(id, sandbox);
    endsAt(endAt);
    lifecycle.changed("created", sandbox);
    return sandbox;
  }

  SimAnswer get(String sandboxId) {
    synchronized (lock) {
      expire(now());
      SimSandbox sandbox = sandboxes.get(sandboxId);
      return sandbox == null ? notFound(sandboxId) : SimAnswer.of(200, sandboxJson(sandbox, Shape.DETAIL));
    }
  }

  SimAnswer list(Map<String, String> query, boolean runningOnly) {
    Set<String> states = runningOnly ? Set.of("running") : Set.of("running", "paused");
    if (query.containsKey("state")) {
      states = Set.of(query.get("state").split(","));
      for (String state : states) {
        if (!state.equals("running") && !state.equals("paused")) {
          return SimAnswer.error(400, "Invalid state: " + state);
        }
      }
    }
    Map<String, String> wanted = new HashMap<>();
    if (query.containsKey("metadata")) {
      for (String pair : query.get("metadata").split("&")) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          return SimAnswer.error(400, "Invalid metadata query: " + pair);
        }
        wanted.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
      }
    }
    int limit = 100;
    if (query.containsKey("limit")) {
      try {
        limit = Integer.parseInt(query.get("limit"));
      } catch (NumberFormatException e) {
        return SimAnswer.error(400, "limit must be an integer");
      }
      if (limit < 1 || limit > 100) {
        return SimAnswer.error(400, "limit must be between 1 and 100");
      }
    }
    int offset = 0;
    if (query.containsKey("nextToken")) {
      try {
        offset = Integer.parseInt(new String(Base64.getUrlDecoder().decode(query.get("nextToken")), StandardCharsets.UTF_8));
      } catch (RuntimeException e) {
        return SimAnswer.error(400, "Invalid next token");
      }
    }
    List<SimSandbox> matching = new ArrayList<>();
    synchronized (lock) {
      expire(now());
      for (SimSandbox sandbox : sandboxes.values()) {
        if (states.contains(sandbox.apiState()) && sandbox.metadata.entrySet().containsAll(wanted.entrySet())) {
          matching.add(sandbox);
        }
      }
    }
    matching.sort(Comparator.comparing((SimSandbox s) -> s.createdAt).reversed().thenComparing(s -> s.sandboxId));
    ArrayNode items = json.createArrayNode();
    int end = Math.min(matching.size(), offset + limit);
    for (int i = offset; i < end; i++) {
      items.add(sandboxJson(matching.get(i), Shape.LISTED));
    }
    Map<String, String> headers = new HashMap<>();
    if (!runningOnly && end < matching.size()) {
      headers.put("X-Next-Token", Base64.getUrlEncoder().encodeToString(Integer.toString(end).getBytes(StandardCharsets.UTF_8)));
    }
    return new SimAnswer(200, items, headers);
  }

  /** Sets the CPU use a sandbox's metrics report; false if there is no such sandbox. */
  boolean setCpu(String sandboxId, double percent) {
    synchronized (lock) {
      SimSandbox sandbox = sandboxes.get(sandboxId);
      if (sandbox != null) {
        sandbox.cpuPercent = percent;
      }
      return sandbox != null;
    }
  }

  /**
   * {@code GET /sandboxes/{id}/metrics?start=&end=}: a sample every {@value #METRICS_EVERY_SECONDS} s of the
   * window while the sandbox ran (none while paused), at the CPU use set for it.
   */
  SimAnswer metrics(String sandboxId, Map<String, String> query) {
    long start;
    long end;
    try {
      start = Long.parseLong(query.getOrDefault("start", "0"));
      end = Long.parseLong(query.getOrDefault("end", Long.toString(now().getEpochSecond())));
    } catch (NumberFormatException e) {
      return SimAnswer.error(400, "start and end must be Unix seconds");
    }
    if (start < 0 || end < start) {
      return SimAnswer.error(400, "invalid interval");
    }
    synchronized (lock) {
      expire(now());
      SimSandbox sandbox = sandboxes.get(sandboxId);
      if (sandbox == null) {
        return notFound(sandboxId);
      }
      ArrayNode samples = json.createArrayNode();
      if (sandbox.phase == SimSandbox.Phase.RUNNING) {
        long from = Math.max(start, sandbox.startedAt.getEpochSecond());
        long to = Math.min(end, now().getEpochSecond());
        for (long t = to; t >= from && samples.size() < 1000; t -= METRICS_EVERY_SECONDS) {
          ObjectNode sample = samples.insertObject(0);
          sample.put("timestamp", Instant.ofEpochSecond(t).toString());
          sample.put("timestampUnix", t);
          sample.put("cpuCount", sandbox.cpuCount);
          sample.put("cpuUsedPct", sandbox.cpuPercent);
          sample.put("memUsed", sandbox.memoryMb * 1024L * 1024 / 4);
          sample.put("memTotal", sandbox.memoryMb * 1024L * 1024);
          sample.put("memCache", 0);
          sample.put("diskUsed", 100L * 1024 * 1024);
          sample.put("diskTotal", 1024L * 1024 * 1024);
        }
      }
      return SimAnswer.of(200, samples);
    }
  }

  static final int METRICS_EVERY_SECONDS = 5;

  SimAnswer kill(String sandboxId) {
    synchronized (lock) {
      expire(now());
      SimSandbox gone = sandboxes.remove(sandboxId);
      if (gone == null) {
        return notFound(sandboxId);
      }
      lifecycle.changed("killed", gone);
      return SimAnswer.of(204, null);
    }
  }

  SimAnswer pause(String sandboxId) throws InterruptedException {
    SimSandbox sandbox;
    long millis;
    synchronized (lock) {
      expire(now());
      sandbox = sandboxes.get(sandboxId);
      if (sandbox == null) {
        return notFound(sandboxId);
      }
      if (sandbox.phase != SimSandbox.Phase.RUNNING) {
        return SimAnswer.error(409, "Sandbox " + sandboxId + " is already paused");
      }
      sandbox.phase = SimSandbox.Phase.PAUSING;
      millis = options.pauseMillisPerGiB() * sandbox.memoryMb / 1024;
    }
    if (millis > 0) {
      Thread.sleep(millis); // the snapshot: E2B answers when it is done
    }
    synchronized (lock) {
      if (sandboxes.get(sandboxId) != sandbox) {
        return notFound(sandboxId); // killed while pausing
      }
      sandbox.phase = SimSandbox.Phase.PAUSED;
      lifecycle.changed("paused", sandbox);
      return SimAnswer.of(204, null);
    }
  }

  SimAnswer connect(String sandboxId, byte[] body, boolean isConnect) {
    JsonNode request = parse(body);
    if (isConnect && (request == null || !request.has("timeout"))) {
      return SimAnswer.error(400, "timeout is required");
    }
    long timeout = request == null ? 15 : request.path("timeout").asLong(15);
    if (timeout < 0 || request != null && request.has("timeout") && !request.get("timeout").isIntegralNumber()) {
      return SimAnswer.error(400, "timeout must be a non-negative integer");
    }
    if (Duration.ofSeconds(timeout).compareTo(options.maxRunningLength()) > 0) {
      return SimAnswer.error(400, "Timeout exceeds the maximum allowed (" + options.maxRunningLength().toHours() + "h)");
    }
    synchronized (lock) {
      Instant now = now();
      expire(now);
      SimSandbox sandbox = sandboxes.get(sandboxId);
      if (sandbox == null) {
        return SimAnswer.error(404, "Paused sandbox " + sandboxId + " not found");
      }
      switch (sandbox.phase) {
        case PAUSING:
          return SimAnswer.error(409, "Sandbox " + sandboxId + " is being paused");
        case RUNNING:
          if (!isConnect) {
            return SimAnswer.error(409, "Sandbox " + sandboxId + " is already running");
          }
          Instant wanted = now.plusSeconds(timeout);
          if (wanted.isAfter(sandbox.endAt)) {
            sandbox.endAt = wanted; // connect only extends
          }
          return SimAnswer.of(200, sandboxJson(sandbox, Shape.SANDBOX));
        default:
          sandbox.phase = SimSandbox.Phase.RUNNING;
          sandbox.startedAt = now;
          sandbox.endAt = now.plusSeconds(timeout);
          endsAt(sandbox.endAt);
          lifecycle.changed("resumed", sandbox);
          return SimAnswer.of(201, sandboxJson(sandbox, Shape.SANDBOX));
      }
    }
  }

  SimAnswer timeout(String sandboxId, byte[] body) {
    JsonNode request = parse(body);
    if (request == null || !request.has("timeout") || !request.get("timeout").isIntegralNumber()
        || request.get("timeout").asLong() < 0) {
      return SimAnswer.error(400, "timeout must be a non-negative integer");
    }
    synchronized (lock) {
      Instant now = now();
      expire(now);
      SimSandbox sandbox = sandboxes.get(sandboxId);
      if (sandbox == null || sandbox.phase != SimSandbox.Phase.RUNNING) {
        return notFound(sandboxId);
      }
      Instant endAt = now.plusSeconds(request.get("timeout").asLong());
      if (endAt.isAfter(sandbox.startedAt.plus(options.maxRunningLength()))) {
        return SimAnswer.error(400, "Max instance length exceeded");
      }
      sandbox.endAt = endAt;
      endsAt(endAt);
      return SimAnswer.of(204, null);
    }
  }

  /** E2B's own timer: past its end time a sandbox is paused (autoPause) or killed. */
  private void expire(Instant now) {
    if (now.isBefore(nextExpiry)) {
      return; // no running sandbox reaches its end before then: nothing to scan (a scan per request is O(sandboxes))
    }
    Instant next = Instant.MAX;
    for (Iterator<SimSandbox> it = sandboxes.values().iterator(); it.hasNext(); ) {
      SimSandbox sandbox = it.next();
      if (sandbox.phase == SimSandbox.Phase.RUNNING && !now.isBefore(sandbox.endAt)) {
        if (sandbox.autoPause) {
          sandbox.phase = SimSandbox.Phase.PAUSED;
          lifecycle.changed("paused", sandbox);
        } else {
          it.remove();
          lifecycle.changed("killed", sandbox);
        }
      } else if (sandbox.phase == SimSandbox.Phase.RUNNING && sandbox.endAt.isBefore(next)) {
        next = sandbox.endAt;
      }
    }
    nextExpiry = next;
  }

  /** A running sandbox now ends at {@code endAt}: the next expiry scan is due no later than that (caller holds lock). */
  private void endsAt(Instant endAt) {
    if (endAt.isBefore(nextExpiry)) {
      nextExpiry = endAt;
    }
  }

  /** E2B's three answer shapes: Sandbox (create, connect), ListedSandbox (lists), SandboxDetail (get). */
  private enum Shape {
    SANDBOX,
    LISTED,
    DETAIL
  }

  private ObjectNode sandboxJson(SimSandbox sandbox, Shape shape) {
    ObjectNode node = json.createObjectNode();
    node.put("templateID", sandbox.templateId);
    node.put("alias", sandbox.alias);
    node.put("sandboxID", sandbox.sandboxId);
    node.put("clientID", sandbox.clientId);
    node.put("envdVersion", "0.2.0");
    if (shape != Shape.LISTED) {
      node.put("envdAccessToken", sandbox.envdAccessToken);
      node.put("domain", "sim.local");
    }
    if (shape != Shape.SANDBOX) {
      node.put("startedAt", sandbox.startedAt.toString());
      node.put("endAt", sandbox.endAt.toString());
      node.put("cpuCount", sandbox.cpuCount);
      node.put("memoryMB", sandbox.memoryMb);
      node.put("diskSizeMB", 1024);
      node.put("state", sandbox.apiState());
      node.set("metadata", json.valueToTree(sandbox.metadata));
    }
    if (shape == Shape.DETAIL) {
      ObjectNode lifecycle = node.putObject("lifecycle");
      lifecycle.put("autoResume", false);
      lifecycle.put("onTimeout", sandbox.autoPause ? "pause" : "kill");
    }
    return node;
  }

  private SimAnswer notFound(String sandboxId) {
    return SimAnswer.error(404, "Sandbox " + sandboxId + " not found");
  }

  private JsonNode parse(byte[] body) {
    if (body == null || body.length == 0) {
      return null;
    }
    try {
      return json.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  private Instant now() {
    return Objects.requireNonNull(options.clock().get());
  }

  private static String decode(String value) {
    return URLDecoder.decode(value, StandardCharsets.UTF_8);
  }
}
