package dev.sandman.workflows;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** One long-lived workflow per sandbox, id {@code sandbox-<sandboxId>}; completes when KILLED. */
@WorkflowInterface
public interface SandboxWorkflow {

  @WorkflowMethod(name = Sandman.WORKFLOW_TYPE)
  SandboxStatus run(SandboxSpec spec);

  /** The user did something: push the idle deadline back, or wake a paused sandbox. */
  @SignalMethod(name = Sandman.SIGNAL_ACTIVITY)
  void activity(ActivitySignal signal);

  /** E2B changed the sandbox behind the workflow's back: look at E2B and reconcile. */
  @SignalMethod(name = Sandman.SIGNAL_E2B_NOTICE)
  void e2bNotice(E2bNotice notice);

  /** Pause now; answers once PAUSED. */
  @UpdateMethod(name = Sandman.UPDATE_PAUSE)
  SandboxStatus pause(ChangeRequest request);

  @UpdateValidatorMethod(updateName = Sandman.UPDATE_PAUSE)
  void validatePause(ChangeRequest request);

  /** Resume now (counts as activity); answers once RUNNING. */
  @UpdateMethod(name = Sandman.UPDATE_RESUME)
  SandboxStatus resume(ChangeRequest request);

  @UpdateValidatorMethod(updateName = Sandman.UPDATE_RESUME)
  void validateResume(ChangeRequest request);

  /** Kill the sandbox; answers once KILLED, and the workflow then completes. */
  @UpdateMethod(name = Sandman.UPDATE_KILL)
  SandboxStatus kill(ChangeRequest request);

  @UpdateValidatorMethod(updateName = Sandman.UPDATE_KILL)
  void validateKill(ChangeRequest request);

  /** Change the policy; deadlines move at once. */
  @UpdateMethod(name = Sandman.UPDATE_SET_POLICY)
  SandboxStatus setPolicy(PolicyPatch patch);

  @UpdateValidatorMethod(updateName = Sandman.UPDATE_SET_POLICY)
  void validateSetPolicy(PolicyPatch patch);

  /** The project's policy layer, pushed by its ProjectWorkflow. */
  @SignalMethod(name = Sandman.SIGNAL_PROJECT_POLICY)
  void projectPolicy(Policy layer);

  /** Keep the sandbox awake (and wake it if paused) for ttl, capped by the policy's maxHold. */
  @UpdateMethod(name = Sandman.UPDATE_HOLD)
  Hold hold(HoldRequest request);

  @UpdateValidatorMethod(updateName = Sandman.UPDATE_HOLD)
  void validateHold(HoldRequest request);

  /** End a hold early. */
  @UpdateMethod(name = Sandman.UPDATE_RELEASE)
  SandboxStatus release(String holdId);

  @UpdateValidatorMethod(updateName = Sandman.UPDATE_RELEASE)
  void validateRelease(String holdId);

  @QueryMethod(name = Sandman.QUERY_STATUS)
  SandboxStatus status();
}
