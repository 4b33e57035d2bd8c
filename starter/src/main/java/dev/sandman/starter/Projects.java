package dev.sandman.starter;

import dev.sandman.workflows.Limits;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.ProjectState;
import dev.sandman.workflows.ProjectStatus;
import dev.sandman.workflows.ProjectWorkflow;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.Executions;
import dev.sandman.workflows.Sandman;
import dev.sandman.workflows.StatusMemo;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import java.util.function.Function;

/** A project's policy layer: set through its workflow (started on first use), read from its memo. */
final class Projects {
  private final WorkflowClient temporal;
  private final String taskQueue;
  private final Function<ListQuery, ListPage> list;
  private final Failures failures;

  Projects(WorkflowClient temporal, String taskQueue, Function<ListQuery, ListPage> list, Failures failures) {
    this.temporal = temporal;
    this.taskQueue = taskQueue;
    this.list = list;
    this.failures = failures;
  }

  ProjectStatus setPolicy(String projectId, Policy layer) {
    Validation.id("projectId", projectId);
    Validation.rule(() -> Limits.layer(layer));
    ProjectWorkflow project = temporal.newWorkflowStub(ProjectWorkflow.class, WorkflowOptions.newBuilder()
        .setWorkflowId(Sandman.projectWorkflowId(projectId))
        .setTaskQueue(taskQueue)
        .setWorkflowIdConflictPolicy(WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
        .build());
    try {
      WorkflowClient.start(project::run, ProjectState.empty(projectId));
    } catch (WorkflowExecutionAlreadyStarted already) {
      // the project's workflow runs already
    } catch (RuntimeException e) {
      throw failures.translate(null, e);
    }
    try {
      return temporal.newWorkflowStub(ProjectWorkflow.class, Sandman.projectWorkflowId(projectId)).setPolicy(layer);
    } catch (RuntimeException e) {
      throw failures.translate(null, e);
    }
  }

  ProjectStatus status(String projectId) {
    Validation.id("projectId", projectId);
    String workflowId = Sandman.projectWorkflowId(projectId);
    ProjectStatus published;
    try {
      published = Executions.describe(temporal, workflowId)
          .map(info -> StatusMemo.readProject(info.getMemo()) // an earlier run publishes none: ask it
              .orElseGet(() -> temporal.newWorkflowStub(ProjectWorkflow.class, workflowId).status()))
          .orElse(new ProjectStatus(projectId, null, 0, 0));
    } catch (RuntimeException e) {
      throw failures.translate(null, e);
    }
    return new ProjectStatus(projectId, published.policy(), openSandboxes(projectId), published.lastPushFailures());
  }

  private int openSandboxes(String projectId) {
    int[] open = {0};
    Pages.each(list, new ListQuery(projectId, null, null, ListQuery.MAX_PAGE_SIZE, null), page ->
        open[0] += (int) page.items().stream().filter(item -> !SandboxState.KILLED.name().equals(item.state())
            && "RUNNING".equals(item.workflowStatus())).count());
    return open[0];
  }
}
