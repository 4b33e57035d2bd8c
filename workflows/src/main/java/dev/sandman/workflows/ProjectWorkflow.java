package dev.sandman.workflows;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One per project, id {@code project-<projectId>}: holds the project's policy layer and the sandboxes
 * tracked in it, and pushes the layer to each of them (on join, and at once when it changes).
 */
@WorkflowInterface
public interface ProjectWorkflow {
  @WorkflowMethod(name = Sandman.PROJECT_WORKFLOW_TYPE)
  void run(ProjectState state);

  @SignalMethod(name = Sandman.SIGNAL_JOIN)
  void join(String sandboxId);

  @SignalMethod(name = Sandman.SIGNAL_LEAVE)
  void leave(String sandboxId);

  /** Replace the project's policy layer (unset fields inherit the operator's defaults). */
  @UpdateMethod(name = Sandman.UPDATE_SET_POLICY)
  ProjectStatus setPolicy(Policy layer);

  @UpdateValidatorMethod(updateName = Sandman.UPDATE_SET_POLICY)
  void validateSetPolicy(Policy layer);

  @QueryMethod(name = Sandman.QUERY_STATUS)
  ProjectStatus status();
}
