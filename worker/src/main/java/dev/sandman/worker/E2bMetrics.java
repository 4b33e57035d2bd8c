package dev.sandman.worker;

import dev.sandman.activities.E2bClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/** E2B call outcomes and latency: sandman_e2b_calls_total{operation,status} and sandman_e2b_call_seconds. */
public final class E2bMetrics implements E2bClient.Listener {
  private final MeterRegistry registry;

  public E2bMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void onCall(String operation, int status, Duration took) {
    Counter.builder("sandman_e2b_calls")
        .description("E2B API calls by operation and HTTP status (0: no answer)")
        .tag("operation", operation)
        .tag("status", Integer.toString(status))
        .register(registry)
        .increment();
    Timer.builder("sandman_e2b_call")
        .description("E2B API call latency")
        .tag("operation", operation)
        .publishPercentiles(0.5, 0.99)
        .register(registry)
        .record(took);
  }
}
