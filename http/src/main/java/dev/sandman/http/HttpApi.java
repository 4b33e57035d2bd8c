package dev.sandman.http;

import dev.sandman.http.Wire.Reply;
import dev.sandman.starter.SandmanClient;
import dev.sandman.starter.SandmanException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.time.Clock;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sandman's HTTP API (see {@code GET /openapi.json}). JSON in and out, durations ISO-8601, times
 * RFC 3339, errors {@code {error, message, field?}}; bad input is answered 4xx before anything is
 * changed, and nothing a client sends yields a 500.
 *
 * <p>On Jetty: headers and bodies are read without holding a thread (a slow or idle client costs a
 * connection), a request runs on a bounded pool of API workers only once its body is in (a full pool
 * answers 503), and health, metrics and the OpenAPI document are answered on the I/O thread so they
 * stay up whatever the API workers are doing.
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

  /**
   * Where to listen, which tokens to accept (a null token disables that caller), the secrets that sign
   * browser tokens (none: browser tokens off; the first signs, all verify), the browser origins allowed
   * (CORS), and the bounds on work.
   */
  public record Config(String host, int port, String adminToken, String appToken, int maxBodyBytes,
      Bounds bounds, List<String> browserSecrets, List<String> corsOrigins, List<String> e2bWebhookSecrets) {
    public static final int DEFAULT_MAX_BODY = 64 * 1024;

    public Config(String host, int port, String adminToken, String appToken, int maxBodyBytes) {
      this(host, port, adminToken, appToken, maxBodyBytes, Bounds.DEFAULT, List.of(), List.of(), List.of());
    }

    public Config withBounds(Bounds newBounds) {
      return new Config(host, port, adminToken, appToken, maxBodyBytes, newBounds, browserSecrets, corsOrigins, e2bWebhookSecrets);
    }

    public Config withBrowsers(List<String> secrets, List<String> origins) {
      return new Config(host, port, adminToken, appToken, maxBodyBytes, bounds, List.copyOf(secrets), List.copyOf(origins),
          e2bWebhookSecrets);
    }

    /** The secrets E2B signs its lifecycle webhooks with (none: {@code POST /v1/e2b/events} is off). */
    public Config withE2bWebhooks(List<String> secrets) {
      return new Config(host, port, adminToken, appToken, maxBodyBytes, bounds, browserSecrets, corsOrigins, List.copyOf(secrets));
    }
  }

  /**
   * How much work slow or many clients can cause: API workers and requests waiting for one, open
   * connections, how long a connection may sit idle, and the slowest body upload accepted.
   */
  public record Bounds(int workers, int waiting, int connections, long idleMillis, long minBytesPerSecond) {
    public static final Bounds DEFAULT = new Bounds(256, 1024, 10_000, 30_000, 256);
  }

  private final Routes routes;
  private final E2bEvents e2bEvents;
  private final Auth auth;
  private final Cors cors;
  private final ScheduledExecutorService streamTimers;
  private final AtomicInteger openStreams = new AtomicInteger();
  private final Config config;
  private final PrometheusMeterRegistry registry;
  private final RequestMetrics metrics;
  private final Server server;
  private final ServerConnector connector;
  private final ThreadPoolExecutor workers;
  private final byte[] openApi;
  private final Console console = new Console();
  private final io.temporal.serviceclient.WorkflowServiceStubs temporalService;

  private HttpApi(SandmanClient client, Config config, PrometheusMeterRegistry registry) throws IOException {
    this.config = config;
    this.registry = registry;
    this.metrics = new RequestMetrics(registry);
    BrowserTokens browserTokens = config.browserSecrets().isEmpty() ? null : new BrowserTokens(config.browserSecrets(), Clock.systemUTC());
    this.auth = new Auth(config.adminToken(), config.appToken(), browserTokens);
    this.cors = new Cors(config.corsOrigins());
    this.streamTimers = Executors.newScheduledThreadPool(1, r -> {
      Thread t = new Thread(r, "sandman-sse");
      t.setDaemon(true);
      return t;
    });
    Counter dropped = Counter.builder("sandman_http_stream_viewers_dropped")
        .description("event stream viewers dropped for falling behind").register(registry);
    Gauge.builder("sandman_http_streams_open", openStreams, AtomicInteger::get).description("event streams open").register(registry);
    this.e2bEvents = new E2bEvents(client, config.e2bWebhookSecrets(), Clock.systemUTC());
    this.temporalService = client.temporal().getWorkflowServiceStubs();
    this.routes = new Endpoints(client, browserTokens, () -> new EventStream(streamTimers, openStreams, dropped::increment)).routes();
    try (InputStream in = HttpApi.class.getResourceAsStream("/openapi.json")) {
      this.openApi = in.readAllBytes();
    }
    Bounds bounds = config.bounds();
    AtomicInteger threads = new AtomicInteger();
    this.workers = new ThreadPoolExecutor(Math.min(16, bounds.workers()), bounds.workers(), 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(bounds.waiting()), r -> {
          Thread t = new Thread(r, "sandman-api-" + threads.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    QueuedThreadPool io = new QueuedThreadPool(32, 4);
    io.setName("sandman-http");
    io.setDaemon(true);
    this.server = new Server(io);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendDateHeader(false);
    http.setUriCompliance(UriCompliance.UNSAFE); // the API parses and validates raw paths itself
    http.setMinRequestDataRate(bounds.minBytesPerSecond());
    this.connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setHost(config.host());
    connector.setPort(config.port());
    connector.setIdleTimeout(bounds.idleMillis());
    server.addConnector(connector);
    server.addBean(new NetworkConnectionLimit(bounds.connections(), server));
    server.setErrorHandler(new JsonErrors());
    server.setHandler(new Handler.Abstract.NonBlocking() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        receive(request, response, callback);
        return true;
      }
    });
  }

  public static HttpApi start(SandmanClient client, Config config, PrometheusMeterRegistry registry) throws IOException {
    HttpApi api = new HttpApi(client, config, registry);
    try {
      api.server.start();
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("could not start the HTTP API on " + config.host() + ":" + config.port(), e);
    }
    log.info("HTTP API on http://{}:{}", config.host(), api.port());
    return api;
  }

  public int port() {
    return connector.getLocalPort();
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      log.debug("stopping the HTTP API: {}", e.toString());
    }
    workers.shutdown();
    streamTimers.shutdownNow();
  }

  /** Exposed for the CLI and tests: the registry the API records into. */
  public MeterRegistry registry() {
    return registry;
  }

  // ---- one request ------------------------------------------------------------------------

  private static final Set<String> PLAIN = Set.of("/healthz", "/readyz", "/metrics", "/openapi.json");
  static final String E2B_EVENTS = "/v1/e2b/events";
  /** How long a readiness probe waits for Temporal. */
  private static final java.time.Duration READY_WITHIN = java.time.Duration.ofSeconds(2);

  private void receive(Request request, Response response, Callback callback) {
    long started = System.nanoTime();
    String method = request.getMethod();
    String rawPath = request.getHttpURI().getPath();
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    cors.addTo(response.getHeaders(), origin);
    if (rawPath != null && PLAIN.contains(rawPath)) {
      answer(request, response, callback, started, rawPath, guarded(() -> plain(method, rawPath)));
      return;
    }
    Console.Asset asset = console.at(rawPath);
    if (asset != null && (method.equals("GET") || method.equals("HEAD"))) {
      response.getHeaders().put("Content-Security-Policy", Console.POLICY);
      response.getHeaders().put("Referrer-Policy", "no-referrer");
      response.getHeaders().put("X-Frame-Options", "DENY");
      answer(request, response, callback, started, "/console", new Reply(200, asset.bytes(), asset.contentType()));
      return;
    }
    Routes.Match match;
    Map<String, String> query;
    try {
      match = routes.match(rawPath);
      query = Wire.query(request.getHttpURI().getQuery());
    } catch (ApiException e) {
      answer(request, response, callback, started, "unmatched", failure(e));
      return;
    }
    String route = match.label();
    if (method.equals("OPTIONS") && origin != null && request.getHeaders().get("Access-Control-Request-Method") != null) {
      answer(request, response, callback, started, route, preflight(origin, response));
      return;
    }
    if (match.route() == null) {
      answer(request, response, callback, started, route, failure(ApiException.notFound()));
      return;
    }
    // a body somewhat over the limit is read and dropped, so the client hears its 413 (not a reset)
    int readable = config.maxBodyBytes() * 16;
    if (request.getLength() > readable) {
      answer(request, response, callback, started, route, failure(tooLarge()));
      return;
    }
    Content.Source.asByteArrayAsync(request, readable).whenComplete((body, failed) -> {
      if (failed != null || body.length > config.maxBodyBytes()) {
        answer(request, response, callback, started, route, failure(tooLarge()));
        return;
      }
      Call call = new Call(method, query, name -> request.getHeaders().get(name), body);
      try {
        workers.execute(() -> answer(request, response, callback, started, route, guarded(() -> dispatch(call, match))));
      } catch (RejectedExecutionException busy) {
        answer(request, response, callback, started, route,
            Reply.json(503, new ApiError("unavailable", "the API is busy; try again", null)));
      }
    });
  }

  private Reply preflight(String origin, Response response) {
    if (!cors.allows(origin)) {
      return Reply.json(403, new ApiError("forbidden", "origin " + Body.printable(origin) + " is not allowed (SANDMAN_CORS_ORIGINS)", null));
    }
    cors.addPreflight(response.getHeaders());
    return new Reply(204, new byte[0], "text/plain");
  }

  private Reply plain(String method, String path) {
    if (!method.equals("GET")) {
      throw ApiException.notAllowed("GET");
    }
    return switch (path) {
      case "/healthz" -> Reply.json(200, Map.of("status", "ok"));
      case "/readyz" -> dev.sandman.workflows.Executions.reachable(temporalService, READY_WITHIN)
          ? Reply.json(200, Map.of("status", "ready"))
          : Reply.json(503, Map.of("status", "not ready", "reason", "Temporal does not answer"));
      case "/metrics" -> new Reply(200, registry.scrape(), "text/plain; version=0.0.4; charset=utf-8");
      default -> new Reply(200, openApi, "application/json");
    };
  }

  private Reply dispatch(Call call, Routes.Match match) {
    if (match.route().template().equals(E2B_EVENTS)) { // E2B signs its webhooks; it holds no token of ours
      if (!call.method().equals("POST")) {
        throw ApiException.notAllowed("POST");
      }
      return e2bEvents.receive(call);
    }
    Map<String, String> query = new java.util.HashMap<>(call.query());
    String accessToken = query.remove("access_token");
    Auth.Principal caller = auth.authenticate(call.header("Authorization"), call.header("X-Sandman-User"), accessToken);
    Routes.Handler handler = match.route().methods().get(call.method());
    if (handler == null) {
      throw ApiException.notAllowed(match.route().allowed());
    }
    if (call.body().length > 0 && !isJson(call.header("Content-Type"))) {
      throw new ApiException(415, "unsupported_media_type", "send the body as Content-Type: application/json", "Content-Type");
    }
    return handler.handle(caller, new Call(call.method(), query, call.headers(), call.body()), match.params());
  }

  /** JSON, or no type at all (curl -d sends form-encoded unless told; an absent type is taken as JSON). */
  private static boolean isJson(String contentType) {
    if (contentType == null || contentType.isBlank()) {
      return true;
    }
    String type = contentType.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
    return type.equals("application/json") || type.endsWith("+json");
  }

  private interface Work {
    Reply run();
  }

  /** The work's answer, or the error it raised as an answer: never an exception out of here. */
  private static Reply guarded(Work work) {
    try {
      return work.run();
    } catch (ApiException e) {
      return failure(e);
    } catch (SandmanException e) {
      return fromSandman(e);
    } catch (RuntimeException e) {
      log.error("unexpected failure", e);
      return Reply.json(500, new ApiError("internal", "internal error", null));
    }
  }

  private void answer(Request request, Response response, Callback callback, long started, String route, Reply reply) {
    if (reply.body() instanceof EventStream stream) {
      response.setStatus(200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      response.getHeaders().put("X-Accel-Buffering", "no"); // proxies pass events on at once
      metrics.record(route, request.getMethod(), 200, System.nanoTime() - started);
      request.addFailureListener(stream::fail);
      stream.start(response::write, callback);
      return;
    }
    byte[] bytes;
    try {
      bytes = Wire.bytes(reply);
    } catch (IOException | RuntimeException e) {
      log.error("could not write an answer", e);
      reply = Reply.json(500, new ApiError("internal", "internal error", null));
      bytes = "{\"error\":\"internal\",\"message\":\"internal error\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    response.setStatus(reply.status());
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.write(true, ByteBuffer.wrap(bytes), callback);
    metrics.record(route, request.getMethod(), reply.status(), System.nanoTime() - started);
  }

  private static Reply failure(ApiException e) {
    return Reply.json(e.status, new ApiError(e.error, e.getMessage(), e.field));
  }

  private ApiException tooLarge() {
    return new ApiException(413, "payload_too_large", "request body is larger than " + config.maxBodyBytes() + " bytes", null);
  }

  private static Reply fromSandman(SandmanException e) {
    return switch (e.kind()) {
      case INVALID_ARGUMENT -> Reply.json(400, new ApiError("invalid_argument", e.getMessage(), e.field()));
      case NOT_FOUND -> Reply.json(404, new ApiError("not_found", e.getMessage(), null));
      case CONFLICT -> Reply.json(409, new ApiError("conflict", e.getMessage(), null));
      case E2B_FAILED -> Reply.json(502, new ApiError("e2b_failed", e.getMessage(), null));
      case UNAVAILABLE -> Reply.json(503, new ApiError("unavailable", e.getMessage(), null));
    };
  }
}
