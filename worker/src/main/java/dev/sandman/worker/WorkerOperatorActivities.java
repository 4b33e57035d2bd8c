package dev.sandman.worker;

import dev.sandman.workflows.Executions;
import dev.sandman.workflows.FailureType;
import dev.sandman.workflows.OperatorActivities;
import dev.sandman.workflows.OperatorConfig;
import dev.sandman.workflows.ProjectState;
import dev.sandman.workflows.ProjectWorkflow;
import dev.sandman.workflows.SandboxSpec;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Sandman;
import io.temporal.client.BatchRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.failure.ApplicationFailure;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.ProjectPush;
import dev.sandman.workflows.StatusMemo;
import io.temporal.activity.Activity;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/** The operator's configuration as the workflow sees it, and a project's layer: read, and pushed to its sandboxes. */
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

  @Override
  public Policy projectPolicy(String projectId) {
    Optional<WorkflowExecutionInfo> found = Executions.describe(client, Sandman.projectWorkflowId(projectId));
    if (found.isEmpty()) {
      return null; // no layer was ever set for this project
    }
    WorkflowExecutionInfo info = found.get();
    if (info.getStatus() != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      return null;
    }
    return StatusMemo.readProject(info.getMemo())
        .orElseGet(() -> client.newWorkflowStub(ProjectWorkflow.class, Sandman.projectWorkflowId(projectId)).status()) // an earlier run
        .policy();
  }

  /** Signals sent at once by one push: enough to reach a large project in minutes, few for the server. */
  private static final int SIGNALS_AT_ONCE = 16;

  @Override
  public ProjectPush pushProjectPolicy(String projectId, Policy layer) {
    Policy sent = layer == null ? new Policy(null, null, null, null) : layer;
    AtomicInteger members = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    ExecutorService senders = Executors.newFixedThreadPool(SIGNALS_AT_ONCE);
    try {
      new ProjectMembers(client).forEachPage(projectId, page -> {
        List<Future<?>> signals = new ArrayList<>();
        for (String sandboxId : page) {
          signals.add(senders.submit(() -> {
            try {
              client.newUntypedWorkflowStub(Sandman.workflowId(sandboxId)).signal(Sandman.SIGNAL_PROJECT_POLICY, sent);
            } catch (RuntimeException gone) {
              failures.incrementAndGet(); // killed meanwhile: nothing to tell
            }
          }));
        }
        for (Future<?> signal : signals) {
          try {
            signal.get();
          } catch (Exception e) {
            failures.incrementAndGet();
          }
        }
        members.addAndGet(page.size());
        Activity.getExecutionContext().heartbeat(members.get());
      });
    } finally {
      senders.shutdownNow();
    }
    return new ProjectPush(members.get(), failures.get());
  }

  @Override
  public boolean track(SandboxSpec spec) {
    SandboxWorkflow workflow = client.newWorkflowStub(SandboxWorkflow.class, WorkflowOptions.newBuilder()
        .setWorkflowId(Sandman.workflowId(spec.sandboxId()))
        .setTaskQueue(taskQueue)
        .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY)
        .setTypedSearchAttributes(Sandman.startAttributes(spec))
        .build());
    try {
      WorkflowClient.start(workflow::run, spec);
      return true;
    } catch (WorkflowExecutionAlreadyStarted already) {
      WorkflowExecutionStatus status = Executions.describe(client, Sandman.workflowId(spec.sandboxId()))
          .map(WorkflowExecutionInfo::getStatus) // gone between the start and this look: the retry starts it
          .orElseThrow(() -> ApplicationFailure.newFailure("the workflow of sandbox " + spec.sandboxId() + " came and went", "TRACK_RACE"));
      if (status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        return false;
      }
      throw ApplicationFailure.newNonRetryableFailure("the workflow of sandbox " + spec.sandboxId() + " already "
          + status.name().replace("WORKFLOW_EXECUTION_STATUS_", "").toLowerCase(), FailureType.INVALID_STATE.name());
    }
  }
}
