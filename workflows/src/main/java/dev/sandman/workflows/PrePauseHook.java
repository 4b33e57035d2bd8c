package dev.sandman.workflows;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/**
 * Asks the app's pre-pause hook through a durable activity, so a worker that dies mid-wait has the ask
 * retried elsewhere; whatever goes wrong becomes an answer ({@code failed}, {@code timeout}), never a
 * pause that waits for ever.
 */
final class PrePauseHook {
  /** Time beyond the hook's own wait for the activity to report back. */
  private static final Duration SLACK = Duration.ofSeconds(15);

  PrePauseAnswer ask(SandboxEvent pausing) {
    Duration wait = Duration.between(pausing.at(), pausing.deadline());
    PrePauseActivities hook = Workflow.newActivityStub(PrePauseActivities.class, ActivityOptions.newBuilder()
        .setStartToCloseTimeout(wait.plus(SLACK))
        .setScheduleToCloseTimeout(wait.plus(SLACK).multipliedBy(2))
        .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(2).build())
        .build());
    try {
      return hook.ask(pausing);
    } catch (ActivityFailure failure) {
      boolean timedOut = failure.getCause() instanceof TimeoutFailure;
      return PrePauseAnswer.reply(timedOut ? PrePauseAnswer.TIMEOUT : PrePauseAnswer.FAILED,
          timedOut ? "no answer in " + wait.toSeconds() + " s" : String.valueOf(failure.getCause() == null ? failure.getMessage() : failure.getCause().getMessage()));
    }
  }
}
