package dev.sandman.worker;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code sandman worker}: runs until SIGTERM/SIGINT, then drains in-flight tasks and exits. */
public final class WorkerMain {
  private static final Logger log = LoggerFactory.getLogger(WorkerMain.class);

  private WorkerMain() {}

  public static void main(String[] args) throws Exception {
    System.exit(run(Env.system()));
  }

  public static int run(Env env) throws Exception {
    WorkerConfig config;
    Duration gaugesEvery; // null: off
    try {
      config = WorkerConfig.fromEnv(env);
      gaugesEvery = "off".equals(env.get("SANDMAN_FLEET_GAUGES_EVERY", null)) ? null
          : env.getDuration("SANDMAN_FLEET_GAUGES_EVERY", FleetGauges.EVERY);
    } catch (Env.ConfigException e) {
      System.err.println("sandman worker: " + e.getMessage());
      return 2;
    }
    if (!config.e2b().hasApiKey()) {
      log.warn("E2B_API_KEY is not set: E2B will refuse every call");
    }
    PrometheusMeterRegistry registry = dev.sandman.worker.Metrics.newRegistry();
    TemporalConnection temporal = TemporalConnection.connect(env.asMap(), registry);
    SandmanWorker worker = SandmanWorker.start(temporal.client(), config, registry);
    FleetGauges gauges = gaugesEvery == null ? null
        : new FleetGauges(temporal.client().getWorkflowServiceStubs(), temporal.client().getOptions().getNamespace(),
            registry, java.time.Clock.systemUTC()).every(gaugesEvery);
    HttpEndpoints http =
        config.healthPort() > 0
            ? new HttpEndpoints(config.healthHost(), config.healthPort(), registry, worker::isRunning,
                () -> worker.isRunning() && dev.sandman.workflows.Executions.reachable(
                    temporal.client().getWorkflowServiceStubs(), java.time.Duration.ofSeconds(2)))
            : null;
    if (http != null) {
      log.info("health and metrics on http://{}:{}/healthz and /metrics", config.healthHost(), http.port());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("stopping: finishing tasks in progress");
      if (gauges != null) {
        gauges.close();
      }
      worker.shutdown(SandmanWorker.DRAIN);
      if (http != null) {
        http.close();
      }
      temporal.close();
      stopped.countDown();
    }, "sandman-shutdown"));
    stopped.await();
    return 0;
  }
}
