package dev.sandman.workflows;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Creates a sandbox in E2B and starts its {@link SandboxWorkflow}, durably: a crash between the two
 * neither loses the sandbox nor leaves it running untracked; if tracking is refused it is killed
 * again. Id {@code create-<id the client chose>}, so a retried create finds the first one.
 */
@WorkflowInterface
public interface CreateSandboxWorkflow {
  /** Answers the new sandbox's id once its workflow has started. */
  @WorkflowMethod(name = Sandman.CREATE_WORKFLOW_TYPE)
  String create(CreateSpec request);
}
