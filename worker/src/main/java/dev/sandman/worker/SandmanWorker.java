package dev.sandman.worker;

import dev.sandman.activities.E2bClient;
import dev.sandman.activities.E2bSandboxActivities;
import dev.sandman.activities.WebhookActivities;
import dev.sandman.workflows.EventActivities;
import dev.sandman.workflows.OperatorActivities;
import dev.sandman.workflows.CreateSandboxWorkflowImpl;
import dev.sandman.workflows.ProjectWorkflowImpl;
import dev.sandman.activities.PrePauseHookActivities;
import dev.sandman.workflows.PrePauseActivities;
import dev.sandman.workflows.SandboxActivities;
import dev.sandman.workflows.SweepActivities;
import dev.sandman.workflows.SweepWorkflowImpl;
import io.temporal.failure.ApplicationFailure;
import dev.sandman.workflows.SandboxWorkflowImpl;
import io.micrometer.core.instrument.MeterRegistry;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running Sandman worker: the sandbox workflow and the E2B activities on one task queue. */
public final class SandmanWorker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SandmanWorker.class);

  /** How long a stopping worker lets its tasks in progress finish: keep a deployment's stop grace above it. */
  public static final Duration DRAIN = Duration.ofSeconds(30);

  private final WorkerFactory factory;
  private final WorkerConfig config;
  private final SweepSchedule sweep;

  private SandmanWorker(WorkerFactory factory, WorkerConfig config, SweepSchedule sweep) {
    this.factory = factory;
    this.config = config;
    this.sweep = sweep;
  }

  /** Registers what a Sandman worker runs on a worker, without a pre-pause hook or a sweep (tests). */
  public static void register(Worker worker, SandboxActivities e2b, OperatorActivities operator, EventActivities events) {
    register(worker, e2b, operator, events, noHook(), order -> {
      throw ApplicationFailure.newNonRetryableFailure("this worker does not sweep", "SWEEP_OFF");
    });
  }

  /** Registers what a Sandman worker runs on a worker (also used by tests and dev mode). */
  public static void register(Worker worker, SandboxActivities e2b, OperatorActivities operator, EventActivities events,
      PrePauseActivities prePause, SweepActivities sweep) {
    worker.registerWorkflowImplementationTypes(SandboxWorkflowImpl.class, ProjectWorkflowImpl.class,
        CreateSandboxWorkflowImpl.class, SweepWorkflowImpl.class);
    worker.registerActivitiesImplementations(e2b, operator, events, prePause, sweep);
  }

  /** The hook, or (none configured) an implementation the workflow never calls. */
  static PrePauseActivities prePause(WorkerConfig config) {
    return config.prePause() == null ? noHook()
        : new PrePauseHookActivities(config.prePause().url(), config.prePause().secret(), java.time.Clock.systemUTC());
  }

  private static PrePauseActivities noHook() {
    return event -> {
      throw ApplicationFailure.newNonRetryableFailure("no pre-pause hook configured", "PRE_PAUSE_OFF");
    };
  }

  /** Webhook deliveries, or (none configured) an implementation the workflow never calls. */
  static EventActivities events(WorkerConfig config, MeterRegistry registry) {
    if (config.webhookUrls().isEmpty()) {
      return event -> {
        throw ApplicationFailure.newNonRetryableFailure("no webhooks configured", "WEBHOOKS_OFF");
      };
    }
    return new WebhookActivities(config.webhookUrls(), config.webhookSecrets(), java.time.Clock.systemUTC(),
        (type, ok) -> {
          if (registry != null) {
            registry.counter("sandman_events_delivered", "type", type, "outcome", ok ? "ok" : "failed").increment();
          }
        });
  }

  public static SandmanWorker start(WorkflowClient client, WorkerConfig config, MeterRegistry registry) {
    if (config.futexHashSlots() > 0) {
      FutexHash.Outcome futex = FutexHash.grow(config.futexHashSlots());
      if (futex.changed()) {
        log.info("{} (SANDMAN_FUTEX_HASH_SLOTS), for up to {} parked workflow threads", futex.detail(), config.maxWorkflowThreads());
      } else if (futex.before() > 0 && futex.before() < config.futexHashSlots()) {
        log.warn("{}: many cached workflows will make signals and timers slow (SANDMAN_FUTEX_HASH_SLOTS)", futex.detail());
      }
    }
    WorkerFactory factory =
        WorkerFactory.newInstance(
            client,
            WorkerFactoryOptions.newBuilder()
                .setWorkflowCacheSize(config.workflowCacheSize())
                .setMaxWorkflowThreadCount(config.maxWorkflowThreads())
                .setUsingVirtualWorkflowThreads(config.virtualWorkflowThreads())
                .build());
    Worker worker =
        factory.newWorker(
            config.taskQueue(),
            WorkerOptions.newBuilder()
                .setMaxConcurrentWorkflowTaskExecutionSize(config.maxConcurrentWorkflowTasks())
                .setMaxConcurrentActivityExecutionSize(config.maxConcurrentActivities())
                .setMaxConcurrentWorkflowTaskPollers(config.workflowPollers())
                .setMaxConcurrentActivityTaskPollers(config.activityPollers())
                .build());
    E2bClient e2b = new E2bClient(config.e2b(), registry == null ? (o, s, t) -> {} : new E2bMetrics(registry));
    WorkerOperatorActivities operator = new WorkerOperatorActivities(config.operator(), client, config.taskQueue());
    register(worker, new E2bSandboxActivities(e2b), operator, events(config, registry), prePause(config),
        new FleetSweep(e2b, client, operator::track, config.sweep(), java.time.Clock.systemUTC()));
    factory.start();
    log.info("worker polling task queue '{}', E2B at {}", config.taskQueue(), config.e2b().baseUrl());
    return new SandmanWorker(factory, config, SweepSchedule.keep(client, config.taskQueue(), config.sweep().every()));
  }

  public boolean isRunning() {
    return factory.isStarted() && !factory.isShutdown();
  }

  public WorkerConfig config() {
    return config;
  }

  /** Stops polling, lets tasks in progress finish (up to the grace period), then returns. */
  public void shutdown(Duration grace) {
    sweep.close();
    factory.shutdown();
    factory.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Stops at once, interrupting tasks in progress: what a crash looks like to Temporal (tests use it). */
  public void kill() {
    sweep.close();
    factory.shutdownNow();
    factory.awaitTermination(5, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    shutdown(DRAIN);
  }
}
