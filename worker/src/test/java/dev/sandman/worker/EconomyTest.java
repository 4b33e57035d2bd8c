package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandboxWorkflow;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a sandbox costs Temporal: status in the memo, few Actions per hour, no needless upserts. */
class EconomyTest {
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
  void theMemoFollowsEveryChangeAsTheQueryWouldAnswer() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());
    t.sleep(Duration.ofSeconds(1));
    assertSameStatus(t.memoStatus(id), t.status(id));
    assertThat(t.memoStatus(id).activityDueBy()).isEqualTo(t.memoStatus(id).lastActivityAt().plus(Duration.ofMinutes(10)));

    t.sleep(Duration.ofMinutes(4));
    workflow.activity(ActivitySignal.now());
    t.sleep(Duration.ofMillis(100));
    SandboxStatus touched = t.memoStatus(id);
    assertThat(touched.lastActivityAt()).isEqualTo(t.status(id).lastActivityAt()).isAfter(touched.trackedAt());
    assertThat(touched.pauseDeadline()).isEqualTo(touched.lastActivityAt().plus(Duration.ofMinutes(10)));

    workflow.hold(new dev.sandman.workflows.HoldRequest("build", Duration.ofMinutes(30)));
    assertThat(t.memoStatus(id).holds()).hasSize(1);
    assertThat(t.memoStatus(id).pauseDeadline()).isEqualTo(t.status(id).pauseDeadline());
    workflow.setPolicy(dev.sandman.workflows.PolicyPatch.idleTimeout(Duration.ofMinutes(45)));
    assertThat(t.memoStatus(id).policy().idleTimeout()).isEqualTo(Duration.ofMinutes(45));

    workflow.pause(ChangeRequest.none());
    assertThat(t.memoStatus(id).state()).isEqualTo(SandboxState.PAUSED); // in the task that answered the update
    assertThat(t.memoStatus(id).activityDueBy()).isNull();
    assertSameStatus(t.memoStatus(id), t.status(id));

    workflow.kill(ChangeRequest.none());
    t.result(id);
    assertThat(t.memoStatus(id).state()).isEqualTo(SandboxState.KILLED); // a closed workflow keeps its memo
  }

  @Test
  void anHourOfContinuousActivityCostsAboutOneSignalAndOneTimerPerIdleSpan() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());
    t.sleep(Duration.ofSeconds(1));
    List<HistoryEvent> before = t.history(id).getEvents();
    // what a batching client sends: the newest activity, 30 s before the due time the last one set
    int hours = 3;
    int spans = 0;
    for (Duration elapsed = Duration.ZERO; elapsed.compareTo(Duration.ofHours(hours)) < 0; elapsed = elapsed.plusSeconds(570)) {
      t.sleep(Duration.ofSeconds(elapsed.isZero() ? 569 : 570));
      workflow.activity(ActivitySignal.now());
      spans++;
    }
    List<HistoryEvent> after = t.history(id).getEvents();
    Map<String, Long> spent = BillableActions.count(after.subList(before.size(), after.size()));
    double perHour = BillableActions.total(spent) / (double) hours;
    assertThat(spent.get(BillableActions.SIGNAL)).isEqualTo(spans);
    assertThat(spent.get(BillableActions.TIMER)).isBetween((long) spans - 2, (long) spans + 1); // one per span, none for the backstop
    // the first describe and refresh (counted when the worker was slow to run them before the snapshot), then about once an hour
    assertThat(spent.getOrDefault(BillableActions.ACTIVITY, 0L)).isBetween(2L, 5L);
    assertThat(spent).as("%s", t.status(id).transitions()).doesNotContainKey(BillableActions.UPSERT);
    assertThat(perHour).as("Actions per active hour: %s", spent).isLessThanOrEqualTo(15);
    assertThat(t.status(id).state()).isEqualTo(SandboxState.RUNNING);
    assertThat(t.sim.count("pause", id)).isZero();
  }

  @Test
  void anIdleCycleUpsertsTheStateOnlyWhereTheSandboxComesToRest() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());
    t.sleep(Duration.ofMinutes(1));
    int before = t.history(id).getEvents().size();
    t.sleep(Duration.ofMinutes(10));
    t.awaitState(id, s -> s.state() == SandboxState.PAUSED, Duration.ofMillis(200), 50);
    workflow.activity(ActivitySignal.now());
    t.awaitState(id, s -> s.state() == SandboxState.RUNNING, Duration.ofMillis(200), 50);
    List<HistoryEvent> cycle = t.history(id).getEvents().subList(before, t.history(id).getEvents().size());
    Map<String, Long> spent = BillableActions.count(cycle);
    assertThat(spent.get(BillableActions.UPSERT)).isEqualTo(2); // PAUSED and RUNNING; PAUSING and RESUMING live in the memo
    assertThat(spent.get(BillableActions.ACTIVITY)).isEqualTo(2); // pause and connect
    assertThat(BillableActions.total(spent)).as("%s", spent).isLessThanOrEqualTo(8);
    assertThat(BillableActions.events(cycle, EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED)).isPositive();
  }

  @Test
  void tracksNeverTouchTheProjectAndAPolicyChangeCostsOneSignalPerOpenSandbox() {
    int sandboxes = 60;
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < sandboxes; i++) {
      String id = t.newSandbox();
      t.track(dev.sandman.workflows.SandboxSpec.of(id, "big", "u" + i, null));
      ids.add(id);
    }
    t.sleep(Duration.ofSeconds(1));
    assertThat(t.env.getWorkflowClient().getWorkflowServiceStubs().blockingStub().listOpenWorkflowExecutions(
        io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsRequest.newBuilder().setNamespace("default").build())
        .getExecutionsList()).noneMatch(w -> w.getExecution().getWorkflowId().startsWith("project-")); // no join: no project workflow at all

    dev.sandman.workflows.ProjectWorkflow project = t.project("big");
    dev.sandman.workflows.ProjectStatus changed = project.setPolicy(new Policy(Duration.ofMinutes(30), null, null, null));
    assertThat(changed.sandboxes()).isEqualTo(sandboxes);
    t.sleep(Duration.ofSeconds(1));
    ids.forEach(id -> assertThat(t.status(id).policy().idleTimeout()).isEqualTo(Duration.ofMinutes(30)));
    List<HistoryEvent> projectHistory = t.client.fetchHistory("project-big").getEvents();
    Map<String, Long> spent = BillableActions.count(projectHistory);
    assertThat(spent).containsEntry(BillableActions.ACTIVITY, 1L).containsEntry(BillableActions.UPDATE, 1L); // one push, whatever the size
    assertThat(projectHistory.size()).isLessThan(30);
    ids.forEach(id -> assertThat(BillableActions.count(t.history(id).getEvents()).get(BillableActions.SIGNAL)).isEqualTo(1L));

    // a sandbox tracked after the change reads the layer when it starts
    String later = t.newSandbox();
    t.track(dev.sandman.workflows.SandboxSpec.of(later, "big", "late", null));
    t.sleep(Duration.ofSeconds(1));
    assertThat(t.status(later).policy().idleTimeout()).isEqualTo(Duration.ofMinutes(30));
    assertThat(t.client.fetchHistory("project-big").getEvents()).hasSize(projectHistory.size());
  }

  private static void assertSameStatus(SandboxStatus memo, SandboxStatus query) {
    assertThat(memo).usingRecursiveComparison().ignoringFields("usage").isEqualTo(query);
  }
}
