package dev.sandman.starter;

import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.CreateSandboxWorkflow;
import dev.sandman.workflows.CreateSpec;
import dev.sandman.workflows.Hold;
import dev.sandman.workflows.FailureType;
import dev.sandman.workflows.HoldRequest;
import dev.sandman.workflows.Limits;
import dev.sandman.workflows.ProjectStatus;
import dev.sandman.workflows.Usage;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.PolicyPatch;
import dev.sandman.workflows.SandboxSpec;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SweepOrder;
import dev.sandman.workflows.SweepReport;
import dev.sandman.workflows.SweepWorkflow;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Sandman;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
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
public final class SandmanClient implements Sandboxes {
  private static final Logger log = LoggerFactory.getLogger(SandmanClient.class);
  /** How long a create may take, E2B's retries included. */
  private static final Duration CREATE_TIMEOUT = Duration.ofMinutes(10);

  /**
   * How the client behaves. Touches are held and the newest is sent {@code touchMargin} before the
   * workflow needs it (one signal per idle-timeout span); a {@code touchWindow} instead sends one per
   * window. Policy fields a track request leaves unset come from the
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
  private final StatusReader reads;
  private final Failures failures = new Failures(this::describe);
  private final SandboxLister lister;
  private final Projects projects;
  /** Timers and discovery of the status streams, apart from the touch flushes. */
  private final ScheduledExecutorService streams = Executors.newScheduledThreadPool(2, r -> {
    Thread t = new Thread(r, "sandman-streams");
    t.setDaemon(true);
    return t;
  });
  private final ScopeCache scopes = new ScopeCache(this::list);

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
  private static final int FLUSH_THREADS = 32;

