package dev.sandman.worker;

import dev.sandman.workflows.Executions;
import dev.sandman.workflows.Sandman;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.client.WorkflowClient;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The open sandboxes of a project, a page at a time, found through visibility (free of billed
 * Actions): nothing keeps a member list. A server that answers no visibility queries (Temporal's Java
 * test server, in dev mode) is scanned instead, each open workflow described.
 */
final class ProjectMembers {
  static final int PAGE = 1000;

  private final WorkflowClient client;

  ProjectMembers(WorkflowClient client) {
    this.client = client;
  }

  /** Calls {@code page} with each page of sandbox ids until every open member has been seen. */
  void forEachPage(String projectId, Consumer<List<String>> page) {
    try {
      byVisibility(projectId, page);
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      if (code != Status.Code.UNIMPLEMENTED && code != Status.Code.INVALID_ARGUMENT) {
        throw e;
      }
      byScan(projectId, page);
    }
  }

  private void byVisibility(String projectId, Consumer<List<String>> page) {
    String query = "WorkflowType = '" + Sandman.WORKFLOW_TYPE + "' AND ExecutionStatus = 'Running' AND "
        + Sandman.SA_PROJECT_ID.getName() + " = '" + projectId.replace("'", "") + "'";
    com.google.protobuf.ByteString token = com.google.protobuf.ByteString.EMPTY;
    do {
      var response = client.getWorkflowServiceStubs().blockingStub().listWorkflowExecutions(ListWorkflowExecutionsRequest.newBuilder()
          .setNamespace(namespace()).setQuery(query).setPageSize(PAGE).setNextPageToken(token).build());
      page.accept(response.getExecutionsList().stream().map(info -> Sandman.sandboxIdOf(info.getExecution().getWorkflowId())).toList());
      token = response.getNextPageToken();
    } while (!token.isEmpty());
  }

  private void byScan(String projectId, Consumer<List<String>> page) {
    Executions.open(client.getWorkflowServiceStubs(), namespace(), PAGE, open -> {
      List<String> members = new ArrayList<>();
      for (WorkflowExecutionInfo info : open) {
        String sandboxId = Sandman.sandboxIdOf(info.getExecution().getWorkflowId());
        if (sandboxId != null && Sandman.WORKFLOW_TYPE.equals(info.getType().getName()) && projectId.equals(projectOf(info.getExecution()))) {
          members.add(sandboxId);
        }
      }
      page.accept(members);
    });
  }

  private String projectOf(WorkflowExecution execution) {
    try {
      Payload payload = client.getWorkflowServiceStubs().blockingStub().describeWorkflowExecution(DescribeWorkflowExecutionRequest.newBuilder()
              .setNamespace(namespace()).setExecution(execution).build())
          .getWorkflowExecutionInfo().getSearchAttributes().getIndexedFieldsMap().get(Sandman.SA_PROJECT_ID.getName());
      return payload == null ? null : client.getOptions().getDataConverter().fromPayload(payload, String.class, String.class);
    } catch (StatusRuntimeException gone) {
      return null;
    }
  }

  private String namespace() {
    return client.getOptions().getNamespace();
  }
}
