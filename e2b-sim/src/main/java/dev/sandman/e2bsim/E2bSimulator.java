package dev.sandman.e2bsim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
  private final Faults faults = new Faults();
  private final SimRateLimit rateLimit = new SimRateLimit();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<Exchange> traffic = new CopyOnWriteArrayList<>();
  private volatile boolean recordTraffic;
  private final SimFleet fleet;
  private final SimWebhooks webhooks;
  private HttpServer server;
  private ExecutorService executor;

  public E2bSimulator(Options options) {
    this.options = options;
    this.json = new ObjectMapper().registerModule(new JavaTimeModule());
    json.disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    this.fleet = new SimFleet(options, json);
    this.webhooks = new SimWebhooks(json);
    fleet.onLifecycle((change, sandbox) -> webhooks.emit(change, sandbox, now()));
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
  }

  public void clearFaults() {
    faults.clear();
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
        .filter(c -> c.operation().equals(operation) && (sandboxId == null || sandboxId.equals(c.sandboxId())))
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
    return fleet.stateOf(sandboxId);
  }

  public Instant endAtOf(String sandboxId) {
    return fleet.endAtOf(sandboxId);
  }

  /** Creates a sandbox directly (as if an app had called E2B), returning its id. */
  public String createSandbox(String template, Duration timeout, boolean autoPause, Map<String, String> metadata) {
    return fleet.createSandbox(template, timeout, autoPause, metadata);
  }

  /** An app connects to the sandbox with E2B's SDK (as the seed's getSandbox does): a paused one resumes. */
  public int connectAsApp(String sandboxId) {
    return fleet.connect(sandboxId, "{\"timeout\":300}".getBytes(StandardCharsets.UTF_8), true).status();
  }

  /** Someone kills the sandbox from E2B's dashboard or CLI. */
  public int killAsUser(String sandboxId) {
    return fleet.kill(sandboxId).status();
  }

  /** Registers a lifecycle webhook as {@code POST /events/webhooks} would; its id. */
  public String registerWebhook(String url, String secret) {
    return webhooks.register("test", url, true, List.of(), secret).id();
  }

  /** Every webhook delivery attempt so far: event, type, sandbox, URL and the receiver's status. */
  public List<SimWebhooks.Delivery> webhookDeliveries() {
    return webhooks.deliveries();
  }

  /** The CPU use the sandbox's metrics report from now on (percent; 2 when never set). */
  public void setCpu(String sandboxId, double percent) {
    if (!fleet.setCpu(sandboxId, percent)) {
      throw new IllegalArgumentException("no sandbox " + sandboxId);
    }
  }

  /** E2B's API rate limit: at most {@code requests} per {@code window} (E2B: 20,000 per 30 s per team), 429 beyond. */
  public void limitRate(int requests, Duration window) {
    rateLimit.set(requests, window);
  }

  /** Removes a sandbox behind everyone's back (E2B lost it). */
  public void vanish(String sandboxId) {
    fleet.vanish(sandboxId);
  }

  /** Pauses a sandbox as E2B's own timeout would. */
  public void autoPauseNow(String sandboxId) {
    fleet.autoPauseNow(sandboxId);
  }

  public int size() {
    return fleet.size();
  }

  // ---- HTTP -------------------------------------------------------------------------------



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
      if (path.length >= 3 && path[1].equals("events") && path[2].equals("webhooks")) {
        operation = "webhooks";
        byte[] body = readBody(exchange);
        SimAnswer answer = authorized(exchange) ? webhooks(method, path, body) : SimAnswer.error(401, "Invalid API key");
        calls.add(new Call(now(), operation, null, answer.status()));
        respond(exchange, answer, bytesOf(answer));
        return;
      }
      if (path.length >= 3 && path[1].equals("sandboxes")) {
        sandboxId = URLDecoder.decode(path[2], StandardCharsets.UTF_8);
      }
      operation = operationOf(method, path);
      byte[] body = readBody(exchange);
      SimAnswer answer;
      if (operation == null) {
        operation = "unknown";
        answer = SimAnswer.error(404, "Not found: " + method + " " + uri.getRawPath());
      } else if (!authorized(exchange)) {
        answer = SimAnswer.error(401, "Invalid API key, it must start with 'e2b_'");
      } else {
        answer = faults.answer(operation);
        if (answer == null) {
          answer = rateLimit.answer();
        }
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
    } catch (Faults.Reset reset) {
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
    if (path.length == 4 && path[1].equals("sandboxes") && path[3].equals("metrics") && method.equals("GET")) {
      return "metrics";
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



  private SimAnswer dispatch(String operation, String sandboxId, byte[] body, String rawQuery) throws Exception {
    return switch (operation) {
      case "create" -> fleet.create(body);
      case "list" -> fleet.list(query(rawQuery), false);
      case "listRunning" -> fleet.list(query(rawQuery), true);
      case "get" -> fleet.get(sandboxId);
      case "kill" -> fleet.kill(sandboxId);
      case "pause" -> fleet.pause(sandboxId);
      case "connect" -> fleet.connect(sandboxId, body, true);
      case "resume" -> fleet.connect(sandboxId, body, false);
      case "timeout" -> fleet.timeout(sandboxId, body);
      case "metrics" -> fleet.metrics(sandboxId, query(rawQuery));
      default -> SimAnswer.error(404, "Not found");
    };
  }


  /** {@code POST|GET /events/webhooks}, {@code DELETE /events/webhooks/{id}}. */
  private SimAnswer webhooks(String method, String[] path, byte[] body) throws IOException {
    if (path.length == 3 && method.equals("POST")) {
      com.fasterxml.jackson.databind.JsonNode request = json.readTree(body);
      if (request == null || !request.path("url").isTextual() || !request.path("signatureSecret").isTextual()) {
        return SimAnswer.error(400, "url and signatureSecret are required");
      }
      List<String> events = new java.util.ArrayList<>();
      request.path("events").forEach(e -> events.add(e.asText()));
      SimWebhooks.Webhook made = webhooks.register(request.path("name").asText("webhook"), request.get("url").asText(),
          request.path("enabled").asBoolean(true), events, request.get("signatureSecret").asText());
      return SimAnswer.of(201, Map.of("id", made.id(), "name", made.name(), "url", made.url(), "enabled", made.enabled(),
          "events", made.events()));
    }
    if (path.length == 3 && method.equals("GET")) {
      return SimAnswer.of(200, webhooks.list());
    }
    if (path.length == 4 && method.equals("DELETE")) {
      return webhooks.remove(path[3]) ? SimAnswer.of(200, null) : SimAnswer.error(404, "webhook not found");
    }
    return SimAnswer.error(404, "Not found");
  }

  // ---- admin endpoints (not part of E2B's API) --------------------------------------------

  private SimAnswer admin(String method, String[] path, HttpExchange exchange) throws IOException {
    String what = path.length >= 3 ? path[2] : "";
    switch (what) {
      case "faults":
        if (method.equals("POST")) {
          Fault fault = json.readValue(readBody(exchange), Fault.class);
          inject(fault);
          return SimAnswer.of(201, fault);
        }
        if (method.equals("DELETE")) {
          clearFaults();
          return SimAnswer.of(204, null);
        }
        return SimAnswer.of(200, faults.list());
      case "calls":
        if (method.equals("DELETE")) {
          clearCalls();
          return SimAnswer.of(204, null);
        }
        Map<String, Long> byOperation = new java.util.TreeMap<>();
        calls.forEach(c -> byOperation.merge(c.operation(), 1L, Long::sum));
        return SimAnswer.of(200, Map.of("total", calls.size(), "byOperation", byOperation));
      case "cpu":
        if (method.equals("POST")) {
          com.fasterxml.jackson.databind.JsonNode request = json.readTree(readBody(exchange));
          if (request == null || !request.path("sandboxId").isTextual() || !request.path("percent").isNumber()) {
            return SimAnswer.error(400, "sandboxId and percent are required");
          }
          return fleet.setCpu(request.get("sandboxId").asText(), request.get("percent").asDouble())
              ? SimAnswer.of(204, null) : SimAnswer.error(404, "sandbox not found");
        }
        return SimAnswer.error(405, "POST only");
      case "health":
        return SimAnswer.of(200, Map.of("status", "ok", "sandboxes", fleet.size()));
      default:
        return SimAnswer.error(404, "Not found");
    }
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private byte[] bytesOf(SimAnswer answer) throws IOException {
    return answer.body() == null || answer.status() == 204 ? new byte[0] : json.writeValueAsBytes(answer.body());
  }

  private void respond(HttpExchange exchange, SimAnswer answer) throws IOException {
    respond(exchange, answer, bytesOf(answer));
  }

  private void respond(HttpExchange exchange, SimAnswer answer, byte[] bytes) throws IOException {
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
