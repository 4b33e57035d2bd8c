package dev.sandman.workflows;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;

/**
 * Carries out a {@link Step}'s call to E2B through activities and answers what E2B said: its view of
 * the sandbox, or the failure as a {@link LastError} typed by {@link FailureType}.
 */
final class E2bCalls {
  /** E2B's view on success, else the error. */
  record Answer(E2bView view, LastError error) {}

  /**
   * E2B calls heartbeat every 2 s: a call whose worker died, or whose task never reached a worker (a
   * poll cut by a shutdown or a server restart), is retried elsewhere after this, not after its
   * start-to-close timeout (minutes). It stays above every retry wait (15 s backoff cap, 15 s Retry-After
   * cap): Temporal's Java test server times out an attempt that is waiting for its retry when the old
   * attempt's heartbeat timer fires first, and loses a time-skipping lock doing so. 90 s made pauses
   * in flight through a worker restart 70 to 110 s late on the cluster tier.
   */
  static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(20);

  /** Quick calls: describe, connect, kill, set timeout. */
  private final SandboxActivities quick = stub(Duration.ofMinutes(2), Duration.ofMinutes(10));
  /** A pause snapshots memory (about 4 s per GiB): a longer attempt, the same retry budget. */
  private final SandboxActivities pausing = stub(Duration.ofMinutes(6), Duration.ofMinutes(15));

  private static SandboxActivities stub(Duration attempt, Duration total) {
    return Workflow.newActivityStub(SandboxActivities.class, ActivityOptions.newBuilder()
        .setStartToCloseTimeout(attempt)
        .setHeartbeatTimeout(HEARTBEAT_TIMEOUT)
        .setScheduleToCloseTimeout(total)
        .setRetryOptions(RetryOptions.newBuilder()
            .setInitialInterval(Duration.ofSeconds(1))
            .setBackoffCoefficient(2)
            .setMaximumInterval(Duration.ofSeconds(15))
            .setDoNotRetry(FailureType.SANDBOX_GONE.name(), FailureType.E2B_REJECTED.name())
            .build())
        .build());
  }

  /** The CPU reading is a hint: one quick try, and no reading (the sandbox counts as quiet) if E2B cannot say. */
  private final SandboxActivities hint = Workflow.newActivityStub(SandboxActivities.class, ActivityOptions.newBuilder()
      .setStartToCloseTimeout(Duration.ofSeconds(20))
      .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(2).build())
      .build());

  CpuReading cpu(String sandboxId, long windowSeconds) {
    try {
      return hint.cpu(sandboxId, windowSeconds);
    } catch (ActivityFailure failure) {
      Workflow.getLogger(E2bCalls.class).warn("sandbox {}: E2B metrics unreadable ({}); counted as quiet", sandboxId, message(failure));
      return null;
    }
  }

  Answer call(Step step, String sandboxId, long backstopSeconds) {
    try {
      E2bView view = switch (step.kind()) {
        case PAUSE -> pausing.pause(sandboxId);
        case RESUME -> quick.connect(sandboxId, backstopSeconds);
        case KILL -> quick.kill(sandboxId);
        case EXTEND_BACKSTOP -> quick.setTimeout(sandboxId, backstopSeconds);
        case LOOK -> quick.describe(sandboxId);
        default -> throw new IllegalArgumentException(step + " calls no E2B operation");
      };
      return new Answer(view, null);
    } catch (ActivityFailure failure) {
      Instant now = Instant.ofEpochMilli(Workflow.currentTimeMillis());
      return new Answer(null, new LastError(now, step.kind().operation, type(failure), message(failure)));
    }
  }

  private static String type(ActivityFailure failure) {
    if (failure.getCause() instanceof ApplicationFailure app) {
      return app.getType();
    }
    return FailureType.E2B_UNAVAILABLE.name(); // timed out, or no worker could run it
  }

  private static String message(ActivityFailure failure) {
    Throwable cause = failure.getCause();
    if (cause instanceof ApplicationFailure app) {
      return app.getOriginalMessage();
    }
    if (cause instanceof TimeoutFailure timeout) {
      Throwable last = timeout.getCause();
      return "timed out (" + timeout.getTimeoutType() + ")"
          + (last instanceof ApplicationFailure app ? ", last error: " + app.getOriginalMessage() : "");
    }
    return cause != null ? cause.getMessage() : failure.getMessage();
  }
}
