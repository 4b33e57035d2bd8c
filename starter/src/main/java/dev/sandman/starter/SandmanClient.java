package dev.sandman.starter;

import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.CreateSandboxWorkflow;
import dev.sandman.workflows.CreateSpec;
import dev.sandman.workflows.Hold;
import dev.sandman.workflows.FailureType;
import dev.sandman.workflows.HoldRequest;
import dev.sandman.workflows.Limits;
import dev.sandman.workflows.OperatorConfig;
import dev.sandman.workflows.ProjectState;
import dev.sandman.workflows.ProjectStatus;
import dev.sandman.workflows.ProjectWorkflow;
import dev.sandman.workflows.Usage;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.PolicyPatch;
import dev.sandman.workflows.SandboxSpec;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Sandman;
import dev.sandman.workflows.StatusMemo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.api.workflowservice.v1.ListClosedWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowException;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.common.SearchAttributes;
import io.temporal.common.converter.DataConverter;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Java library apps use to drive Sandman. Thread-safe; one per process. Every method validates
 * its input first (bad input changes nothing) and reports failures as {@link SandmanException}.
 */
public final class SandmanClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SandmanClient.class);
  /** How long a create may take, E2B's retries included. */
  private static final Duration CREATE_TIMEOUT = Duration.ofMinutes(10);

  /**
   * How the client behaves. Touches are held and the newest is sent {@code touchMargin} before the
   * workflow needs it (one signal per idle-timeout span); a {@code touchWindow} instead sends one per
   * window, as Sandman's first clients did. Policy fields a track request leaves unset come from the
   * worker's defaults (and the project's policy).
   */
  public record Options(String taskQueue, Duration touchWindow, Duration touchMargin, Integer maxEventsPerRun) {
    public static final Duration DEFAULT_TOUCH_MARGIN = Duration.ofSeconds(30);

    public static Options defaults() {
      return new Options(Sandman.DEFAULT_TASK_QUEUE, null, DEFAULT_TOUCH_MARGIN, null);
    }

    public Options withTaskQueue(String queue) {
      return new Options(queue, touchWindow, touchMargin, maxEventsPerRun);
    }

    /** One signal per window (null: hold touches until they are due). */
    public Options withTouchWindow(Duration window) {
      return new Options(taskQueue, window, touchMargin, maxEventsPerRun);
    }

    public Options withTouchMargin(Duration margin) {
      return new Options(taskQueue, touchWindow, margin, maxEventsPerRun);
    }

    public Options withMaxEventsPerRun(Integer events) {
      return new Options(taskQueue, touchWindow, touchMargin, events);
    }
  }

  private final WorkflowClient temporal;
  private final Options options;
  private final ScheduledExecutorService scheduler;
  private final TouchCoalescer touches;
  private final Clock clock;
  private volatile Boolean visibilitySupported;

  public SandmanClient(WorkflowClient temporal, Options options) {
    this(temporal, options, Clock.systemUTC());
  }

  SandmanClient(WorkflowClient temporal, Options options, Clock clock) {
    this(temporal, options, clock, null);
  }

  /**
   * For programs that run on another clock (benchmarks on Temporal's time-skipping test server):
   * held touches are sent through {@code timers} at the times {@code clock} tells.
   */
  public SandmanClient(WorkflowClient temporal, Options options, Clock clock, TouchScheduler timers) {
    this.temporal = temporal;
    this.options = options;
    this.clock = clock;
    this.scheduler = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "sandman-touch-flush");
      t.setDaemon(true);
      return t;
    });
    TouchScheduler run = timers != null ? timers : (when, task) -> scheduler.schedule(task,
        Math.max(0, when.toEpochMilli() - clock.millis()), TimeUnit.MILLISECONDS);
    this.touches = new TouchCoalescer(options.touchWindow(), options.touchMargin() == null
        ? Options.DEFAULT_TOUCH_MARGIN : options.touchMargin(), this::memoStatus, this::signalActivity,
        e -> e instanceof SandmanException s && s.kind() == SandmanException.Kind.CONFLICT, run, clock);
  }

  // ---- tracking ---------------------------------------------------------------------------

  /** Starts the sandbox's workflow, or finds the one already running (never a duplicate). */
  public TrackResult track(TrackRequest request) {
    Validation.track(request, false);
    SandboxSpec spec = new SandboxSpec(request.sandboxId(), request.projectId(), request.userId(), request.template(),
        request.metadata(), request.policy(), options.maxEventsPerRun(), null);
    SandboxWorkflow workflow = temporal.newWorkflowStub(SandboxWorkflow.class, startOptions(spec));
    boolean created;
    try {
      WorkflowClient.start(workflow::run, spec);
      created = true;
      touches.forget(spec.sandboxId());
      log.info("tracking sandbox {} (project {}, user {})", spec.sandboxId(), spec.projectId(), spec.userId());
    } catch (WorkflowExecutionAlreadyStarted already) {
      created = false;
    } catch (RuntimeException e) {
      throw translate(spec.sandboxId(), e);
    }
    return new TrackResult(publishedStatus(spec.sandboxId()), created);
  }

  /** How long a new workflow's first status is waited for before asking it with the query. */
  private static final Duration FIRST_STATUS_WAIT = Duration.ofSeconds(2);

  /** The status once the workflow has published it (its first task does), else the query's answer. */
  private SandboxStatus publishedStatus(String sandboxId) {
    long giveUpAt = System.nanoTime() + FIRST_STATUS_WAIT.toNanos();
    while (true) {
      Optional<WorkflowExecutionInfo> info = describe(sandboxId);
      Optional<SandboxStatus> published = info.flatMap(this::publishedStatus);
      if (published.isPresent()) {
        return published.get();
      }
      if (System.nanoTime() > giveUpAt) {
        return queryStatus(sandboxId);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return queryStatus(sandboxId);
      }
    }
  }

  /**
   * Creates a sandbox in E2B (autoPause on, metadata naming project and user) and tracks it, through
   * a workflow of its own: if tracking is refused the new sandbox is killed again, and a crash of this
   * process at any point leaves nothing running untracked.
   */
  public TrackResult create(TrackRequest request) {
    return create(request, UUID.randomUUID().toString());
  }

  /** As {@link #create(TrackRequest)}; the same {@code createId} again answers the same sandbox. */
  public TrackResult create(TrackRequest request, String createId) {
    Validation.track(request, true);
    Validation.id("createId", createId);
    String workflowId = Sandman.CREATE_ID_PREFIX + createId;
    CreateSandboxWorkflow creation = temporal.newWorkflowStub(CreateSandboxWorkflow.class, WorkflowOptions.newBuilder()
        .setWorkflowId(workflowId)
        .setTaskQueue(options.taskQueue())
        .setWorkflowExecutionTimeout(CREATE_TIMEOUT)
        .setWorkflowIdConflictPolicy(WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
        .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) // one outcome per create id
        .build());
    String sandboxId;
    try {
      try {
        WorkflowClient.start(creation::create, new CreateSpec(request.template(), request.projectId(), request.userId(),
            request.metadata(), request.policy(), options.maxEventsPerRun()));
      } catch (WorkflowExecutionAlreadyStarted done) {
        // this create ran before: its outcome answers
      }
      sandboxId = temporal.newUntypedWorkflowStub(workflowId).getResult(String.class);
    } catch (RuntimeException e) {
      throw translate(null, e);
    }
    touches.forget(sandboxId);
    return new TrackResult(publishedStatus(sandboxId), true);
  }

  private WorkflowOptions startOptions(SandboxSpec spec) {
    return WorkflowOptions.newBuilder()
        .setWorkflowId(Sandman.workflowId(spec.sandboxId()))
        .setTaskQueue(options.taskQueue())
        // a killed sandbox's workflow completed: tracking it again finds it; a failed or terminated one may restart
        .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY)
        .setTypedSearchAttributes(Sandman.startAttributes(spec))
        .build();
  }

  // ---- activity ---------------------------------------------------------------------------

  /** The user did something now. Coalesced: about one signal per sandbox per idle-timeout span. */
  public void touch(String sandboxId) {
    touch(sandboxId, null);
  }

  /** The user did something at {@code at} (the app's clock). */
  public void touch(String sandboxId, Instant at) {
    Validation.sandboxId(sandboxId);
    touches.touch(sandboxId, at);
  }

  private void signalActivity(String sandboxId, Instant at) {
    try {
      temporal.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(sandboxId)).activity(new ActivitySignal(at));
    } catch (RuntimeException e) {
      throw translate(sandboxId, e);
    }
  }

  /** Resumes the sandbox if it is paused and returns once it is RUNNING; counts as activity. */
  public SandboxStatus ensureRunning(String sandboxId) {
    return resume(sandboxId, null);
  }

  // ---- reads ------------------------------------------------------------------------------

  /**
   * The sandbox's status, read from what its workflow published (a describe call, no billed Action),
   * with touches this client holds applied. Runs that publish nothing are asked with the query.
   */
  public SandboxStatus status(String sandboxId) {
    Validation.sandboxId(sandboxId);
    Optional<WorkflowExecutionInfo> info = describe(sandboxId);
    if (info.isEmpty()) {
      throw notTracked(sandboxId);
    }
    return publishedStatus(info.get()).orElseGet(() -> queryStatus(sandboxId));
  }

  /**
   * The status a running or completed (KILLED) workflow published, as of now with the touches this
   * client holds; empty for a run that published none, or a workflow that ended another way.
   */
  private Optional<SandboxStatus> publishedStatus(WorkflowExecutionInfo info) {
    WorkflowExecutionStatus ended = info.getStatus();
    if (ended != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
        && ended != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
      return Optional.empty();
    }
    return StatusMemo.read(info.getMemo()).map(status -> {
      remember(status);
      return status.asOf(clock.instant()).withActivity(touches.newestTouch(status.sandboxId()));
    });
  }

  /** The workflow's own answer: the {@code status} query (a billed Action), or a killed sandbox's result. */
  public SandboxStatus queryStatus(String sandboxId) {
    Validation.sandboxId(sandboxId);
    try {
      SandboxStatus status = temporal.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(sandboxId)).status();
      remember(status);
      return status;
    } catch (WorkflowNotFoundException notFound) {
      return closedStatus(sandboxId).orElseThrow(() -> notTracked(sandboxId));
    } catch (RuntimeException e) {
      Optional<SandboxStatus> closed = closedStatus(sandboxId);
      if (closed.isPresent()) {
        return closed.get();
      }
      throw translate(sandboxId, e);
    }
  }

  /** The final status of a completed (KILLED) workflow, if that is what this sandbox has. */
  private Optional<SandboxStatus> closedStatus(String sandboxId) {
    Optional<WorkflowExecutionInfo> info = describe(sandboxId);
    if (info.isEmpty() || info.get().getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      return Optional.empty();
    }
    if (info.get().getStatus() != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
      throw new SandmanException(SandmanException.Kind.CONFLICT, "the workflow of sandbox " + sandboxId
          + " ended as " + shortStatus(info.get().getStatus()) + "; track it again to resume orchestration");
    }
    WorkflowStub stub = temporal.newUntypedWorkflowStub(Sandman.workflowId(sandboxId));
    try {
      return Optional.of(stub.getResult(5, TimeUnit.SECONDS, SandboxStatus.class));
    } catch (Exception e) {
      throw translate(sandboxId, e instanceof RuntimeException r ? r : new RuntimeException(e));
    }
  }

  /** What the workflow published, for the touch rule; not tracked is an error the toucher sees. */
  private Optional<SandboxStatus> memoStatus(String sandboxId) {
    Optional<WorkflowExecutionInfo> info = describe(sandboxId);
    if (info.isEmpty()) {
      throw notTracked(sandboxId);
    }
    if (info.get().getStatus() != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      return Optional.empty(); // ended: the signal's own failure says how
    }
    return StatusMemo.read(info.get().getMemo());
  }

  private Optional<WorkflowExecutionInfo> describe(String sandboxId) {
    try {
      DescribeWorkflowExecutionResponse response = service().blockingStub().describeWorkflowExecution(
          DescribeWorkflowExecutionRequest.newBuilder()
              .setNamespace(temporal.getOptions().getNamespace())
              .setExecution(WorkflowExecution.newBuilder().setWorkflowId(Sandman.workflowId(sandboxId)))
              .build());
      return Optional.of(response.getWorkflowExecutionInfo());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      throw translate(sandboxId, e);
    }
  }

  /** Sandboxes by project, user and/or state, newest first, paginated. */
  public ListPage list(ListQuery query) {
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
      String kind = tokenKind(query.pageToken()); // a token this client never issued is refused before any call
      if (kind.equals(SCAN_TOKEN) && Boolean.TRUE.equals(visibilitySupported)
          || kind.equals(VISIBILITY_TOKEN) && Boolean.FALSE.equals(visibilitySupported)) {
        throw SandmanException.invalid("pageToken", "invalid page token");
      }
      if (kind.equals(SCAN_TOKEN)) {
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
          throw translate(null, e);
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
      byte[] token = decodeToken(query.pageToken());
      request.setNextPageToken(com.google.protobuf.ByteString.copyFrom(token, VISIBILITY_TOKEN.length(), token.length - VISIBILITY_TOKEN.length()));
    }
    ListWorkflowExecutionsResponse response = service().blockingStub().listWorkflowExecutions(request.build());
    List<SandboxSummary> items = response.getExecutionsList().stream().map(this::summary)
        .filter(item -> query.state() == null || query.state().name().equals(item.state())).toList();
    String next = response.getNextPageToken().isEmpty() ? null
        : encodeToken(VISIBILITY_TOKEN.getBytes(StandardCharsets.UTF_8), response.getNextPageToken().toByteArray());
    return new ListPage(items, next, "visibility");
  }

  /** For servers without visibility queries: list every workflow, describe each, filter, page. */
  private ListPage listByScan(ListQuery query) {
    Map<String, WorkflowExecutionInfo> latest = new HashMap<>();
    String namespace = temporal.getOptions().getNamespace();
    com.google.protobuf.ByteString token = com.google.protobuf.ByteString.EMPTY;
    do {
      var open = service().blockingStub().listOpenWorkflowExecutions(ListOpenWorkflowExecutionsRequest.newBuilder()
          .setNamespace(namespace).setMaximumPageSize(1000).setNextPageToken(token).build());
      open.getExecutionsList().forEach(info -> keepLatest(latest, info));
      token = open.getNextPageToken();
    } while (!token.isEmpty());
    do {
      var closed = service().blockingStub().listClosedWorkflowExecutions(ListClosedWorkflowExecutionsRequest.newBuilder()
          .setNamespace(namespace).setMaximumPageSize(1000).setNextPageToken(token).build());
      closed.getExecutionsList().forEach(info -> keepLatest(latest, info));
      token = closed.getNextPageToken();
    } while (!token.isEmpty());

    List<SandboxSummary> matching = new ArrayList<>();
    for (WorkflowExecutionInfo listed : latest.values()) {
      String sandboxId = Sandman.sandboxIdOf(listed.getExecution().getWorkflowId());
      if (sandboxId == null || !Sandman.WORKFLOW_TYPE.equals(listed.getType().getName())) {
        continue;
      }
      WorkflowExecutionInfo info = describe(sandboxId).orElse(listed); // listings omit search attributes
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
        offset = Integer.parseInt(new String(decodeToken(query.pageToken()), StandardCharsets.UTF_8).substring(SCAN_TOKEN.length()));
      } catch (RuntimeException e) {
        throw SandmanException.invalid("pageToken", "invalid page token");
      }
    }
    int end = Math.min(matching.size(), offset + query.pageSize());
    String next = end < matching.size() ? encodeToken((SCAN_TOKEN + end).getBytes(StandardCharsets.UTF_8)) : null;
    return new ListPage(offset >= matching.size() ? List.of() : matching.subList(offset, end), next, "scan");
  }

  private static void keepLatest(Map<String, WorkflowExecutionInfo> latest, WorkflowExecutionInfo info) {
    if (info.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW) {
      return;
    }
    latest.merge(info.getExecution().getWorkflowId(), info,
        (a, b) -> a.getStartTime().getSeconds() >= b.getStartTime().getSeconds() ? a : b);
  }

  private SandboxSummary summary(WorkflowExecutionInfo info) {
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

  // ---- changes ----------------------------------------------------------------------------

  public SandboxStatus pause(String sandboxId, String reason) {
    return change(sandboxId, () -> stub(sandboxId).pause(new ChangeRequest(Validation.reason(reason))));
  }

  public SandboxStatus resume(String sandboxId, String reason) {
    return change(sandboxId, () -> stub(sandboxId).resume(new ChangeRequest(Validation.reason(reason))));
  }

  public SandboxStatus kill(String sandboxId, String reason) {
    return change(sandboxId, () -> stub(sandboxId).kill(new ChangeRequest(Validation.reason(reason))));
  }

  public SandboxStatus setPolicy(String sandboxId, PolicyPatch patch) {
    if (patch == null) {
      throw SandmanException.invalid("policy", "a policy is required");
    }
    Validation.rule(() -> Limits.policy(Policy.defaults().merge(patch)));
    return change(sandboxId, () -> stub(sandboxId).setPolicy(patch));
  }

  private SandboxWorkflow stub(String sandboxId) {
    return temporal.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(sandboxId));
  }

  private SandboxStatus change(String sandboxId, Supplier<SandboxStatus> update) {
    Validation.sandboxId(sandboxId);
    try {
      SandboxStatus status = update.get();
      remember(status);
      return status;
    } catch (RuntimeException e) {
      throw translate(sandboxId, e);
    }
  }

  // ---- holds, projects, report ------------------------------------------------------------

  /** Keeps the sandbox awake (waking it if paused) for ttl, capped by its policy's maxHold. */
  public Hold hold(String sandboxId, String reason, Duration ttl) {
    Validation.sandboxId(sandboxId);
    Validation.reason(reason);
    Validation.rule(() -> Limits.holdTtl(ttl));
    try {
      return stub(sandboxId).hold(new HoldRequest(reason, ttl));
    } catch (RuntimeException e) {
      throw translate(sandboxId, e);
    }
  }

  public SandboxStatus release(String sandboxId, String holdId) {
    Validation.id("holdId", holdId);
    return change(sandboxId, () -> stub(sandboxId).release(holdId));
  }

  /** Replaces the project's policy layer; its sandboxes get it at once, later ones when they join. */
  public ProjectStatus setProjectPolicy(String projectId, Policy layer) {
    Validation.id("projectId", projectId);
    Validation.rule(() -> Limits.layer(layer));
    ProjectWorkflow project = temporal.newWorkflowStub(ProjectWorkflow.class, WorkflowOptions.newBuilder()
        .setWorkflowId(Sandman.projectWorkflowId(projectId))
        .setTaskQueue(options.taskQueue())
        .setWorkflowIdConflictPolicy(io.temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
        .build());
    try {
      WorkflowClient.start(project::run, ProjectState.empty(projectId));
    } catch (WorkflowExecutionAlreadyStarted already) {
      // the project's workflow runs already
    } catch (RuntimeException e) {
      throw translate(null, e);
    }
    try {
      return temporal.newWorkflowStub(ProjectWorkflow.class, Sandman.projectWorkflowId(projectId)).setPolicy(layer);
    } catch (RuntimeException e) {
      throw translate(null, e);
    }
  }

  /** The project's layer as its workflow published it, and its open sandboxes counted now (no billed Action). */
  public ProjectStatus projectStatus(String projectId) {
    Validation.id("projectId", projectId);
    ProjectStatus published;
    try {
      DescribeWorkflowExecutionResponse response = service().blockingStub().describeWorkflowExecution(
          DescribeWorkflowExecutionRequest.newBuilder()
              .setNamespace(temporal.getOptions().getNamespace())
              .setExecution(WorkflowExecution.newBuilder().setWorkflowId(Sandman.projectWorkflowId(projectId)))
              .build());
      published = StatusMemo.readProject(response.getWorkflowExecutionInfo().getMemo())
          .orElseGet(() -> temporal.newWorkflowStub(ProjectWorkflow.class, Sandman.projectWorkflowId(projectId)).status()); // an earlier run
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw translate(null, e);
      }
      published = new ProjectStatus(projectId, null, 0, 0);
    } catch (RuntimeException e) {
      throw translate(null, e);
    }
    return new ProjectStatus(projectId, published.policy(), openSandboxes(projectId), published.lastPushFailures());
  }

  private int openSandboxes(String projectId) {
    int open = 0;
    String token = null;
    do {
      ListPage page = list(new ListQuery(projectId, null, null, ListQuery.MAX_PAGE_SIZE, token));
      open += (int) page.items().stream().filter(item -> !SandboxState.KILLED.name().equals(item.state())
          && "RUNNING".equals(item.workflowStatus())).count();
      token = page.nextPageToken();
    } while (token != null);
    return open;
  }

  /** Usage and cost by project and user over every sandbox the filter matches (all pages). */
  public Report report(ListQuery filter) {
    Instant now = Instant.now();
    Map<String, double[]> sums = new java.util.TreeMap<>();
    Map<String, String[]> keys = new HashMap<>();
    String source = null;
    String token = null;
    do {
      ListPage page = list(new ListQuery(filter.projectId(), filter.userId(), filter.state(), ListQuery.MAX_PAGE_SIZE, token));
      source = page.source();
      for (SandboxSummary item : page.items()) {
        SandboxStatus status;
        try {
          status = status(item.sandboxId());
        } catch (SandmanException gone) {
          continue; // ended outside Sandman (e.g. terminated): nothing to count
        }
        Usage usage = status.usage();
        long extra = usage == null || status.state() == SandboxState.KILLED ? 0
            : Math.max(0, Duration.between(usage.asOf(), now).toSeconds());
        boolean running = status.state() == SandboxState.RUNNING || status.state() == SandboxState.PAUSING;
        double runningHours = ((usage == null ? 0 : usage.runningSeconds()) + (running ? extra : 0)) / 3600.0;
        double pausedHours = ((usage == null ? 0 : usage.pausedSeconds()) + (running ? 0 : extra)) / 3600.0;
        double price = usage == null ? OperatorConfig.E2B_DEFAULT_PRICE_PER_HOUR : usage.pricePerHour();
        String key = status.projectId() + "\u0000" + status.userId();
        keys.put(key, new String[] {status.projectId(), status.userId()});
        double[] row = sums.computeIfAbsent(key, k -> new double[8]);
        row[0]++;
        row[1] += running ? 1 : 0;
        row[2] += status.state() == SandboxState.PAUSED || status.state() == SandboxState.RESUMING ? 1 : 0;
        row[3] += status.state() == SandboxState.KILLED ? 1 : 0;
        row[4] += runningHours;
        row[5] += pausedHours;
        row[6] += runningHours * price;
        row[7] += pausedHours * price;
      }
      token = page.nextPageToken();
    } while (token != null);
    List<Report.Row> rows = new ArrayList<>();
    double[] total = new double[8];
    sums.forEach((key, row) -> {
      rows.add(toRow(keys.get(key)[0], keys.get(key)[1], row));
      for (int i = 0; i < row.length; i++) {
        total[i] += row[i];
      }
    });
    return new Report(rows, toRow(null, null, total), now, source);
  }

  private static Report.Row toRow(String projectId, String userId, double[] r) {
    return new Report.Row(projectId, userId, (int) r[0], (int) r[1], (int) r[2], (int) r[3],
        round(r[4]), round(r[5]), round(r[6]), round(r[7]));
  }

  private static double round(double value) {
    return Math.round(value * 10_000) / 10_000.0;
  }

  // ---- errors -----------------------------------------------------------------------------

  private SandmanException notTracked(String sandboxId) {
    return new SandmanException(SandmanException.Kind.NOT_FOUND, "sandbox " + sandboxId + " is not tracked");
  }

  /** Maps Temporal's exceptions to what the caller can act on. */
  private SandmanException translate(String sandboxId, RuntimeException e) {
    if (e instanceof SandmanException s) {
      return s;
    }
    if (e instanceof WorkflowNotFoundException) {
      Optional<WorkflowExecutionInfo> info = sandboxId == null ? Optional.empty() : describe(sandboxId);
      if (info.isPresent()) {
        return new SandmanException(SandmanException.Kind.CONFLICT,
            "sandbox " + sandboxId + " is " + (info.get().getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
                ? "killed" : "no longer orchestrated (" + shortStatus(info.get().getStatus()) + ")"), null, e);
      }
      return notTracked(sandboxId);
    }
    if (e instanceof WorkflowUpdateException || e instanceof WorkflowException) {
      ApplicationFailure app = applicationFailure(e);
      if (app != null) {
        return new SandmanException(SandmanException.kindOf(app.getType()), app.getOriginalMessage(), fieldOf(app), e);
      }
    }
    StatusRuntimeException grpc = grpcCause(e);
    if (grpc != null) {
      Status.Code code = grpc.getStatus().getCode();
      if (code == Status.Code.NOT_FOUND && sandboxId != null) {
        return notTracked(sandboxId);
      }
      if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.RESOURCE_EXHAUSTED) {
        return new SandmanException(SandmanException.Kind.UNAVAILABLE, "Temporal is unavailable: " + grpc.getStatus().getDescription(), null, e);
      }
    }
    return new SandmanException(SandmanException.Kind.UNAVAILABLE, "request failed: " + e.getMessage(), null, e);
  }

  /** The input field a refusal names, carried as its details. */
  private static String fieldOf(ApplicationFailure app) {
    try {
      return app.getDetails().getSize() > 0 ? app.getDetails().get(0, String.class, String.class) : null;
    } catch (RuntimeException notAField) {
      return null;
    }
  }

  /** The failure Sandman raised: one typed by FailureType (a refused update arrives wrapped by the SDK), else the first. */
  private static ApplicationFailure applicationFailure(Throwable e) {
    ApplicationFailure first = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ApplicationFailure app) {
        if (FailureType.named(app.getType()).isPresent()) {
          return app;
        }
        first = first == null ? app : first;
      }
    }
    return first;
  }

  private static StatusRuntimeException grpcCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StatusRuntimeException s) {
        return s;
      }
    }
    return null;
  }

  // ---- helpers ----------------------------------------------------------------------------

  private void remember(SandboxStatus status) {
    if (status != null && status.state() == SandboxState.KILLED) {
      touches.markKilled(status.sandboxId(),
          new SandmanException(SandmanException.Kind.CONFLICT, "sandbox " + status.sandboxId() + " is killed"));
    }
    touches.learn(status);
  }

  private WorkflowServiceStubs service() {
    return temporal.getWorkflowServiceStubs();
  }

  private static String shortStatus(WorkflowExecutionStatus status) {
    return status.name().replace("WORKFLOW_EXECUTION_STATUS_", "");
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  /** Page tokens say which listing issued them: the server's visibility cursor, or an offset of the scan. */
  private static final String VISIBILITY_TOKEN = "v1:";
  private static final String SCAN_TOKEN = "scan:";

  private static String tokenKind(String token) {
    String text = new String(decodeToken(token), StandardCharsets.ISO_8859_1);
    if (text.startsWith(VISIBILITY_TOKEN) && text.length() > VISIBILITY_TOKEN.length()) {
      return VISIBILITY_TOKEN;
    }
    if (text.startsWith(SCAN_TOKEN) && text.substring(SCAN_TOKEN.length()).matches("[0-9]{1,9}")) {
      return SCAN_TOKEN;
    }
    throw SandmanException.invalid("pageToken", "invalid page token");
  }

  private static String encodeToken(byte[]... parts) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    for (byte[] part : parts) {
      bytes.writeBytes(part);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.toByteArray());
  }

  private static byte[] decodeToken(String token) {
    try {
      return Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      throw SandmanException.invalid("pageToken", "invalid page token");
    }
  }

  public WorkflowClient temporal() {
    return temporal;
  }

  /** Sends the touches this client holds, then stops. */
  @Override
  public void close() {
    touches.flushAll();
    scheduler.shutdown();
  }
}
