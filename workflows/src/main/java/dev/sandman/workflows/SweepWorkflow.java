package dev.sandman.workflows;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** One sweep of E2B's sandboxes (see {@link SweepOrder}); its result is the {@link SweepReport}. */
@WorkflowInterface
public interface SweepWorkflow {
  @WorkflowMethod(name = Sandman.SWEEP_WORKFLOW_TYPE)
  SweepReport run(SweepOrder order);
}
