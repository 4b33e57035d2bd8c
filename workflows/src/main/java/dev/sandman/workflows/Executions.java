package dev.sandman.workflows;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.api.workflowservice.v1.ListClosedWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsRequest;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Reading workflow executions from the server, none of it a billed Action: one by id (describe), or a
 * namespace's, page by page, as a server without visibility queries (Temporal's Java test server) lists
 * them: the scan that stands in for a search-attribute query.
 */
public final class Executions {
  private Executions() {}

  /** The workflow's latest run: its status, memo and search attributes; empty if there is none. */
  public static Optional<WorkflowExecutionInfo> describe(WorkflowClient client, String workflowId) {
    return describe(client.getWorkflowServiceStubs(), client.getOptions().getNamespace(),
        WorkflowExecution.newBuilder().setWorkflowId(workflowId).build());
  }

  /** One run (or, without a run id, the latest); empty if there is none. */
  public static Optional<WorkflowExecutionInfo> describe(WorkflowServiceStubs service, String namespace, WorkflowExecution execution) {
    try {
      return Optional.of(service.blockingStub().describeWorkflowExecution(DescribeWorkflowExecutionRequest.newBuilder()
          .setNamespace(namespace).setExecution(execution).build()).getWorkflowExecutionInfo());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Whether the Temporal frontend answers within {@code timeout} (readiness probes): a system-info call, no Action. */
  public static boolean reachable(WorkflowServiceStubs service, java.time.Duration timeout) {
    try {
      service.blockingStub().withDeadlineAfter(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
          .getSystemInfo(io.temporal.api.workflowservice.v1.GetSystemInfoRequest.getDefaultInstance());
      return true;
    } catch (RuntimeException unreachable) {
      return false;
    }
  }

  /**
   * Rows a page of a scan asks for. On SQL visibility a list call's cost is mostly the wait for the
   * visibility store, not its rows (the cluster tier: seconds for 1 row or 1,000 under load): few, big pages.
   */
  public static final int SCAN_PAGE = 1000;

  public static void open(WorkflowServiceStubs service, String namespace, int pageSize, Consumer<List<WorkflowExecutionInfo>> page) {
    com.google.protobuf.ByteString token = com.google.protobuf.ByteString.EMPTY;
    do {
      var response = service.blockingStub().listOpenWorkflowExecutions(ListOpenWorkflowExecutionsRequest.newBuilder()
          .setNamespace(namespace).setMaximumPageSize(pageSize).setNextPageToken(token).build());
      page.accept(response.getExecutionsList());
      token = response.getNextPageToken();
    } while (!token.isEmpty());
  }

  public static void closed(WorkflowServiceStubs service, String namespace, int pageSize, Consumer<List<WorkflowExecutionInfo>> page) {
    com.google.protobuf.ByteString token = com.google.protobuf.ByteString.EMPTY;
    do {
      var response = service.blockingStub().listClosedWorkflowExecutions(ListClosedWorkflowExecutionsRequest.newBuilder()
          .setNamespace(namespace).setMaximumPageSize(pageSize).setNextPageToken(token).build());
      page.accept(response.getExecutionsList());
      token = response.getNextPageToken();
    } while (!token.isEmpty());
  }
}
