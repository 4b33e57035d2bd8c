package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxSpec;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Sandman;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.common.converter.GlobalDataConverter;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the workflow costs Temporal: no orphan timers, bounded runs, search attributes. */
class HistoryTest {
  private SandmanTestEnv t;

  @BeforeEach
  void start() {
    t = new SandmanTestEnv();
  }

  @AfterEach
  void stop() {
    t.close();
  }

  @Test
  void activitySignalsAddAConstantNumberOfEventsAndNoTimers() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());
    t.sleep(Duration.ofSeconds(1));
    WorkflowExecutionHistory before = t.history(id);

    int signals = 60;
    for (int i = 0; i < signals; i++) {
      t.sleep(Duration.ofSeconds(30)); // one signal every 30 s for 30 minutes
      workflow.activity(ActivitySignal.now());
    }
    WorkflowExecutionHistory after = t.history(id);

    long added = after.getEvents().size() - before.getEvents().size();
    long timersFired = SandmanTestEnv.count(after, EventType.EVENT_TYPE_TIMER_FIRED);
    long timersStarted = SandmanTestEnv.count(after, EventType.EVENT_TYPE_TIMER_STARTED);
    long timersCancelled = SandmanTestEnv.count(after, EventType.EVENT_TYPE_TIMER_CANCELED);
    long activities = SandmanTestEnv.count(after, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        - SandmanTestEnv.count(before, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    assertThat(SandmanTestEnv.count(after, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).isEqualTo(signals);
    // a signal costs SIGNALED + one workflow task (3 events) + the memo it publishes, and starts no timer;
    // everything else is explained by the one idle timer firing once per idle-timeout span and the rare backstop call
    long notFromSignals = added - 5L * signals;
    assertThat(notFromSignals).isBetween(0L, 7 * (timersFired + activities) + 2);
    assertThat(timersFired).isLessThanOrEqualTo(30 / 10 + 2);
    assertThat(activities).isLessThanOrEqualTo(1); // one backstop refresh in 30 minutes of activity
    assertThat(timersStarted - timersFired - timersCancelled).isLessThanOrEqualTo(1); // one pending at most
    assertThat(timersCancelled).isZero();
    assertThat(t.status(id).state()).isEqualTo(SandboxState.RUNNING);
  }

  @Test
  void tenThousandSignalsInBurstsSurviveEveryContinueAsNew() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(SandboxSpec.of(id, "p1", "u1", Policy.defaults()).withMaxEventsPerRun(1000));
    int signals = 0;
    for (int burst = 0; burst < 21; burst++) {
      for (int i = 0; i < 500; i++, signals++) {
        t.signalActivity(workflow);
      }
      t.sleep(Duration.ofSeconds(5)); // a user pauses between bursts
    }
    SandboxStatus status = t.status(id);
    assertThat(status.counters().activitySignals()).isEqualTo(signals);
    assertThat(status.counters().runs()).isGreaterThan(5);
    assertThat(status.state()).isEqualTo(SandboxState.RUNNING);
    assertThat(status.pauseDeadline()).isEqualTo(status.lastActivityAt().plus(Duration.ofMinutes(10)));
    assertThat(status.trackedAt()).isBefore(status.lastActivityAt().plusMillis(1));
    assertThat(t.history(id).getEvents().size()).isLessThan(1200);

    t.sleep(Duration.ofMinutes(11));
    status = t.status(id);
    assertThat(status.state()).isEqualTo(SandboxState.PAUSED);
    assertThat(status.counters().pauses()).isEqualTo(1);
    assertThat(t.sim.count("pause", id)).isEqualTo(1);
  }

  @Test
  void aNonStopFloodLosesNoSignal() {
    // Temporal refuses to close a run while new signals keep arriving, so a flood with no gap delays
    // continue-as-new until the first gap; nothing is lost meanwhile (the coalescing client and the
    // HTTP API keep real apps far from this)
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(SandboxSpec.of(id, "p1", "u1", Policy.defaults()).withMaxEventsPerRun(500));
    int signals = 5_000;
    for (int i = 0; i < signals; i++) {
      t.signalActivity(workflow);
    }
    t.sleep(Duration.ofSeconds(1));
    SandboxStatus status = t.status(id);
    assertThat(status.counters().activitySignals()).isEqualTo(signals);
    assertThat(status.counters().runs()).isGreaterThan(1);
    assertThat(status.state()).isEqualTo(SandboxState.RUNNING);
    assertThat(status.pauseDeadline()).isEqualTo(status.lastActivityAt().plus(Duration.ofMinutes(10)));
  }

  @Test
  void searchAttributesFollowTheState() {
    String id = t.newSandbox();
    t.track(new SandboxSpec(id, "proj-7", "user-9", "nextjs", Map.of("k", "v"), Policy.defaults(), null, null));
    t.sleep(Duration.ofSeconds(1));
    assertThat(searchAttributes(id)).containsEntry("SandboxState", "RUNNING")
        .containsEntry("SandboxProjectId", "proj-7")
        .containsEntry("SandboxUserId", "user-9")
        .containsEntry("SandboxTemplate", "nextjs");
    t.sleep(Duration.ofMinutes(11));
    assertThat(searchAttributes(id)).containsEntry("SandboxState", "PAUSED");
  }

  private Map<String, String> searchAttributes(String id) {
    var response = t.env.getWorkflowServiceStubs().blockingStub().describeWorkflowExecution(
        DescribeWorkflowExecutionRequest.newBuilder()
            .setNamespace(t.env.getNamespace())
            .setExecution(WorkflowExecution.newBuilder().setWorkflowId(Sandman.workflowId(id)))
            .build());
    Map<String, String> values = new java.util.HashMap<>();
    response.getWorkflowExecutionInfo().getSearchAttributes().getIndexedFieldsMap().forEach((k, v) ->
        values.put(k, GlobalDataConverter.get().fromPayload(v, String.class, String.class)));
    return values;
  }
}
