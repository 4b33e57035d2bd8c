package dev.sandman.worker;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.stream.Stream;

/** The Prometheus registry every Sandman process exports, with the Temporal SDK's latency histograms kept coarse. */
public final class Metrics {
  private Metrics() {}

  /** Enough to tell milliseconds from seconds from a minute; the SDK's own ~20 buckets per series made a scrape ~1 MB. */
  private static final double[] COARSE_NANOS = Stream.of(Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofSeconds(1),
      Duration.ofSeconds(10), Duration.ofMinutes(1)).mapToDouble(Duration::toNanos).toArray();

  private static final double[] LATENESS_NANOS = Stream.of(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(15),
      Duration.ofMinutes(1), Duration.ofMinutes(5)).mapToDouble(Duration::toNanos).toArray();

  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (id.getName().equals("sandman_pause_lateness")) { // seconds matter here: buckets for an alert's "late by a minute"
          return DistributionStatisticConfig.builder().percentilesHistogram(false).serviceLevelObjectives(LATENESS_NANOS)
              .build().merge(config);
        }
        if (id.getName().startsWith("temporal_") && id.getType() == Meter.Type.TIMER) {
          return DistributionStatisticConfig.builder().percentilesHistogram(false).serviceLevelObjectives(COARSE_NANOS)
              .build().merge(config);
        }
        return config;
      }
    });
    return registry;
  }
}
