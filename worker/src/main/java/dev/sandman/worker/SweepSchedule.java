package dev.sandman.worker;

import dev.sandman.workflows.Sandman;
import dev.sandman.workflows.SweepOrder;
import dev.sandman.workflows.SweepWorkflow;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.ScheduleOverlapPolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleAlreadyRunningException;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.client.schedules.ScheduleIntervalSpec;
import io.temporal.client.schedules.ScheduleOptions;
import io.temporal.client.schedules.SchedulePolicy;
import io.temporal.client.schedules.ScheduleSpec;
import io.temporal.client.schedules.ScheduleUpdate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the sweep's Temporal Schedule ({@value Sandman#SWEEP_SCHEDULE_ID}) as the worker is configured:
 * created, or updated to the configured interval, at each worker start (so it survives restarts and shows
 * in the UI's Schedules); deleted when the sweep is off. A server without schedules (Temporal's Java test
 * server, dev mode) gets the same sweep started from this worker on a timer instead.
 */
final class SweepSchedule implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SweepSchedule.class);

  private final ScheduledExecutorService fallback;

  private SweepSchedule(ScheduledExecutorService fallback) {
    this.fallback = fallback;
  }

  static SweepSchedule keep(WorkflowClient client, String taskQueue, Duration every) {
    ScheduleClient schedules = ScheduleClient.newInstance(client.getWorkflowServiceStubs(),
        ScheduleClientOptions.newBuilder().setNamespace(client.getOptions().getNamespace()).build());
    try {
      if (every == null) {
        schedules.getHandle(Sandman.SWEEP_SCHEDULE_ID).delete();
        log.info("sweep off (SANDMAN_SWEEP_EVERY=off): schedule {} deleted", Sandman.SWEEP_SCHEDULE_ID);
        return new SweepSchedule(null);
      }
      Schedule schedule = schedule(taskQueue, every);
      try {
        schedules.createSchedule(Sandman.SWEEP_SCHEDULE_ID, schedule, ScheduleOptions.newBuilder().build());
        log.info("sweep scheduled every {} (Temporal Schedule {})", every, Sandman.SWEEP_SCHEDULE_ID);
      } catch (ScheduleAlreadyRunningException exists) {
        // the interval and the action as configured; paused or not as the operator left it (the UI's Pause)
        schedules.getHandle(Sandman.SWEEP_SCHEDULE_ID).update(input -> new ScheduleUpdate(
            Schedule.newBuilder(schedule).setState(input.getDescription().getSchedule().getState()).build()));
        log.info("sweep every {} (Temporal Schedule {} updated)", every, Sandman.SWEEP_SCHEDULE_ID);
      }
      return new SweepSchedule(null);
    } catch (RuntimeException e) {
      if (every == null && code(e) == Status.Code.NOT_FOUND) {
        return new SweepSchedule(null); // off, and nothing to delete
      }
      if (code(e) != Status.Code.UNIMPLEMENTED) {
        log.warn("the sweep's schedule could not be kept ({}); the sweep does not run from this worker", e.toString());
        return new SweepSchedule(null);
      }
      if (every == null) {
        return new SweepSchedule(null);
      }
      log.info("this Temporal server has no schedules: the sweep runs from this worker every {}", every);
      return new SweepSchedule(timer(client, taskQueue, every));
    }
  }

  private static Schedule schedule(String taskQueue, Duration every) {
    return Schedule.newBuilder()
        .setAction(ScheduleActionStartWorkflow.newBuilder()
            .setWorkflowType(SweepWorkflow.class)
            .setArguments(SweepOrder.scheduled())
            .setOptions(WorkflowOptions.newBuilder().setWorkflowId(Sandman.SWEEP_SCHEDULE_ID).setTaskQueue(taskQueue).build())
            .build())
        .setSpec(ScheduleSpec.newBuilder().setIntervals(List.of(new ScheduleIntervalSpec(every))).build())
        .setPolicy(SchedulePolicy.newBuilder().setOverlap(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP).build())
        .build();
  }

  private static ScheduledExecutorService timer(WorkflowClient client, String taskQueue, Duration every) {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "sandman-sweep-timer");
      thread.setDaemon(true);
      return thread;
    });
    timer.scheduleAtFixedRate(() -> {
      try {
        SweepWorkflow sweep = client.newWorkflowStub(SweepWorkflow.class, WorkflowOptions.newBuilder()
            .setWorkflowId(Sandman.SWEEP_SCHEDULE_ID + "-" + System.currentTimeMillis() / 1000).setTaskQueue(taskQueue).build());
        WorkflowClient.start(sweep::run, SweepOrder.scheduled());
      } catch (RuntimeException e) {
        log.warn("the sweep could not start: {}", e.toString());
      }
    }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    return timer;
  }

  private static Status.Code code(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StatusRuntimeException status) {
        return status.getStatus().getCode();
      }
    }
    return null;
  }

  @Override
  public void close() {
    if (fallback != null) {
      fallback.shutdownNow();
    }
  }
}
