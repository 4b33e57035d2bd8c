package dev.sandman.e2bsim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local server speaking E2B's control-plane API (the paths, fields, status codes and
 * {@code {code, message}} errors of e2b-openapi.yml) for the calls Sandman and the official SDKs'
 * lifecycle methods make, behaving like E2B: end times with kill or auto-pause on expiry (applied
 * lazily against a pluggable clock, so it works under Temporal's time skipping), a cap on continuous
 * running time, pauses that take time in proportion to memory, 409 and 404 where E2B gives them.
 * Faults can be injected per operation, and every call is logged.
 */
public final class E2bSimulator implements AutoCloseable {
  static {
    // without it the JDK server waits on delayed ACKs (~40 ms per small answer)
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private static final Logger log = LoggerFactory.getLogger(E2bSimulator.class);
  private static final int MAX_BODY = 1 << 20;

  /** How the simulator behaves; {@link #defaults()} mimics E2B's Pro tier with fast pauses. */
  public record Options(
      Supplier<Instant> clock,
      String apiKey,
      Duration maxRunningLength,
      long pauseMillisPerGiB,
      int defaultCpuCount,
      int defaultMemoryMb) {
    public static Options defaults() {
      return new Options(Clock.systemUTC()::instant, null, Duration.ofHours(24), 100, 2, 512);
    }

    public Options withClock(Supplier<Instant> clock) {
      return new Options(clock, apiKey, maxRunningLength, pauseMillisPerGiB, defaultCpuCount, defaultMemoryMb);
    }

    public Options withApiKey(String key) {
      return new Options(clock, key, maxRunningLength, pauseMillisPerGiB, defaultCpuCount, defaultMemoryMb);
    }

    public Options withPauseMillisPerGiB(long millis) {
      return new Options(clock, apiKey, maxRunningLength, millis, defaultCpuCount, defaultMemoryMb);
    }

    public Options withMaxRunningLength(Duration length) {
      return new Options(clock, apiKey, length, pauseMillisPerGiB, defaultCpuCount, defaultMemoryMb);
    }
  }

  /** One logged call: operation, sandbox (if any), answered status (0: connection reset). */
  public record Call(Instant at, String operation, String sandboxId, int status) {}

  /** A whole request and answer, kept when {@link #recordTraffic} is on (contract tests). */
  public record Exchange(String method, String path, String rawQuery, Map<String, String> requestHeaders,
      byte[] requestBody, int status, Map<String, String> responseHeaders, byte[] responseBody) {}

  private final Options options;
  private final ObjectMapper json;
  private final Map<String, SimSandbox> sandboxes = new ConcurrentHashMap<>();
  /** No running sandbox ends before this (guarded by lock). */
  private Instant nextExpiry = Instant.MIN;
  private final List<Fault> faults = new CopyOnWriteArrayList<>();
  private final Map<Fault, AtomicLong> faultUses = new ConcurrentHashMap<>();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final AtomicLong ids = new AtomicLong();
  private final List<Exchange> traffic = new CopyOnWriteArrayList<>();
  private volatile boolean recordTraffic;
  private final Object lock = new Object();
  private HttpServer server;
  private ExecutorService executor;

  public E2bSimulator(Options options) {
    this.options = options;
    this.json = new ObjectMapper().registerModule(new JavaTimeModule());
    json.disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  }

  public E2bSimulator() {
    this(Options.defaults());
  }

  /** Starts on 127.0.0.1:port (0: any free port). */
  public E2bSimulator start(int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 256);
    executor = Executors.newFixedThreadPool(32, r -> {
      Thread t = new Thread(r, "e2b-sim");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
    log.info("E2B simulator listening on {}", url());
    return this;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public String url() {
    return "http://127.0.0.1:" + port();
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop(0);
      executor.shutdownNow();
    }
  }

  // ---- test and benchmark hooks -----------------------------------------------------------

  public void inject(Fault fault) {
    faults.add(fault);
    faultUses.put(fault, new AtomicLong());
  }

  public void clearFaults() {
    faults.clear();
    faultUses.clear();
  }

  public List<Call> calls() {
    return List.copyOf(calls);
  }

  /** Calls of one operation (e.g. "pause") for one sandbox (null: any), whatever they answered. */
  public long count(String operation, String sandboxId) {
    return calls.stream()
        .filter(c -> c.operation().equals(operation) && (sandboxId == null || sandboxId.equals(c.sandboxId())))
        .count();
  }

  /** Successful (2xx) calls of one operation for one sandbox (null: any). */
  /** The status codes answered to one operation on one sandbox, in order (0: connection reset). */
  public List<Integer> answers(String operation, String sandboxId) {
    return calls.stream()
        .filter(c -> c.operation().equals(operation) && sandboxId.equals(c.sandboxId()))
        .map(Call::status).toList();
  }

  public long successes(String operation, String sandboxId) {
    return calls.stream()
        .filter(c -> c.operation().equals(operation) && (sandboxId == null || sandboxId.equals(c.sandboxId())))
        .filter(c -> c.status() >= 200 && c.status() < 300)
        .count();
  }

  public void clearCalls() {
    calls.clear();
  }

  /** Keep every request and answer of E2B's API (not the admin endpoints) from now on. */
  public void recordTraffic(boolean on) {
    recordTraffic = on;
  }

  public List<Exchange> traffic() {
    return List.copyOf(traffic);
  }

  /** The sandbox's state as E2B reports it ("running", "paused"), or null when it does not exist. */
  public String stateOf(String sandboxId) {
    synchronized (lock) {
      expire(now());
      SimSandbox sandbox = sandboxes.get(sandboxId);
      return sandbox == null ? null : sandbox.apiState();
    }
  }

  public Instant endAtOf(String sandboxId) {
    synchronized (lock) {
      SimSandbox sandbox = sandboxes.get(sandboxId);
      return sandbox == null ? null : sandbox.endAt;
    }
  }

  /** Creates a sandbox directly (as if an app had called E2B), returning its id. */
  public String createSandbox(String template, Duration timeout, boolean autoPause, Map<String, String> metadata) {
    synchronized (lock) {
      Instant now = now();
      SimSandbox sandbox = newSandbox(template, autoPause, metadata, now, now.plus(timeout));
      return sandbox.sandboxId;
    }
  }

  /** Removes a sandbox behind everyone's back (E2B lost it). */
  public void vanish(String sandboxId) {
    sandboxes.remove(sandboxId);
  }

  /** Pauses a sandbox as E2B's own timeout would. */
  public void autoPauseNow(String sandboxId) {
    synchronized (lock) {
      SimSandbox sandbox = sandboxes.get(sandboxId);
      if (sandbox != null) {
        sandbox.phase = SimSandbox.Phase.PAUSED;
      }
    }
  }

  public int size() {
    return sandboxes.size();
  }

  // ---- HTTP -------------------------------------------------------------------------------

  private record Answer(int status, Object body, Map<String, String> headers) {
    static Answer of(int status, Object body) {
      return new Answer(status, body, Map.of());
    }
  }

  private static final class Reset extends RuntimeException {
    Reset() {
      super(null, null, false, false);
    }
  }

  private void handle(HttpExchange exchange) {
    String operation = "unknown";
    String sandboxId = null;
    try (exchange) {
      URI uri = exchange.getRequestURI();
      String method = exchange.getRequestMethod();
      String[] path = uri.getRawPath().replaceAll("/+$", "").split("/");
      // path[0] is "" (leading slash)
      if (path.length >= 2 && path[1].equals("_sim")) {
        respond(exchange, admin(method, path, exchange));
        return;
      }
      if (path.length >= 3 && path[1].equals("sandboxes")) {
        sandboxId = URLDecoder.decode(path[2], StandardCharsets.UTF_8);
      }
      operation = operationOf(method, path);
      byte[] body = readBody(exchange);
      Answer answer;
      if (operation == null) {
        operation = "unknown";
        answer = error(404, "Not found: " + method + " " + uri.getRawPath());
      } else if (!authorized(exchange)) {
        answer = error(401, "Invalid API key, it must start with 'e2b_'");
      } else {
        answer = injected(operation);
        if (answer == null) {
          answer = dispatch(operation, sandboxId, body, uri.getRawQuery());
        }
      }
      calls.add(new Call(now(), operation, sandboxId, answer.status()));
      byte[] sent = bytesOf(answer);
      if (recordTraffic) { // recorded before the answer goes out: a client that saw it finds it in the log
        Map<String, String> requestHeaders = new HashMap<>();
        exchange.getRequestHeaders().forEach((k, v) -> requestHeaders.put(k, String.join(",", v)));
        traffic.add(new Exchange(method, uri.getRawPath(), uri.getRawQuery(), requestHeaders, body,
            answer.status(), Map.copyOf(answer.headers()), sent));
      }
      respond(exchange, answer, sent);
    } catch (Reset reset) {
      calls.add(new Call(now(), operation, sandboxId, 0));
      // closing without an answer: the client sees the connection end
    } catch (Exception e) {
      log.warn("simulator failure on {}", operation, e);
    }
  }

  private static String operationOf(String method, String[] path) {
    if (path.length == 2 && path[1].equals("sandboxes")) {
      return method.equals("POST") ? "create" : method.equals("GET") ? "listRunning" : null;
    }
    if (path.length == 3 && path[1].equals("v2") && path[2].equals("sandboxes") && method.equals("GET")) {
      return "list";
    }
    if (path.length == 3 && path[1].equals("sandboxes")) {
      return method.equals("GET") ? "get" : method.equals("DELETE") ? "kill" : null;
    }
    if (path.length == 4 && path[1].equals("sandboxes") && method.equals("POST")) {
      return switch (path[3]) {
        case "pause", "connect", "resume", "timeout" -> path[3];
        default -> null;
      };
    }
    return null;
  }

  private boolean authorized(HttpExchange exchange) {
    String key = exchange.getRequestHeaders().getFirst("X-API-Key");
    if (options.apiKey() != null) {
      return options.apiKey().equals(key);
    }
    return key != null && key.startsWith("e2b_");
  }

  /** A matching fault's answer, or null; may sleep (latency) or throw {@link Reset}. */
  private Answer injected(String operation) throws InterruptedException {
    for (Fault fault : faults) {
      if (!fault.matches(operation)) {
        continue;
      }
      AtomicLong uses = faultUses.get(fault);
      if (uses == null || (fault.times() >= 0 && uses.get() >= fault.times())) {
        continue;
      }
      if (fault.rate() < 1.0 && ThreadLocalRandom.current().nextDouble() >= fault.rate()) {
        continue;
      }
      uses.incrementAndGet();
      if (fault.latencyMs() > 0) {
        Thread.sleep(fault.latencyMs());
      }
      if (fault.reset()) {
        throw new Reset();
      }
      if (fault.status() > 0) {
        Map<String, String> headers =
            fault.retryAfterSeconds() == null ? Map.of() : Map.of("Retry-After", fault.retryAfterSeconds().toString());
        return new Answer(fault.status(), errorBody(fault.status(), "injected fault"), headers);
      }
    }
    return null;
  }

  private Answer dispatch(String operation, String sandboxId, byte[] body, String rawQuery) throws Exception {
    return switch (operation) {
      case "create" -> create(body);
      case "list" -> list(query(rawQuery), false);
      case "listRunning" -> list(query(rawQuery), true);
      case "get" -> get(sandboxId);
      case "kill" -> kill(sandboxId);
      case "pause" -> pause(sandboxId);
      case "connect" -> connect(sandboxId, body, true);
      case "resume" -> connect(sandboxId, body, false);
      case "timeout" -> timeout(sandboxId, body);
      default -> error(404, "Not found");
    };
  }

  // ---- E2B behaviour ----------------------------------------------------------------------

  private Answer create(byte[] body) {
    JsonNode request = parse(body);
    if (request == null || !request.isObject()) {
      return error(400, "Invalid request body");
    }
    JsonNode template = request.get("templateID");
    if (template == null || !template.isTextual() || template.asText().isBlank()) {
      return error(400, "templateID is required");
    }
    long timeout = request.has("timeout") ? request.get("timeout").asLong(-1) : 15;
    if (timeout < 0 || !request.path("timeout").isMissingNode() && !request.get("timeout").isIntegralNumber()) {
      return error(400, "timeout must be a non-negative integer");
    }
    if (Duration.ofSeconds(timeout).compareTo(options.maxRunningLength()) > 0) {
      return error(400, "Timeout exceeds the maximum allowed (" + options.maxRunningLength().toHours() + "h)");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    if (request.has("metadata")) {
      if (!request.get("metadata").isObject()) {
        return error(400, "metadata must be an object of strings");
      }
      request.get("metadata").fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
    }
    boolean autoPause = request.path("autoPause").asBoolean(false);
    synchronized (lock) {
      Instant now = now();
      SimSandbox sandbox = newSandbox(template.asText(), autoPause, metadata, now, now.plusSeconds(timeout));
      return Answer.of(201, sandboxJson(sandbox, Shape.SANDBOX));
    }
  }

  private SimSandbox newSandbox(String template, boolean autoPause, Map<String, String> metadata, Instant now, Instant endAt) {
    String id = "sim" + Long.toString(ids.incrementAndGet(), 36) + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    SimSandbox sandbox =
        new SimSandbox(id, template, template, options.defaultCpuCount(), options.defaultMemoryMb(), autoPause,
            metadata == null ? Map.of() : Map.copyOf(metadata), now, endAt);
    sandboxes.put(id, sandbox);
    endsAt(endAt);
    return sandbox;
  }

  private Answer get(String sandboxId) {
    synchronized (lock) {
      expire(now());
      SimSandbox sandbox = sandboxes.get(sandboxId);
      return sandbox == null ? notFound(sandboxId) : Answer.of(200, sandboxJson(sandbox, Shape.DETAIL));
    }
  }

  private Answer list(Map<String, String> query, boolean runningOnly) {
    Set<String> states = runningOnly ? Set.of("running") : Set.of("running", "paused");
    if (query.containsKey("state")) {
      states = Set.of(query.get("state").split(","));
      for (String state : states) {
        if (!state.equals("running") && !state.equals("paused")) {
          return error(400, "Invalid state: " + state);
        }
      }
    }
    Map<String, String> wanted = new HashMap<>();
    if (query.containsKey("metadata")) {
      for (String pair : query.get("metadata").split("&")) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          return error(400, "Invalid metadata query: " + pair);
        }
        wanted.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
      }
    }
    int limit = 100;
    if (query.containsKey("limit")) {
      try {
        limit = Integer.parseInt(query.get("limit"));
      } catch (NumberFormatException e) {
        return error(400, "limit must be an integer");
      }
      if (limit < 1 || limit > 100) {
        return error(400, "limit must be between 1 and 100");
      }
    }
    int offset = 0;
    if (query.containsKey("nextToken")) {
      try {
        offset = Integer.parseInt(new String(Base64.getUrlDecoder().decode(query.get("nextToken")), StandardCharsets.UTF_8));
      } catch (RuntimeException e) {
        return error(400, "Invalid next token");
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
    return new Answer(200, items, headers);
  }

  private Answer kill(String sandboxId) {
    synchronized (lock) {
      expire(now());
      return sandboxes.remove(sandboxId) == null ? notFound(sandboxId) : Answer.of(204, null);
    }
  }

  private Answer pause(String sandboxId) throws InterruptedException {
    SimSandbox sandbox;
    long millis;
    synchronized (lock) {
      expire(now());
      sandbox = sandboxes.get(sandboxId);
      if (sandbox == null) {
        return notFound(sandboxId);
      }
      if (sandbox.phase != SimSandbox.Phase.RUNNING) {
        return error(409, "Sandbox " + sandboxId + " is already paused");
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
      return Answer.of(204, null);
    }
  }

  private Answer connect(String sandboxId, byte[] body, boolean isConnect) {
    JsonNode request = parse(body);
    if (isConnect && (request == null || !request.has("timeout"))) {
      return error(400, "timeout is required");
    }
    long timeout = request == null ? 15 : request.path("timeout").asLong(15);
    if (timeout < 0 || request != null && request.has("timeout") && !request.get("timeout").isIntegralNumber()) {
      return error(400, "timeout must be a non-negative integer");
    }
    if (Duration.ofSeconds(timeout).compareTo(options.maxRunningLength()) > 0) {
      return error(400, "Timeout exceeds the maximum allowed (" + options.maxRunningLength().toHours() + "h)");
    }
    synchronized (lock) {
      Instant now = now();
      expire(now);
      SimSandbox sandbox = sandboxes.get(sandboxId);
      if (sandbox == null) {
        return error(404, "Paused sandbox " + sandboxId + " not found");
      }
      switch (sandbox.phase) {
        case PAUSING:
          return error(409, "Sandbox " + sandboxId + " is being paused");
        case RUNNING:
          if (!isConnect) {
            return error(409, "Sandbox " + sandboxId + " is already running");
          }
          Instant wanted = now.plusSeconds(timeout);
          if (wanted.isAfter(sandbox.endAt)) {
            sandbox.endAt = wanted; // connect only extends
          }
          return Answer.of(200, sandboxJson(sandbox, Shape.SANDBOX));
        default:
          sandbox.phase = SimSandbox.Phase.RUNNING;
          sandbox.startedAt = now;
          sandbox.endAt = now.plusSeconds(timeout);
          endsAt(sandbox.endAt);
          return Answer.of(201, sandboxJson(sandbox, Shape.SANDBOX));
      }
    }
  }

  private Answer timeout(String sandboxId, byte[] body) {
    JsonNode request = parse(body);
    if (request == null || !request.has("timeout") || !request.get("timeout").isIntegralNumber()
        || request.get("timeout").asLong() < 0) {
      return error(400, "timeout must be a non-negative integer");
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
        return error(400, "Max instance length exceeded");
      }
      sandbox.endAt = endAt;
      endsAt(endAt);
      return Answer.of(204, null);
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
        } else {
          it.remove();
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

  // ---- admin endpoints (not part of E2B's API) --------------------------------------------

  private Answer admin(String method, String[] path, HttpExchange exchange) throws IOException {
    String what = path.length >= 3 ? path[2] : "";
    switch (what) {
      case "faults":
        if (method.equals("POST")) {
          Fault fault = json.readValue(readBody(exchange), Fault.class);
          inject(fault);
          return Answer.of(201, fault);
        }
        if (method.equals("DELETE")) {
          clearFaults();
          return Answer.of(204, null);
        }
        return Answer.of(200, faults);
      case "calls":
        if (method.equals("DELETE")) {
          clearCalls();
          return Answer.of(204, null);
        }
        Map<String, Long> byOperation = new java.util.TreeMap<>();
        calls.forEach(c -> byOperation.merge(c.operation(), 1L, Long::sum));
        return Answer.of(200, Map.of("total", calls.size(), "byOperation", byOperation));
      case "health":
        return Answer.of(200, Map.of("status", "ok", "sandboxes", sandboxes.size()));
      default:
        return error(404, "Not found");
    }
  }

  // ---- plumbing ---------------------------------------------------------------------------

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

  private Answer error(int status, String message) {
    return Answer.of(status, errorBody(status, message));
  }

  private Answer notFound(String sandboxId) {
    return error(404, "Sandbox " + sandboxId + " not found");
  }

  private Map<String, Object> errorBody(int status, String message) {
    return Map.of("code", status, "message", message);
  }

  private byte[] bytesOf(Answer answer) throws IOException {
    return answer.body() == null || answer.status() == 204 ? new byte[0] : json.writeValueAsBytes(answer.body());
  }

  private void respond(HttpExchange exchange, Answer answer) throws IOException {
    respond(exchange, answer, bytesOf(answer));
  }

  private void respond(HttpExchange exchange, Answer answer, byte[] bytes) throws IOException {
    answer.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
    if (answer.body() == null || answer.status() == 204) {
      exchange.sendResponseHeaders(answer.status(), -1);
      return;
    }
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(answer.status(), bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static byte[] readBody(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      byte[] bytes = in.readNBytes(MAX_BODY + 1);
      if (bytes.length > MAX_BODY) {
        throw new IOException("body too large");
      }
      return bytes;
    }
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

  private static Map<String, String> query(String raw) {
    Map<String, String> query = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return query;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      query.put(key, value);
    }
    return query;
  }

  private static String decode(String value) {
    return URLDecoder.decode(value, StandardCharsets.UTF_8);
  }

  private Instant now() {
    return Objects.requireNonNull(options.clock().get());
  }
}
