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
   * How long one page of a scan may take. SQL visibility on a loaded PostgreSQL took more than the
   * client's default 10 s for 1,000 open workflows (the cluster tier): scans run in the background, so wait.
   */
  static final long PAGE_DEADLINE_SECONDS = 60;
  /** Rows a page of a background scan asks for: small pages each answer well within the deadline. */
  public static final int SCAN_PAGE = 200;

  public static void open(WorkflowServiceStubs service, String namespace, int pageSize, Consumer<List<WorkflowExecutionInfo>> page) {
    com.google.protobuf.ByteString token = com.google.protobuf.ByteString.EMPTY;
    do {
      var response = scan(service).listOpenWorkflowExecutions(ListOpenWorkflowExecutionsRequest.newBuilder()
          .setNamespace(namespace).setMaximumPageSize(pageSize).setNextPageToken(token).build());
      page.accept(response.getExecutionsList());
      token = response.getNextPageToken();
    } while (!token.isEmpty());
  }

  public static void closed(WorkflowServiceStubs service, String namespace, int pageSize, Consumer<List<WorkflowExecutionInfo>> page) {
    com.google.protobuf.ByteString token = com.google.protobuf.ByteString.EMPTY;
    do {
      var response = scan(service).listClosedWorkflowExecutions(ListClosedWorkflowExecutionsRequest.newBuilder()
          .setNamespace(namespace).setMaximumPageSize(pageSize).setNextPageToken(token).build());
      page.accept(response.getExecutionsList());
      token = response.getNextPageToken();
    } while (!token.isEmpty());
  }

  private static io.temporal.api.workflowservice.v1.WorkflowServiceGrpc.WorkflowServiceBlockingStub scan(WorkflowServiceStubs service) {
    return service.blockingStub().withDeadlineAfter(PAGE_DEADLINE_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
  }
}
