package dev.sandman.worker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The worker's own small HTTP server: GET /healthz (alive: the worker polls), GET /readyz (and Temporal
 * answers: what a readiness probe asks) and GET /metrics (Prometheus text).
 */
public final class HttpEndpoints implements AutoCloseable {
  static {
    // without it the JDK server waits on delayed ACKs (~40 ms per small answer)
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private final HttpServer server;

  public HttpEndpoints(String host, int port, PrometheusMeterRegistry registry, BooleanSupplier healthy)
      throws IOException {
    this(host, port, registry, healthy, healthy);
  }

  public HttpEndpoints(String host, int port, PrometheusMeterRegistry registry, BooleanSupplier healthy, BooleanSupplier ready)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 16);
    server.setExecutor(Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "sandman-worker-http");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/healthz", exchange -> {
      boolean ok = healthy.getAsBoolean();
      send(exchange, ok ? 200 : 503, "application/json", ok ? "{\"status\":\"ok\"}" : "{\"status\":\"stopping\"}");
    });
    server.createContext("/readyz", exchange -> {
      boolean ok = ready.getAsBoolean();
      send(exchange, ok ? 200 : 503, "application/json", ok ? "{\"status\":\"ready\"}" : "{\"status\":\"not ready\"}");
    });
    server.createContext("/metrics", exchange ->
        send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
    try (exchange) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