  public SandmanClient(WorkflowClient temporal, Options options, Clock clock, TouchScheduler timers) {
    this.temporal = temporal;
    this.reads = new StatusReader(temporal, clock, failures, this::remember, this::newestTouch);
    this.lister = new SandboxLister(temporal, reads::describe, failures);
    this.projects = new Projects(temporal, options.taskQueue(), this::list, failures);
    this.options = options;
    this.clock = clock;
    // each held touch's send blocks on a describe and a signal: on a loaded cluster (seconds each) two threads
    // sent 200 active sandboxes' touches late and the cluster tier saw them paused; sends are few, threads cheap
    this.scheduler = Executors.newScheduledThreadPool(FLUSH_THREADS, r -> {
      Thread t = new Thread(r, "sandman-touch-flush");
      t.setDaemon(true);
      return t;
    });
    TouchScheduler run = timers != null ? timers : (when, task) -> scheduler.schedule(task,
        Math.max(0, when.toEpochMilli() - clock.millis()), TimeUnit.MILLISECONDS);
    this.touches = new TouchCoalescer(options.touchWindow(), options.touchMargin() == null
        ? Options.DEFAULT_TOUCH_MARGIN : options.touchMargin(), id -> reads.memoStatus(id), this::signalActivity,
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
    SandboxStatus status = reads.firstStatus(spec.sandboxId());
    if (created && status.state() == SandboxState.KILLED && status.lastError() != null
        && FailureType.SANDBOX_GONE.name().equals(status.lastError().type())) {
      throw new SandmanException(SandmanException.Kind.NOT_FOUND, "E2B does not know sandbox " + spec.sandboxId());
    }
    return new TrackResult(status, created);
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
    return new TrackResult(reads.firstStatus(sandboxId), true);
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
    Validation.rule(() -> Limits.activityAt(at));
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
    return reads.status(sandboxId);
  }

  /** The workflow's own answer: the {@code status} query (a billed Action), or a killed sandbox's result. */
  public SandboxStatus queryStatus(String sandboxId) {
    Validation.sandboxId(sandboxId);
    return reads.queryStatus(sandboxId);
  }

  /** Sandboxes by project, user and/or state, newest first, paginated. */
  public ListPage list(ListQuery query) {
    return lister.list(query);
  }

  /** The visibility query operators can paste into the Temporal UI for the same filter. */
  public static String visibilityQuery(ListQuery query) {
    return SandboxLister.visibilityQuery(query);
  }

  // ---- changes ----------------------------------------------------------------------------

  public SandboxStatus pause(String sandboxId, String reason) {
    return change(sandboxId, () -> stub(sandboxId).pause(new ChangeRequest(Validation.reason(reason))));
  }

  public SandboxStatus resume(String sandboxId, String reason) {
    return change(sandboxId, () -> stub(sandboxId).resume(new ChangeRequest(Validation.reason(reason))));
  }

  /** Kills the sandbox; a sandbox already killed answers its final status (a kill is idempotent). */
  public SandboxStatus kill(String sandboxId, String reason) {
    try {
      return change(sandboxId, () -> stub(sandboxId).kill(new ChangeRequest(Validation.reason(reason))));
    } catch (SandmanException e) {
      if (e.kind() == SandmanException.Kind.CONFLICT) {
        SandboxStatus now = status(sandboxId);
        if (now.state() == SandboxState.KILLED) {
          return now;
        }
      }
      throw e;
    }
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

  /** Replaces the project's policy layer; its open sandboxes get it at once, later ones when they start. */
  public ProjectStatus setProjectPolicy(String projectId, Policy layer) {
    return projects.setPolicy(projectId, layer);
  }

  /** The project's layer as its workflow published it, and its open sandboxes counted now (no billed Action). */
  public ProjectStatus projectStatus(String projectId) {
    return projects.status(projectId);
  }

  /** Usage and cost by project and user over every sandbox the filter matches (all pages). */
  public Report report(ListQuery filter) {
    UsageReport report = new UsageReport(Instant.now());
    eachStatus(filter, page -> report.from(page.source()), report::add);
    return report.build();
  }

  /** The status of every sandbox the filter matches, page by page (each page told first); ones gone meanwhile are skipped. */
  private void eachStatus(ListQuery filter, java.util.function.Consumer<ListPage> onPage,
      java.util.function.Consumer<SandboxStatus> onStatus) {
    Pages.each(this::list, filter, page -> {
      onPage.accept(page);
      for (SandboxSummary item : page.items()) {
        try {
          onStatus.accept(status(item.sandboxId()));
        } catch (SandmanException gone) {
          // ended outside Sandman (e.g. terminated): nothing to count or learn from
        }
      }
    });
  }

  /**
   * Advice on each project's idle timeout from its sandboxes' recorded activity gaps (every page the
   * filter matches; no billed Action): the 1-60 minute timeout that costs least, a resume priced as
   * {@code waitCostPerHour} of the user's time for its measured duration.
   */
  public IdleAdvice advice(ListQuery filter, double waitCostPerHour) {
    if (!(waitCostPerHour >= 0 && waitCostPerHour <= 10_000)) {
      throw SandmanException.invalid("waitCostPerHour", "waitCostPerHour must be between 0 and 10000 dollars");
    }
    IdleAdvisor advisor = new IdleAdvisor(Instant.now(), waitCostPerHour);
    eachStatus(filter, page -> { }, advisor::add);
    return advisor.build();
  }

  /** The longest grace a sweep order may give young orphans. */
  static final Duration MAX_SWEEP_GRACE = Duration.ofDays(30);

  /**
   * Runs one sweep of E2B's sandboxes now (on a worker, which holds the E2B key) and answers its report:
   * the migration path from a cron table, by hand ({@code sandman adopt}).
   */
  public SweepReport sweep(SweepOrder order) {
    if (order == null) {
      throw SandmanException.invalid(null, "a sweep order is required");
    }
    if (order.orphans() != null && !SweepOrder.isAction(order.orphans())) {
      throw SandmanException.invalid("orphans", "orphans must be report, adopt or kill");
    }
    if (order.metadata() != null) {
      Validation.metadata(order.metadata());
    }
    if (order.grace() != null && (order.grace().isNegative() || order.grace().compareTo(MAX_SWEEP_GRACE) > 0)) {
      throw SandmanException.invalid("grace", "grace must be between PT0S and " + MAX_SWEEP_GRACE);
    }
    SweepOrder whole = new SweepOrder(order.orphans(), order.metadata() == null ? Map.of() : order.metadata(), order.dryRun(), order.grace());
    SweepWorkflow sweep = temporal.newWorkflowStub(SweepWorkflow.class, WorkflowOptions.newBuilder()
        .setWorkflowId(Sandman.SWEEP_BY_HAND_PREFIX + UUID.randomUUID())
        .setTaskQueue(options.taskQueue())
        .build());
    try {
      return sweep.run(whole);
    } catch (RuntimeException e) {
      throw translate(null, e);
    }
  }

  // ---- errors -----------------------------------------------------------------------------

  private SandmanException translate(String sandboxId, RuntimeException e) {
    return failures.translate(sandboxId, e);
  }


  // ---- helpers ----------------------------------------------------------------------------

  private java.util.Optional<io.temporal.api.workflow.v1.WorkflowExecutionInfo> describe(String sandboxId) {
    return reads.describe(sandboxId);
  }

  private Instant newestTouch(String sandboxId) {
    return touches.newestTouch(sandboxId);
  }

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



  // ---- E2B's own word -----------------------------------------------------------------------

  /** What became of a notice from E2B. */
  public enum NoticeOutcome {
    /** The sandbox's workflow was told, and looks at E2B. */
    SIGNALLED,
    /** The workflow already shows what the notice says (Sandman's own pause or resume, told back). */
    ALREADY_KNOWN,
    /** No workflow tracks the sandbox. */
    UNTRACKED,
    /** Created with Sandman's metadata (project and user) by someone else: now tracked. */
    TRACKED
  }

  /**
   * E2B told of a change ({@code type}: {@code created}, {@code updated}, {@code paused}, {@code resumed},
   * {@code killed}) to a sandbox. A tracked sandbox whose published status does not already show it gets
   * the notice (one signal; the workflow then asks E2B and reconciles); one that shows it costs nothing
   * (a describe).
   */
  public NoticeOutcome noticeE2b(String sandboxId, String eventId, String type, Instant at) {
    return noticeE2b(sandboxId, eventId, type, at, null, null);
  }

  /**
   * As above; a {@code created} sandbox no workflow tracks is tracked when its E2B metadata names
   * Sandman's project and user ({@code sandmanProjectId}, {@code sandmanUserId}), unless Sandman's own
   * create made it (it carries {@code sandmanCreateId}, and that create tracks it with its policy).
   */
  public NoticeOutcome noticeE2b(String sandboxId, String eventId, String type, Instant at, String template,
      java.util.Map<String, String> metadata) {
    Validation.sandboxId(sandboxId);
    java.util.Optional<SandboxStatus> known;
    try {
      known = reads.memoStatus(sandboxId);
    } catch (SandmanException e) {
      if (e.kind() == SandmanException.Kind.NOT_FOUND) {
        return adopt(sandboxId, type, template, metadata);
      }
      throw e;
    }
    if (known.isPresent() && shows(known.get().state(), type)) {
      return NoticeOutcome.ALREADY_KNOWN;
    }
    try {
      temporal.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(sandboxId))
          .e2bNotice(new dev.sandman.workflows.E2bNotice(eventId, type, at));
      return NoticeOutcome.SIGNALLED;
    } catch (io.temporal.client.WorkflowNotFoundException ended) {
      return NoticeOutcome.UNTRACKED; // killed already: its story is over
    } catch (RuntimeException e) {
      throw failures.translate(sandboxId, e);
    }
  }

  private NoticeOutcome adopt(String sandboxId, String type, String template, java.util.Map<String, String> metadata) {
    if (!type.equals("created") || metadata == null || metadata.containsKey(dev.sandman.workflows.CreateSpec.META_CREATE)
        || !metadata.containsKey(dev.sandman.workflows.CreateSpec.META_PROJECT) || !metadata.containsKey(dev.sandman.workflows.CreateSpec.META_USER)) {
      return NoticeOutcome.UNTRACKED;
    }
    java.util.Map<String, String> rest = new java.util.TreeMap<>(metadata);
    String projectId = rest.remove(dev.sandman.workflows.CreateSpec.META_PROJECT);
    String userId = rest.remove(dev.sandman.workflows.CreateSpec.META_USER);
    try {
      track(new TrackRequest(sandboxId, projectId, userId, template, rest.isEmpty() ? null : rest, null));
      return NoticeOutcome.TRACKED;
    } catch (SandmanException e) {
      if (e.kind() == SandmanException.Kind.INVALID_ARGUMENT || e.kind() == SandmanException.Kind.NOT_FOUND) {
        log.warn("sandbox {} created with Sandman's metadata cannot be tracked: {}", sandboxId, e.getMessage());
        return NoticeOutcome.UNTRACKED;
      }
      throw e;
    }
  }

  private static boolean shows(SandboxState state, String type) {
    return switch (type) {
      case "paused" -> state == SandboxState.PAUSED || state == SandboxState.PAUSING;
      case "resumed", "created" -> state == SandboxState.RUNNING || state == SandboxState.RESUMING;
      case "killed" -> state == SandboxState.KILLED;
      default -> false; // updated: look
    };
  }

  // ---- streams ----------------------------------------------------------------------------

  /**
   * Every change to the sandbox as it happens (its status as published, and warnings), read from its
   * workflow's history with long polls: no billed Action. {@code lastEventId} (null to begin with the
   * status as it is now) resumes after an event this or another client delivered. An untracked
   * sandbox is refused here; a killed one delivers its final status and ends.
   */
  public Subscription subscribe(String sandboxId, String lastEventId, StatusListener listener) {
    Validation.sandboxId(sandboxId);
    HistoryFollower.From from = lastEventId == null || lastEventId.isBlank() ? new HistoryFollower.Now()
        : new HistoryFollower.After(StreamPosition.parse(lastEventId));
    try {
      return HistoryFollower.start(temporal, streams, sandboxId, from, HistoryFollower.to(listener));
    } catch (io.grpc.StatusRuntimeException e) {
      throw failures.translate(sandboxId, e);
    }
  }

  /**
   * The events of every sandbox of a project and/or user ({@code scope}'s state, when set, keeps the
   * events whose status is in it); new sandboxes join within about a second. A fresh feed begins with
   * each sandbox's status as it is now.
   */
  public Subscription subscribeAll(ListQuery scope, String lastEventId, StatusListener listener) {
    if (scope.projectId() != null) {
      Validation.id("projectId", scope.projectId());
    }
    if (scope.userId() != null) {
      Validation.id("userId", scope.userId());
    }
    return FeedFollower.start(temporal, streams, scopes::sandboxes, scope, lastEventId, listener);
  }

  public WorkflowClient temporal() {
    return temporal;
  }

  /** Sends the touches this client holds, then stops. */
  @Override
  public void close() {
    touches.flushAll();
    scheduler.shutdown();
    streams.shutdownNow();
  }
}
