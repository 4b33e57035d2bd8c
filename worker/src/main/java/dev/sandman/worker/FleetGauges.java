package dev.sandman.worker;

import dev.sandman.workflows.Executions;
import dev.sandman.workflows.Sandman;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.StatusMemo;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet as gauges, for dashboards and alerts: {@code sandman_sandboxes{state}} and
 * {@code sandman_sandboxes_overdue} (RUNNING more than a minute past its pause deadline), counted from
 * the open workflows' published status (visibility and memos: no Temporal Actions; on the Java test server,
 * whose listing has no memos, a describe each) every {@code every}.
 * Every worker counts the same fleet: take the max across workers.
 */
public final class FleetGauges implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FleetGauges.class);
  /** Past its deadline by more than this, a running sandbox counts as overdue (normal lateness is seconds). */
  static final Duration OVERDUE = Duration.ofMinutes(1);
  /**
   * How often, by default: each pass lists every open workflow, which on SQL visibility under load took
   * seconds a page (the cluster tier); every minute from three workers slowed the visibility store for all.
   */
  public static final Duration EVERY = Duration.ofMinutes(5);

  private final Map<SandboxState, AtomicLong> byState = new EnumMap<>(SandboxState.class);
  private final AtomicLong overdue = new AtomicLong();
  private final WorkflowServiceStubs stubs;
  private final String namespace;
  private final Clock clock;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread thread = new Thread(r, "sandman-fleet-gauges");
    thread.setDaemon(true);
    return thread;
  });

  public FleetGauges(WorkflowServiceStubs stubs, String namespace, MeterRegistry registry, Clock clock) {
    this.stubs = stubs;
    this.namespace = namespace;
    this.clock = clock;
    for (SandboxState state : SandboxState.values()) {
      AtomicLong count = new AtomicLong();
      byState.put(state, count);
      Gauge.builder("sandman_sandboxes", count, AtomicLong::get).description("open sandboxes by state")
          .tag("state", state.name()).strongReference(true).register(registry);
    }
    Gauge.builder("sandman_sandboxes_overdue", overdue, AtomicLong::get).strongReference(true)
        .description("sandboxes RUNNING more than a minute past their pause deadline").register(registry);
  }

  /** Counts every {@code interval}, the first time within a minute: workers started together list at different moments. */
  public FleetGauges every(Duration interval) {
    long first = java.util.concurrent.ThreadLocalRandom.current().nextLong(Math.min(interval.toMillis(), 60_000) + 1);
    timer.scheduleWithFixedDelay(this::countSafely, first, interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  void countSafely() {
    try {
      count();
    } catch (RuntimeException e) {
      log.warn("fleet gauges: cannot list open sandboxes: {}", e.toString());
    }
  }

  /** One pass over the open sandbox workflows. */
  void count() {
    Map<SandboxState, Long> counted = new EnumMap<>(SandboxState.class);
    long[] late = {0};
    Instant overdueBefore = clock.instant().minus(OVERDUE);
    Executions.open(stubs, namespace, Executions.SCAN_PAGE, page -> page.forEach(info -> {
      if (!Sandman.WORKFLOW_TYPE.equals(info.getType().getName())) {
        return;
      }
      Optional<SandboxStatus> status = StatusMemo.read(info.getMemo()).or(() -> describedStatus(info));
      status.ifPresent(s -> {
        counted.merge(s.state(), 1L, Long::sum);
        if (s.state() == SandboxState.RUNNING && s.pauseDeadline() != null && s.pauseDeadline().isBefore(overdueBefore)) {
          late[0]++;
        }
      });
    }));
    byState.forEach((state, gauge) -> gauge.set(counted.getOrDefault(state, 0L)));
    overdue.set(late[0]);
  }

  /** Temporal's Java test server (dev mode) lists executions without their memos: ask for this one's. */
  private Optional<SandboxStatus> describedStatus(WorkflowExecutionInfo listed) {
    try {
      return Executions.describe(stubs, namespace, listed.getExecution()).flatMap(info -> StatusMemo.read(info.getMemo()));
    } catch (RuntimeException unreachable) {
      return Optional.empty();
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
