package dev.sandman.worker;

import dev.sandman.activities.E2bClient;
import dev.sandman.activities.E2bConfig;
import dev.sandman.activities.E2bSandboxActivities;
import dev.sandman.e2bsim.E2bSimulator;
import dev.sandman.activities.WebhookActivities;
import dev.sandman.workflows.EventActivities;
import dev.sandman.workflows.OperatorConfig;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxSpec;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Sandman;
import dev.sandman.workflows.SandmanJson;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Temporal's time-skipping test server (a real gRPC service, in process) with a Sandman worker whose
 * activities call the E2B simulator over real HTTP. The simulator and the activities read the test
 * server's clock, so E2B end times and workflow deadlines share one time line.
 */
public final class SandmanTestEnv implements AutoCloseable {
  public static final String TASK_QUEUE = "sandman-test";
  public static final String E2B_KEY = "e2b_test_key_0123456789";

  public final TestWorkflowEnvironment env;
  public final E2bSimulator sim;
  public final WorkflowClient client;
  public final E2bClient e2b;

  public SandmanTestEnv() {
    this(E2bSimulator.Options.defaults().withPauseMillisPerGiB(0));
  }

  public SandmanTestEnv(E2bSimulator.Options simOptions) {
    this(simOptions, OperatorConfig.standard(), List.of(), null);
  }

  /** With the operator configuration a worker would read, and webhooks (none: events off). */
  public SandmanTestEnv(E2bSimulator.Options simOptions, OperatorConfig operator, List<String> webhookUrls, String webhookSecret) {
    this(simOptions, operator, webhookUrls, webhookSecret, true, Duration.ofSeconds(10), Duration.ofSeconds(20), null);
  }

  /** With the operator's pre-pause hook at {@code url}, signed with {@code secret}. */
  public static SandmanTestEnv withPrePauseHook(String url, String secret, OperatorConfig.PrePause settings) {
    return new SandmanTestEnv(E2bSimulator.Options.defaults().withPauseMillisPerGiB(0), OperatorConfig.standard().withPrePause(settings),
        List.of(), null, true, Duration.ofSeconds(10), Duration.ofSeconds(20), new WorkerConfig.PrePauseHook(url, secret));
  }

  /** The settings the sweep reads when an order leaves them to the operator. */
  public static final SweepConfig SWEEP = new SweepConfig(null, dev.sandman.workflows.SweepOrder.REPORT, Duration.ofMinutes(10),
      List.of("sandmanProjectId", "projectId"), List.of("sandmanUserId", "userId"), "adopted", "unknown", 50);

  /** With E2B client timeouts of the test's choosing (a slow E2B answer past them is a fault to test). */
  public static SandmanTestEnv withE2bTimeouts(E2bSimulator.Options simOptions, Duration request, Duration pause) {
    return new SandmanTestEnv(simOptions, OperatorConfig.standard(), List.of(), null, true, request, pause, null);
  }

  /** No worker until the test starts some with {@link #startWorker(String)}: for crash and load-sharing tests. */
  public static SandmanTestEnv withWorkersByHand(E2bSimulator.Options simOptions) {
    return new SandmanTestEnv(simOptions, OperatorConfig.standard(), List.of(), null, false, Duration.ofSeconds(10), Duration.ofSeconds(20), null);
  }

  private final OperatorConfig operator;
  private final EventActivities events;
  private final WorkerConfig.PrePauseHook hook;

