package dev.sandman.worker;

import dev.sandman.workflows.OperatorActivities;
import dev.sandman.workflows.OperatorConfig;
import dev.sandman.workflows.ProjectState;
import dev.sandman.workflows.ProjectWorkflow;
import dev.sandman.workflows.Sandman;
import io.temporal.client.BatchRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;

/** The operator's configuration as the workflow sees it, and project membership (signal-with-start). */
public final class WorkerOperatorActivities implements OperatorActivities {
  private final OperatorConfig config;
  private final WorkflowClient client;
  private final String taskQueue;

  public WorkerOperatorActivities(OperatorConfig config, WorkflowClient client, String taskQueue) {
    this.config = config;
    this.client = client;
    this.taskQueue = taskQueue;
  }

  @Override
  public OperatorConfig operatorConfig() {
    return config;
  }

  @Override
  public void joinProject(String projectId, String sandboxId) {
    ProjectWorkflow project = client.newWorkflowStub(ProjectWorkflow.class, WorkflowOptions.newBuilder()
        .setWorkflowId(Sandman.projectWorkflowId(projectId))
        .setTaskQueue(taskQueue)
        .build());
    BatchRequest request = client.newSignalWithStartRequest();
    request.add(project::run, ProjectState.empty(projectId));
    request.add(project::join, sandboxId);
    client.signalWithStart(request);
  }
}
