package dev.sandman.starter;

import dev.sandman.workflows.Executions;
import dev.sandman.workflows.Sandman;
import dev.sandman.workflows.StatusMemo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.common.converter.DataConverter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists sandboxes through Temporal's visibility (search attributes, the server pages), or, on a
 * server without visibility queries (the Java test server), by listing every workflow and describing
 * each. Which one a server supports is learnt at the first list; page tokens say which issued them.
 */
final class SandboxLister {
  private static final Logger log = LoggerFactory.getLogger(SandboxLister.class);

  private final WorkflowClient temporal;
  private final Function<String, Optional<WorkflowExecutionInfo>> describe;
  private final Failures failures;
  private volatile Boolean visibilitySupported;

  SandboxLister(WorkflowClient temporal, Function<String, Optional<WorkflowExecutionInfo>> describe, Failures failures) {
    this.temporal = temporal;
    this.describe = describe;
    this.failures = failures;
  }

  /** Sandboxes by project, user and/or state, newest first, paginated. */
  ListPage list(ListQuery query) {
    if (query.projectId() != null) {
      Validation.id("projectId", query.projectId());
    }
    if (query.userId() != null) {
      Validation.id("userId", query.userId());
    }
    if (query.pageSize() < 1 || query.pageSize() > ListQuery.MAX_PAGE_SIZE) {
      throw SandmanException.invalid("pageSize", "pageSize must be between 1 and " + ListQuery.MAX_PAGE_SIZE);
    }
    if (query.pageToken() != null && !query.pageToken().isEmpty()) {
      String kind = PageToken.kind(query.pageToken()); // a token this client never issued is refused before any call
      if (kind.equals(PageToken.SCAN) && Boolean.TRUE.equals(visibilitySupported)
          || kind.equals(PageToken.VISIBILITY) && Boolean.FALSE.equals(visibilitySupported)) {
        throw SandmanException.invalid("pageToken", "invalid page token");
      }
      if (kind.equals(PageToken.SCAN)) {
        return listByScan(query);
      }
    }
    if (!Boolean.FALSE.equals(visibilitySupported)) {
      try {
        ListPage page = listByVisibility(query);
        visibilitySupported = true;
        return page;
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (visibilitySupported == null && (code == Status.Code.UNIMPLEMENTED || code == Status.Code.INVALID_ARGUMENT)) {
          log.info("the Temporal server answers no visibility queries ({}); listing by scanning workflows", code);
          visibilitySupported = false;
        } else if (code == Status.Code.INVALID_ARGUMENT) {
          throw SandmanException.invalid("pageToken", "invalid page token or query: " + e.getStatus().getDescription());
        } else {
          throw failures.translate(null, e);
        }
      }
    }
    return listByScan(query);
  }

  /** The visibility query operators can paste into the Temporal UI for the same filter. */
  public static String visibilityQuery(ListQuery query) {
    StringBuilder q = new StringBuilder("WorkflowType = '" + Sandman.WORKFLOW_TYPE + "' AND ExecutionStatus != 'ContinuedAsNew'");
    if (query.projectId() != null) {
      q.append(" AND ").append(Sandman.SA_PROJECT_ID.getName()).append(" = '").append(query.projectId()).append("'");
    }
    if (query.userId() != null) {
      q.append(" AND ").append(Sandman.SA_USER_ID.getName()).append(" = '").append(query.userId()).append("'");
    }
    if (query.state() != null) {
      q.append(" AND ").append(Sandman.SA_STATE.getName()).append(switch (query.state()) {
        // the attribute holds where a sandbox rests; its published status says whether it is on its way
        case PAUSING -> " IN ('RUNNING', 'PAUSING')";
        case RESUMING -> " IN ('PAUSED', 'RESUMING')";
        default -> " = '" + query.state().name() + "'";
      });
    }
    return q.toString();
  }

  private ListPage listByVisibility(ListQuery query) {
    ListWorkflowExecutionsRequest.Builder request = ListWorkflowExecutionsRequest.newBuilder()
        .setNamespace(temporal.getOptions().getNamespace())
        .setQuery(visibilityQuery(query))
        .setPageSize(query.pageSize());
    if (query.pageToken() != null && !query.pageToken().isEmpty()) {
      byte[] token = PageToken.decode(query.pageToken());
      request.setNextPageToken(com.google.protobuf.ByteString.copyFrom(token, PageToken.VISIBILITY.length(), token.length - PageToken.VISIBILITY.length()));
    }
    ListWorkflowExecutionsResponse response = temporal.getWorkflowServiceStubs().blockingStub().listWorkflowExecutions(request.build());
    List<SandboxSummary> items = response.getExecutionsList().stream().map(this::summary)
        .filter(item -> query.state() == null || query.state().name().equals(item.state())).toList();
    String next = response.getNextPageToken().isEmpty() ? null
        : PageToken.encode(PageToken.VISIBILITY.getBytes(StandardCharsets.UTF_8), response.getNextPageToken().toByteArray());
    return new ListPage(items, next, "visibility");
  }

