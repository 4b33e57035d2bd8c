package dev.sandman.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sandman.starter.SandmanClient;
import dev.sandman.starter.SandmanException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import dev.sandman.http.Wire.Reply;
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
  static {
    // without it the JDK server waits on delayed ACKs (~40 ms per small answer)
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  /** Where to listen and which tokens to accept; a null token disables that kind of caller. */
  public record Config(String host, int port, String adminToken, String appToken, int maxBodyBytes) {
    public static final int DEFAULT_MAX_BODY = 64 * 1024;
  }

  private final Endpoints endpoints;
  private final Auth auth;
  private final Config config;
  private final PrometheusMeterRegistry registry;
  private final HttpServer server;
  private final ThreadPoolExecutor executor;
  private final byte[] openApi;
  private HttpApi(SandmanClient client, Config config, PrometheusMeterRegistry registry) throws IOException {
    this.endpoints = new Endpoints(client, config.maxBodyBytes());
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

  private void handle(HttpExchange exchange) {
    long started = System.nanoTime();
    String route = "unmatched";
    Reply reply;
    try (exchange) {
      try {
        String method = exchange.getRequestMethod();
        List<String> path = Wire.segments(exchange.getRequestURI().getRawPath());
        route = Wire.routeName(path);
        reply = dispatch(exchange, method, path);
      } catch (ApiException e) {
        reply = Reply.json(e.status, new ApiError(e.error, e.getMessage(), e.field));
      } catch (SandmanException e) {
        reply = fromSandman(e);
      } catch (RuntimeException e) {
        log.error("unexpected failure handling {} {}", exchange.getRequestMethod(), route, e);
        reply = Reply.json(500, new ApiError("internal", "internal error", null));
      }
      Wire.send(exchange, reply);
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
    if (path.size() == 1 && Set.of("healthz", "metrics", "openapi.json").contains(path.get(0))) {
      Endpoints.requireMethod(method, "GET", true);
      return switch (path.get(0)) {
        case "healthz" -> Reply.json(200, Map.of("status", "ok"));
        case "metrics" -> new Reply(200, registry.scrape(), "text/plain; version=0.0.4; charset=utf-8");
        default -> new Reply(200, openApi, "application/json");
      };
    }
    if (!Endpoints.serves(path)) {
      throw ApiException.notFound();
    }
    Auth.Principal caller = auth.authenticate(
        exchange.getRequestHeaders().getFirst("Authorization"),
        exchange.getRequestHeaders().getFirst("X-Sandman-User"));
    return endpoints.handle(caller, exchange, method, path);
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

  /** Exposed for the CLI and tests: the registry the API records into. */
  public MeterRegistry registry() {
    return registry;
  }
}
