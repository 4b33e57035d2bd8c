package dev.sandman.workflows;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * Side effects on the E2B sandbox. Failures are ApplicationFailures typed by {@link FailureType};
 * {@link FailureType#SANDBOX_GONE} and {@link FailureType#E2B_REJECTED} are not retried.
 */
@ActivityInterface
public interface SandboxActivities {
  /**
   * Create a sandbox (autoPause on), unless one carrying the same {@link CreateSpec#META_CREATE} exists
   * already: then that one is answered, so a retried create never makes two.
   */
  @ActivityMethod(name = "E2bCreate")
  E2bView create(CreateRequest request);

  /** GET the sandbox: its state and end time. */
  @ActivityMethod(name = "E2bDescribe")
  E2bView describe(String sandboxId);

  /** Pause (snapshot) a running sandbox; a sandbox already paused counts as success. */
  @ActivityMethod(name = "E2bPause")
  E2bView pause(String sandboxId);

  /** Resume a paused sandbox (or extend a running one) with E2B's own timeout set to timeoutSeconds. */
  @ActivityMethod(name = "E2bConnect")
  E2bView connect(String sandboxId, long timeoutSeconds);

  /** Kill the sandbox, running or paused; one already gone counts as success. */
  @ActivityMethod(name = "E2bKill")
  E2bView kill(String sandboxId);

  /** E2B's CPU samples of the last {@code windowSeconds}, as a mean (no samples: an empty reading). */
  @ActivityMethod(name = "E2bMetrics")
  CpuReading cpu(String sandboxId, long windowSeconds);

  /** Move E2B's own end time of a running sandbox to now + timeoutSeconds. */
  @ActivityMethod(name = "E2bSetTimeout")
  E2bView setTimeout(String sandboxId, long timeoutSeconds);
}
