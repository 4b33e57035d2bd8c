package dev.sandman.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code sandman_http_requests}, labelled only with values from fixed sets, so no request (with or
 * without a token) can grow the series: the route template ({@code unmatched} for anything else), the
 * method ({@code OTHER} beyond the HTTP methods the API knows) and the status.
 */
final class RequestMetrics {
  private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS");

  private final MeterRegistry registry;

  RequestMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void record(String route, String method, int status, long nanos) {
    Timer.builder("sandman_http_requests")
        .tag("route", route)
        .tag("method", METHODS.contains(method) ? method : "OTHER")
        .tag("status", Integer.toString(status < 100 || status > 599 ? 0 : status))
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }
}
