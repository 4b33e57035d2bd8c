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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
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
    e2b = new E2bClient(E2bConfig.of(sim.url(), E2B_KEY).withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(20)));
    Worker worker = env.newWorker(TASK_QUEUE);
    OperatorConfig effective = webhookUrls.isEmpty() ? operator : withEvents(operator);
    EventActivities events = webhookUrls.isEmpty()
        ? event -> { throw new IllegalStateException("events are off"); }
        : new WebhookActivities(webhookUrls, webhookSecret, testClock(), (type, ok) -> {});
    SandmanWorker.register(worker, new E2bSandboxActivities(e2b, testClock()),
        new WorkerOperatorActivities(effective, env.getWorkflowClient(), TASK_QUEUE), events);
    env.start();
    client = env.getWorkflowClient();
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

  public SandboxWorkflow track(SandboxSpec spec) {
    SandboxWorkflow workflow =
        client.newWorkflowStub(
            SandboxWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(Sandman.workflowId(spec.sandboxId()))
                .setTaskQueue(TASK_QUEUE)
                .build());
    WorkflowClient.start(workflow::run, spec);
    return workflow;
  }

  public SandboxWorkflow workflow(String sandboxId) {
    return client.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(sandboxId));
  }

  public SandboxStatus status(String sandboxId) {
    return workflow(sandboxId).status();
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