  /** For servers without visibility queries: list every workflow, describe each, filter, page. */
  private ListPage listByScan(ListQuery query) {
    Map<String, WorkflowExecutionInfo> latest = new HashMap<>();
    String namespace = temporal.getOptions().getNamespace();
    Executions.open(temporal.getWorkflowServiceStubs(), namespace, Executions.SCAN_PAGE, page -> page.forEach(info -> keepLatest(latest, info)));
    Executions.closed(temporal.getWorkflowServiceStubs(), namespace, Executions.SCAN_PAGE, page -> page.forEach(info -> keepLatest(latest, info)));

    List<SandboxSummary> matching = new ArrayList<>();
    for (WorkflowExecutionInfo listed : latest.values()) {
      String sandboxId = Sandman.sandboxIdOf(listed.getExecution().getWorkflowId());
      if (sandboxId == null || !Sandman.WORKFLOW_TYPE.equals(listed.getType().getName())) {
        continue;
      }
      WorkflowExecutionInfo info = describe.apply(sandboxId).orElse(listed); // listings omit search attributes
      SandboxSummary summary = summary(info);
      if ((query.projectId() == null || query.projectId().equals(summary.projectId()))
          && (query.userId() == null || query.userId().equals(summary.userId()))
          && (query.state() == null || query.state().name().equals(summary.state()))) {
        matching.add(summary);
      }
    }
    matching.sort(Comparator.comparing(SandboxSummary::trackedAt, Comparator.nullsLast(Comparator.reverseOrder()))
        .thenComparing(SandboxSummary::sandboxId));
    int offset = 0;
    if (query.pageToken() != null && !query.pageToken().isEmpty()) {
      try {
        offset = Integer.parseInt(new String(PageToken.decode(query.pageToken()), StandardCharsets.UTF_8).substring(PageToken.SCAN.length()));
      } catch (RuntimeException e) {
        throw SandmanException.invalid("pageToken", "invalid page token");
      }
    }
    int end = Math.min(matching.size(), offset + query.pageSize());
    String next = end < matching.size() ? PageToken.encode((PageToken.SCAN + end).getBytes(StandardCharsets.UTF_8)) : null;
    return new ListPage(offset >= matching.size() ? List.of() : matching.subList(offset, end), next, "scan");
  }

  private static void keepLatest(Map<String, WorkflowExecutionInfo> latest, WorkflowExecutionInfo info) {
    if (info.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW) {
      return;
    }
    latest.merge(info.getExecution().getWorkflowId(), info,
        (a, b) -> a.getStartTime().getSeconds() >= b.getStartTime().getSeconds() ? a : b);
  }

  SandboxSummary summary(WorkflowExecutionInfo info) {
    Map<String, String> attributes = new HashMap<>();
    DataConverter converter = temporal.getOptions().getDataConverter();
    info.getSearchAttributes().getIndexedFieldsMap().forEach((name, payload) -> {
      try {
        attributes.put(name, converter.fromPayload(payload, String.class, String.class));
      } catch (RuntimeException ignored) {
        // not one of ours, or not a keyword
      }
    });
    String state = StatusMemo.read(info.getMemo()).map(status -> status.state().name())
        .orElse(attributes.get(Sandman.SA_STATE.getName()));
    Instant started = info.hasStartTime() ? Instant.ofEpochSecond(info.getStartTime().getSeconds(), info.getStartTime().getNanos()) : null;
    Instant closed = info.hasCloseTime() ? Instant.ofEpochSecond(info.getCloseTime().getSeconds(), info.getCloseTime().getNanos()) : null;
    return new SandboxSummary(
        Sandman.sandboxIdOf(info.getExecution().getWorkflowId()),
        attributes.get(Sandman.SA_PROJECT_ID.getName()),
        attributes.get(Sandman.SA_USER_ID.getName()),
        emptyToNull(attributes.get(Sandman.SA_TEMPLATE.getName())),
        state,
        started,
        closed,
        shortStatus(info.getStatus()));
  }

  static String shortStatus(WorkflowExecutionStatus status) {
    return status.name().replace("WORKFLOW_EXECUTION_STATUS_", "");
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