  private SandmanTestEnv(E2bSimulator.Options simOptions, OperatorConfig operator, List<String> webhookUrls, String webhookSecret,
      boolean defaultWorker, Duration requestTimeout, Duration pauseTimeout, WorkerConfig.PrePauseHook hook) {
    this.hook = hook;
    TestEnvironmentOptions.Builder options =
        TestEnvironmentOptions.newBuilder()
            .setWorkflowClientOptions(
                WorkflowClientOptions.newBuilder().setDataConverter(SandmanJson.dataConverter()).build());
    Sandman.SEARCH_ATTRIBUTES.forEach(key -> options.registerSearchAttribute(key.getName(), IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD));
    env = TestWorkflowEnvironment.newInstance(options.build());
    try {
      sim = new E2bSimulator(simOptions.withClock(this::now).withApiKey(E2B_KEY)).start(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    e2b = new E2bClient(E2bConfig.of(sim.url(), E2B_KEY).withTimeouts(requestTimeout, pauseTimeout));
    this.operator = webhookUrls.isEmpty() ? operator : withEvents(operator);
    this.events = webhookUrls.isEmpty()
        ? event -> { throw new IllegalStateException("events are off"); }
        : new WebhookActivities(webhookUrls, webhookSecret, testClock(), (type, ok) -> {});
    if (defaultWorker) {
      register(env.newWorker(TASK_QUEUE));
    }
    env.start();
    client = env.getWorkflowClient();
  }

  private void register(Worker worker) {
    WorkerOperatorActivities operatorActivities = new WorkerOperatorActivities(operator, env.getWorkflowClient(), TASK_QUEUE);
    dev.sandman.workflows.PrePauseActivities prePause = hook == null
        ? event -> { throw new IllegalStateException("no pre-pause hook"); }
        : new dev.sandman.activities.PrePauseHookActivities(hook.url(), hook.secret(), testClock());
    SandmanWorker.register(worker, new E2bSandboxActivities(e2b, testClock()), operatorActivities, events, prePause,
        new FleetSweep(e2b, env.getWorkflowClient(), operatorActivities::track, SWEEP, testClock()));
  }

  /**
   * A worker process of its own (its own factory and pollers) on the test task queue. It keeps no
   * workflow cache, so no sticky task queue: the test server never times out a dead worker's sticky
   * queue (the real server does, after 5 s), so a crashed sticky worker would strand its workflows here.
   */
  public WorkerFactory startWorker(String identity) {
    return startWorker(identity, io.temporal.worker.WorkerOptions.getDefaultInstance());
  }

  /** As {@link #startWorker(String)}, running at most {@code activitySlots} activities at once. */
  public WorkerFactory startWorker(String identity, int activitySlots) {
    return startWorker(identity, io.temporal.worker.WorkerOptions.newBuilder()
        .setMaxConcurrentActivityExecutionSize(activitySlots).build());
  }

  private WorkerFactory startWorker(String identity, io.temporal.worker.WorkerOptions options) {
    WorkflowClient own = WorkflowClient.newInstance(env.getWorkflowServiceStubs(),
        env.getWorkflowClient().getOptions().toBuilder().setIdentity(identity).build());
    WorkerFactory factory = WorkerFactory.newInstance(own,
        io.temporal.worker.WorkerFactoryOptions.newBuilder().setWorkflowCacheSize(0).build());
    register(factory.newWorker(TASK_QUEUE, options));
    factory.start();
    return factory;
  }

  private static OperatorConfig withEvents(OperatorConfig o) {
    return new OperatorConfig(o.defaults(), o.minIdleTimeout(), o.maxIdleTimeout(), o.maxPausedRetention(), o.maxHold(),
        o.pauseWarningLead(), o.killWarningLead(), true, o.pricePerHour());
  }

  public Instant now() {
    return Instant.ofEpochMilli(env.currentTimeMillis());
  }

  public Clock testClock() {
    return new SuppliedClock(env::currentTimeMillis);
  }

  /** A sandbox as an app would have created it: running, autoPause, E2B timeout 5 minutes. */
  public String newSandbox() {
    return sim.createSandbox("base", Duration.ofMinutes(5), true, Map.of());
  }

  public SandboxWorkflow track(String sandboxId, Policy policy) {
    return track(SandboxSpec.of(sandboxId, "p1", "u1", policy));
  }

  /** {@code n} new sandboxes, each tracked with {@code policy}; their ids, in order ({@link #workflow} gives a stub). */
  public List<String> trackNew(int n, Policy policy) {
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = newSandbox();
      track(id, policy);
      ids.add(id);
    }
    return ids;
  }

  /** Ends every workflow this environment started that is still open (E2B is left as it is). */
  public void terminateAll(String reason) {
    for (String sandboxId : tracked) {
      try {
        untyped(sandboxId).terminate(reason);
      } catch (RuntimeException alreadyClosed) {
        // completed or terminated before
      }
    }
    tracked.clear();
  }

  private final java.util.Set<String> tracked = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public SandboxWorkflow track(SandboxSpec spec) {
    tracked.add(spec.sandboxId());
    SandboxWorkflow workflow =
        client.newWorkflowStub(
            SandboxWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(Sandman.workflowId(spec.sandboxId()))
                .setTaskQueue(TASK_QUEUE)
                .setTypedSearchAttributes(io.temporal.common.SearchAttributes.newBuilder() // as the client starts it
                    .set(Sandman.SA_STATE, dev.sandman.workflows.SandboxState.RUNNING.name())
                    .set(Sandman.SA_PROJECT_ID, spec.projectId())
                    .set(Sandman.SA_USER_ID, spec.userId())
                    .set(Sandman.SA_TEMPLATE, spec.template() == null ? "" : spec.template())
                    .build())
                .build());
    WorkflowClient.start(workflow::run, spec);
    return workflow;
  }

  /**
   * Runs one sweep as the schedule would, and waits for its report in real time: waiting on the result
   * would let the test server skip time while the sweep's activity runs, ageing the orphans it judges.
   */
  public dev.sandman.workflows.SweepReport sweep(dev.sandman.workflows.SweepOrder order) {
    String id = Sandman.SWEEP_BY_HAND_PREFIX + java.util.UUID.randomUUID();
    dev.sandman.workflows.SweepWorkflow sweep = client.newWorkflowStub(dev.sandman.workflows.SweepWorkflow.class,
        WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(TASK_QUEUE).build());
    WorkflowClient.start(sweep::run, order);
    for (int i = 0; i < 3000; i++) {
      var status = env.getWorkflowServiceStubs().blockingStub().describeWorkflowExecution(
          io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest.newBuilder()
              .setNamespace(client.getOptions().getNamespace())
              .setExecution(io.temporal.api.common.v1.WorkflowExecution.newBuilder().setWorkflowId(id))
              .build()).getWorkflowExecutionInfo().getStatus();
      if (status != io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        break;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    // read from the history: even a finished getResult unlocks time skipping for a moment
    io.temporal.api.history.v1.HistoryEvent last = client.fetchHistory(id).getLastEvent();
    if (last.getEventType() != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) {
      return client.newUntypedWorkflowStub(id).getResult(dev.sandman.workflows.SweepReport.class); // throws its failure
    }
    return SandmanJson.dataConverter().fromPayloads(0,
        java.util.Optional.of(last.getWorkflowExecutionCompletedEventAttributes().getResult()),
        dev.sandman.workflows.SweepReport.class, dev.sandman.workflows.SweepReport.class);
  }

  public SandboxWorkflow workflow(String sandboxId) {
    return client.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(sandboxId));
  }

  public SandboxStatus status(String sandboxId) {
    return workflow(sandboxId).status();
  }

  /** The project's workflow, started if it is not running yet (as the client starts it to set a layer). */
  public dev.sandman.workflows.ProjectWorkflow project(String projectId) {
    dev.sandman.workflows.ProjectWorkflow project = client.newWorkflowStub(dev.sandman.workflows.ProjectWorkflow.class,
        WorkflowOptions.newBuilder().setWorkflowId(Sandman.projectWorkflowId(projectId)).setTaskQueue(TASK_QUEUE)
            .setWorkflowIdConflictPolicy(io.temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
            .build());
    try {
      WorkflowClient.start(project::run, dev.sandman.workflows.ProjectState.empty(projectId));
    } catch (io.temporal.client.WorkflowExecutionAlreadyStarted running) {
      // started before
    }
    return client.newWorkflowStub(dev.sandman.workflows.ProjectWorkflow.class, Sandman.projectWorkflowId(projectId));
  }

  /**
   * Sends an activity signal; refused with "not found" it is sent again. Temporal's Java test server
   * closes a run before it registers the run that continues it, so a signal in that window is refused
   * (not recorded, so sending it again double-counts nothing); the real server does both at once
   * (the integration tier sends 12,000 signals through continue-as-new without a retry).
   */
  public void signalActivity(SandboxWorkflow workflow) {
    for (int attempt = 1; ; attempt++) {
      try {
        workflow.activity(dev.sandman.workflows.ActivitySignal.now());
        return;
      } catch (io.temporal.client.WorkflowNotFoundException closingRun) {
        if (attempt == 20) {
          throw closingRun;
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw closingRun;
        }
      }
    }
  }

  /** The status the workflow published in its memo (what status reads see), read as they read it. */
  public SandboxStatus memoStatus(String sandboxId) {
    var response = env.getWorkflowServiceStubs().blockingStub().describeWorkflowExecution(
        io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest.newBuilder()
            .setNamespace(client.getOptions().getNamespace())
            .setExecution(io.temporal.api.common.v1.WorkflowExecution.newBuilder().setWorkflowId(Sandman.workflowId(sandboxId)))
            .build());
    return dev.sandman.workflows.StatusMemo.read(response.getWorkflowExecutionInfo().getMemo())
        .orElseThrow(() -> new AssertionError("no status in the memo of " + sandboxId));
  }

  public SandboxStatus result(String sandboxId) {
    return client.newUntypedWorkflowStub(Sandman.workflowId(sandboxId)).getResult(SandboxStatus.class);
  }

  public void sleep(Duration duration) {
    env.sleep(duration);
  }

  /** Sleeps in steps until the condition holds (activities run in real time), failing after the limit. */
  public void awaitState(String sandboxId, java.util.function.Predicate<SandboxStatus> condition, Duration step, int maxSteps) {
    for (int i = 0; i < maxSteps; i++) {
      if (condition.test(status(sandboxId))) {
        return;
      }
      env.sleep(step);
    }
    throw new AssertionError("condition not reached; status " + status(sandboxId));
  }

  /** The current run's history. */
  public WorkflowExecutionHistory history(String sandboxId) {
    return client.fetchHistory(Sandman.workflowId(sandboxId));
  }

  public static long count(WorkflowExecutionHistory history, EventType type) {
    return history.getEvents().stream().filter(e -> e.getEventType() == type).count();
  }

  public static List<HistoryEvent> events(WorkflowExecutionHistory history, EventType type) {
    return history.getEvents().stream().filter(e -> e.getEventType() == type).toList();
  }

  public WorkflowStub untyped(String sandboxId) {
    return client.newUntypedWorkflowStub(Sandman.workflowId(sandboxId));
  }

  @Override
  public void close() {
    env.close();
    sim.close();
  }
}
