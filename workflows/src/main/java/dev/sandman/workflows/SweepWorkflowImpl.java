package dev.sandman.workflows;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/**
 * A sweep is one activity: its list of E2B's sandboxes is too large for history, and each step it takes
 * (a notice, a track, a kill) is idempotent, so a retry simply sweeps again. A run costs 2 Actions (its
 * start and the activity) plus one per sandbox acted on.
 */
public class SweepWorkflowImpl implements SweepWorkflow {
  private final SweepActivities fleet = Workflow.newActivityStub(SweepActivities.class, ActivityOptions.newBuilder()
      .setStartToCloseTimeout(Duration.ofMinutes(30))
      .setHeartbeatTimeout(Duration.ofMinutes(2))
      .setRetryOptions(RetryOptions.newBuilder()
          .setInitialInterval(Duration.ofSeconds(10))
          .setMaximumInterval(Duration.ofMinutes(2))
          .setMaximumAttempts(4)
          .setDoNotRetry(FailureType.INVALID_ARGUMENT.name())
          .build())
      .build());

  @Override
  public SweepReport run(SweepOrder order) {
    return fleet.sweep(order);
  }
}
