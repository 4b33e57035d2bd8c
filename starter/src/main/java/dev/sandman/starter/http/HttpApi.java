package dev.sandman.starter.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sandman.starter.ListPage;
import dev.sandman.starter.ListQuery;
import dev.sandman.starter.SandmanClient;
import dev.sandman.starter.SandmanException;
import dev.sandman.starter.TrackRequest;
import dev.sandman.starter.TrackResult;
import dev.sandman.starter.Validation;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.PolicyPatch;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandmanJson;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sandman's HTTP API (see {@code GET /openapi.json} and the README). JSON in and out, durations
 * ISO-8601, times RFC 3339, errors {@code {error, message, field?}}. Bad input is answered 4xx before
 * anything is changed; nothing a client sends yields a 500.
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  private static final ObjectMapper JSON = SandmanJson.mapper();
  private static final Set<String> TRACK_FIELDS = Set.of("sandboxId", "projectId", "userId", "template", "metadata", "policy");
  private static final Set<String> POLICY_FIELDS = Set.of("idleTimeout", "pausedRetention", "maxLifetime", "maxHold");
  private static final Set<String> POLICY_PATCH_FIELDS = Set.of("idleTimeout", "pausedRetention", "maxLifetime", "clearMaxLifetime", "maxHold");
  private static final Set<String> POLICY_FIELDS_WITH_HOLD = Set.of("idleTimeout", "pausedRetention", "maxLifetime", "maxHold");
  private static final Set<String> LIST_PARAMS = Set.of("projectId", "userId", "state", "pageSize", "pageToken");
  private static final int OWNERS_KEPT = 100_000;

  static {
    // without it the JDK server waits on delayed ACKs (~40 ms per small answer)
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  /** Where to listen and which tokens to accept; a null token disables that kind of caller. */
  public record Config(String host, int port, String adminToken, String appToken, int maxBodyBytes) {
    public static final int DEFAULT_MAX_BODY = 64 * 1024;
  }

  private final SandmanClient client;
  private final Auth auth;
  private final Config config;
  private final PrometheusMeterRegistry registry;
  private final HttpServer server;
  private final ThreadPoolExecutor executor;
  private final byte[] openApi;
  private final Map<String, String> owners =
      Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
          return size() > OWNERS_KEPT;
        }
      });

  private HttpApi(SandmanClient client, Config config, PrometheusMeterRegistry registry) throws IOException {
    this.client = client;
    this.config = config;
    this.registry = registry;
    this.auth = new Auth(config.adminToken(), config.appToken());
    try (InputStream in = HttpApi.class.getResourceAsStream("/openapi.json")) {
      this.openApi = in.readAllBytes();
    }
    AtomicInteger threads = new AtomicInteger();
    this.executor = new ThreadPoolExecutor(16, 512, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, "sandman-http-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    }, new ThreadPoolExecutor.CallerRunsPolicy());
    this.server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 1024);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  public static HttpApi start(SandmanClient client, Config config, PrometheusMeterRegistry registry) throws IOException {
    HttpApi api = new HttpApi(client, config, registry);
    api.server.start();
    log.info("HTTP API on http://{}:{}", config.host(), api.port());
    return api;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(1);
    executor.shutdown();
  }

  // ---- dispatch ---------------------------------------------------------------------------

  private record Reply(int status, Object body, String contentType) {
    static Reply json(int status, Object body) {
      return new Reply(status, body, "application/json");
    }
  }

  private void handle(HttpExchange exchange) {
    long started = System.nanoTime();
    String route = "unmatched";
    Reply reply;
    try (exchange) {
      try {
        String method = exchange.getRequestMethod();
        List<String> path = segments(exchange.getRequestURI().getRawPath());
        route = routeName(path);
        reply = dispatch(exchange, method, path);
      } catch (ApiException e) {
        reply = Reply.json(e.status, new ApiError(e.error, e.getMessage(), e.field));
      } catch (SandmanException e) {
        reply = fromSandman(e);
      } catch (RuntimeException e) {
        log.error("unexpected failure handling {} {}", exchange.getRequestMethod(), route, e);
        reply = Reply.json(500, new ApiError("internal", "internal error", null));
      }
      send(exchange, reply);
      Timer.builder("sandman_http_requests")
          .tag("route", route)
          .tag("method", exchange.getRequestMethod())
          .tag("status", Integer.toString(reply.status()))
          .register(registry)
          .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    } catch (IOException | RuntimeException e) {
      log.debug("could not answer {}: {}", route, e.toString());
    }
  }

  private Reply dispatch(HttpExchange exchange, String method, List<String> path) throws IOException {
    if (path.size() == 1 && path.get(0).equals("healthz")) {
      requireMethod(method, "GET");
      return Reply.json(200, Map.of("status", "ok"));
    }
    if (path.size() == 1 && path.get(0).equals("metrics")) {
      requireMethod(method, "GET");
      return new Reply(200, registry.scrape(), "text/plain; version=0.0.4; charset=utf-8");
    }
    if (path.size() == 1 && path.get(0).equals("openapi.json")) {
      requireMethod(method, "GET");
      return new Reply(200, openApi, "application/json");
    }
    if (path.size() < 2 || !path.get(0).equals("v1") || path.size() > 5
        || !Set.of("sandboxes", "projects", "report").contains(path.get(1))) {
      throw new ApiException(404, "not_found", "no such endpoint", null);
    }
    Auth.Principal caller = auth.authenticate(
        exchange.getRequestHeaders().getFirst("Authorization"),
        exchange.getRequestHeaders().getFirst("X-Sandman-User"));
    if (path.get(1).equals("report") && path.size() == 2) {
      requireMethod(method, "GET");
      return report(caller, query(exchange.getRequestURI().getRawQuery()));
    }
    if (path.get(1).equals("projects")) {
      if (path.size() != 4 || !path.get(3).equals("policy")) {
        throw new ApiException(404, "not_found", "no such endpoint", null);
      }
      String projectId = idFrom("projectId", path.get(2));
      return switch (method) {
        case "GET" -> Reply.json(200, client.projectStatus(projectId));
        case "PUT" -> {
          if (!caller.admin()) {
            throw new ApiException(403, "forbidden", "only the admin token may change a project's policy", null);
          }
          Body body = Body.parse(body(exchange), POLICY_FIELDS_WITH_HOLD);
          yield Reply.json(200, client.setProjectPolicy(projectId, new Policy(body.duration("idleTimeout"),
              body.duration("pausedRetention"), body.duration("maxLifetime"), body.duration("maxHold"))));
        }
        case "DELETE" -> {
          if (!caller.admin()) {
            throw new ApiException(403, "forbidden", "only the admin token may change a project's policy", null);
          }
          yield Reply.json(200, client.setProjectPolicy(projectId, null));
        }
        default -> throw notAllowed("GET, PUT, DELETE");
      };
    }
    if (path.size() == 5) {
      if (!path.get(3).equals("holds")) {
        throw new ApiException(404, "not_found", "no such endpoint", null);
      }
      requireMethod(method, "DELETE");
      String sandboxId = sandboxIdFrom(path.get(2));
      String holdId = idFrom("holdId", path.get(4));
      owned(caller, sandboxId);
      return Reply.json(200, client.release(sandboxId, holdId));
    }
    if (path.size() == 2) {
      return switch (method) {
        case "POST" -> track(caller, Body.parse(body(exchange), TRACK_FIELDS));
        case "GET" -> list(caller, query(exchange.getRequestURI().getRawQuery()));
        default -> throw notAllowed("GET, POST");
      };
    }
    String sandboxId = sandboxIdFrom(path.get(2));
    if (path.size() == 3) {
      return switch (method) {
        case "GET" -> {
          SandboxStatus status = client.status(sandboxId);
          requireOwner(caller, status);
          yield Reply.json(200, status);
        }
        case "DELETE" -> {
          owned(caller, sandboxId);
          yield Reply.json(200, client.kill(sandboxId, reasonFrom(Body.parse(body(exchange), Set.of("reason")))));
        }
        default -> throw notAllowed("GET, DELETE");
      };
    }
    String action = path.get(3);
    switch (action) {
      case "activity" -> {
        requireMethod(method, "POST");
        Body body = Body.parse(body(exchange), Set.of("at"));
        java.time.Instant at = body.instant("at");
        owned(caller, sandboxId);
        client.touch(sandboxId, at);
        return Reply.json(202, Map.of("accepted", true));
      }
      case "pause" -> {
        requireMethod(method, "POST");
        String reason = reasonFrom(Body.parse(body(exchange), Set.of("reason")));
        owned(caller, sandboxId);
        return Reply.json(200, client.pause(sandboxId, reason));
      }
      case "resume" -> {
        requireMethod(method, "POST");
        String reason = reasonFrom(Body.parse(body(exchange), Set.of("reason")));
        owned(caller, sandboxId);
        return Reply.json(200, client.resume(sandboxId, reason));
      }
      case "holds" -> {
        requireMethod(method, "POST");
        Body body = Body.parse(body(exchange), Set.of("reason", "ttl"));
        String reason = reasonFrom(body);
        java.time.Duration ttl = body.duration("ttl");
        owned(caller, sandboxId);
        return Reply.json(201, client.hold(sandboxId, reason, ttl));
      }
      case "policy" -> {
        requireMethod(method, "PUT");
        PolicyPatch patch = policyPatch(Body.parse(body(exchange), POLICY_PATCH_FIELDS));
        owned(caller, sandboxId);
        return Reply.json(200, client.setPolicy(sandboxId, patch));
      }
      default -> throw new ApiException(404, "not_found", "no such endpoint", null);
    }
  }

  // ---- endpoints --------------------------------------------------------------------------

  private Reply track(Auth.Principal caller, Body body) {
    Body policyBody = body.object("policy", POLICY_FIELDS);
    Policy policy = policyBody == null ? null
        : new Policy(policyBody.duration("idleTimeout"), policyBody.duration("pausedRetention"), policyBody.duration("maxLifetime"),
            policyBody.duration("maxHold"));
    TrackRequest request = new TrackRequest(body.string("sandboxId"), body.string("projectId"), body.string("userId"),
        body.string("template"), body.stringMap("metadata"), policy);
    if (!caller.admin() && request.userId() != null && !caller.userId().equals(request.userId())) {
      throw new ApiException(403, "forbidden", "the app token may only track sandboxes of user " + caller.userId(), "userId");
    }
    if (!caller.admin() && request.userId() == null) {
      request = new TrackRequest(request.sandboxId(), request.projectId(), caller.userId(), request.template(), request.metadata(), policy);
    }
    boolean creating = request.sandboxId() == null;
    if (creating && request.template() == null) {
      throw ApiException.badRequest("invalid_argument", "give a sandboxId to track an existing sandbox, or a template to create one", "sandboxId");
    }
    if (!creating && !caller.admin()) {
      // tracking twice is idempotent, but not a way to read another user's sandbox
      String owner = knownOwner(request.sandboxId());
      if (owner != null && !owner.equals(caller.userId())) {
        throw new ApiException(403, "forbidden", "sandbox belongs to another user", null);
      }
    }
    TrackResult result = creating ? client.create(request) : client.track(request);
    if (!caller.admin() && !caller.userId().equals(result.status().userId())) {
      throw new ApiException(403, "forbidden", "sandbox belongs to another user", null);
    }
    owners.put(result.status().sandboxId(), result.status().userId());
    return Reply.json(result.created() ? 201 : 200, result.status());
  }

  private Reply list(Auth.Principal caller, Map<String, String> params) {
    for (String name : params.keySet()) {
      if (!LIST_PARAMS.contains(name)) {
        throw ApiException.badRequest("unknown_parameter", "unknown query parameter '" + Body.printable(name) + "'", Body.printable(name));
      }
    }
    String userId = params.get("userId");
    if (!caller.admin()) {
      if (userId != null && !userId.equals(caller.userId())) {
        throw new ApiException(403, "forbidden", "the app token may only list sandboxes of user " + caller.userId(), "userId");
      }
      userId = caller.userId();
    }
    SandboxState state = null;
    if (params.containsKey("state")) {
      try {
        state = SandboxState.valueOf(params.get("state"));
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("invalid_argument", "state must be one of RUNNING, PAUSING, PAUSED, RESUMING, KILLED", "state");
      }
    }
    int pageSize = ListQuery.DEFAULT_PAGE_SIZE;
    if (params.containsKey("pageSize")) {
      try {
        pageSize = Integer.parseInt(params.get("pageSize"));
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("invalid_argument", "pageSize must be a whole number", "pageSize");
      }
    }
    ListPage page = client.list(new ListQuery(params.get("projectId"), userId, state, pageSize, params.get("pageToken")));
    return Reply.json(200, page);
  }

  private Reply report(Auth.Principal caller, Map<String, String> params) {
    for (String name : params.keySet()) {
      if (!Set.of("projectId", "userId").contains(name)) {
        throw ApiException.badRequest("unknown_parameter", "unknown query parameter '" + Body.printable(name) + "'", Body.printable(name));
      }
    }
    String userId = params.get("userId");
    if (!caller.admin()) {
      if (userId != null && !userId.equals(caller.userId())) {
        throw new ApiException(403, "forbidden", "the app token may only report on user " + caller.userId(), "userId");
      }
      userId = caller.userId();
    }
    return Reply.json(200, client.report(new ListQuery(params.get("projectId"), userId, null, ListQuery.MAX_PAGE_SIZE, null)));
  }

  private static String idFrom(String field, String segment) {
    try {
      return Validation.id(field, segment);
    } catch (SandmanException e) {
      throw ApiException.badRequest("invalid_argument", e.getMessage(), field);
    }
  }

  private static PolicyPatch policyPatch(Body body) {
    if (body.isEmpty()) {
      throw ApiException.badRequest("invalid_argument", "give at least one of idleTimeout, pausedRetention, maxLifetime, clearMaxLifetime", null);
    }
    Boolean clear = body.bool("clearMaxLifetime");
    if (body.isNull("maxLifetime")) {
      clear = true; // "maxLifetime": null removes the limit
    }
    return new PolicyPatch(body.duration("idleTimeout"), body.duration("pausedRetention"), body.duration("maxLifetime"), clear,
        body.duration("maxHold"));
  }

  private static String reasonFrom(Body body) {
    try {
      return Validation.reason(body.string("reason"));
    } catch (SandmanException e) {
      throw ApiException.badRequest("invalid_argument", e.getMessage(), "reason");
    }
  }

  // ---- ownership --------------------------------------------------------------------------

  private void owned(Auth.Principal caller, String sandboxId) {
    if (caller.admin()) {
      return;
    }
    String owner = knownOwner(sandboxId);
    if (owner == null) {
      owner = client.status(sandboxId).userId(); // 404 when not tracked
      owners.put(sandboxId, owner);
    }
    if (!caller.mayActFor(owner)) {
      throw new ApiException(403, "forbidden", "sandbox belongs to another user", null);
    }
  }

  private String knownOwner(String sandboxId) {
    return owners.get(sandboxId);
  }

  private void requireOwner(Auth.Principal caller, SandboxStatus status) {
    owners.put(status.sandboxId(), status.userId());
    if (!caller.mayActFor(status.userId())) {
      throw new ApiException(403, "forbidden", "sandbox belongs to another user", null);
    }
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private static Reply fromSandman(SandmanException e) {
    return switch (e.kind()) {
      case INVALID_ARGUMENT -> Reply.json(400, new ApiError("invalid_argument", e.getMessage(), e.field()));
      case NOT_FOUND -> Reply.json(404, new ApiError("not_found", e.getMessage(), null));
      case CONFLICT -> Reply.json(409, new ApiError("conflict", e.getMessage(), null));
      case E2B_FAILED -> Reply.json(502, new ApiError("e2b_failed", e.getMessage(), null));
      case UNAVAILABLE -> Reply.json(503, new ApiError("unavailable", e.getMessage(), null));
    };
  }

  private static String sandboxIdFrom(String segment) {
    try {
      return Validation.sandboxId(segment);
    } catch (SandmanException e) {
      throw ApiException.badRequest("invalid_argument", e.getMessage(), "sandboxId");
    }
  }

  private static void requireMethod(String method, String allowed) {
    if (!method.equals(allowed)) {
      throw notAllowed(allowed);
    }
  }

  private static ApiException notAllowed(String allowed) {
    return new ApiException(405, "method_not_allowed", "allowed: " + allowed, null);
  }

  private byte[] body(HttpExchange exchange) throws IOException {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      try {
        if (Long.parseLong(length.trim()) > config.maxBodyBytes()) {
          throw tooLarge();
        }
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("bad_request", "invalid Content-Length", null);
      }
    }
    try (InputStream in = exchange.getRequestBody()) {
      byte[] bytes = in.readNBytes(config.maxBodyBytes() + 1);
      if (bytes.length > config.maxBodyBytes()) {
        throw tooLarge();
      }
      return bytes;
    }
  }

  private ApiException tooLarge() {
    return new ApiException(413, "payload_too_large", "request body is larger than " + config.maxBodyBytes() + " bytes", null);
  }

  private static List<String> segments(String rawPath) {
    List<String> segments = new ArrayList<>();
    for (String raw : rawPath.split("/")) {
      if (raw.isEmpty()) {
        continue;
      }
      try {
        segments.add(URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("invalid_argument", "malformed percent-encoding in the path", null);
      }
    }
    return segments;
  }

  private static String routeName(List<String> path) {
    if (path.size() >= 3 && path.get(0).equals("v1") && path.get(1).equals("projects")) {
      return "/v1/projects/{id}/policy";
    }
    if (path.size() == 5) {
      return "/v1/sandboxes/{id}/holds/{holdId}";
    }
    if (path.size() >= 3 && path.get(0).equals("v1")) {
      return "/v1/sandboxes/{id}" + (path.size() == 4 ? "/" + Body.printable(path.get(3)) : "");
    }
    return "/" + String.join("/", path.size() <= 2 ? path : path.subList(0, 2));
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> params = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return params;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name;
      String value;
      try {
        name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("invalid_argument", "malformed percent-encoding in the query", null);
      }
      if (params.put(name, value) != null) {
        throw ApiException.badRequest("invalid_argument", "query parameter '" + Body.printable(name) + "' given twice", Body.printable(name));
      }
    }
    return params;
  }

  private static void send(HttpExchange exchange, Reply reply) throws IOException {
    byte[] bytes;
    if (reply.body() instanceof byte[] raw) {
      bytes = raw;
    } else if (reply.body() instanceof String text) {
      bytes = text.getBytes(StandardCharsets.UTF_8);
    } else {
      bytes = JSON.writeValueAsBytes(reply.body());
    }
    exchange.getResponseHeaders().set("Content-Type", reply.contentType());
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Exposed for the CLI and tests: the registry the API records into. */
  public MeterRegistry registry() {
    return registry;
  }
}
