package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandman.workflows.Cause;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.PolicyPatch;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Sandman;
import io.temporal.api.enums.v1.EventType;
import io.temporal.client.UpdateOptions;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.client.WorkflowUpdateHandle;
import io.temporal.client.WorkflowUpdateStage;
import io.temporal.client.WorkflowStub;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Updates: pause, resume, kill and setPolicy answer once done, and validators refuse the impossible. */
class RequestsTest {
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
  void pauseResumeAndKillAnswerWithTheNewStatus() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());

    SandboxStatus paused = workflow.pause(new ChangeRequest("user closed the tab"));
    assertThat(paused.state()).isEqualTo(SandboxState.PAUSED);
    assertThat(paused.transitions().get(paused.transitions().size() - 1).cause()).isEqualTo(Cause.REQUEST);
    assertThat(t.sim.stateOf(id)).isEqualTo("paused");

    // pausing a paused sandbox is a no-op that answers with the status
    assertThat(workflow.pause(ChangeRequest.none()).state()).isEqualTo(SandboxState.PAUSED);
    assertThat(t.sim.count("pause", id)).isEqualTo(1);

    SandboxStatus resumed = workflow.resume(ChangeRequest.none());
    assertThat(resumed.state()).isEqualTo(SandboxState.RUNNING);
    assertThat(resumed.pauseDeadline()).isAfter(t.now().plus(Duration.ofMinutes(9)));
    assertThat(t.sim.stateOf(id)).isEqualTo("running");

    SandboxStatus killed = workflow.kill(ChangeRequest.none());
    assertThat(killed.state()).isEqualTo(SandboxState.KILLED);
    assertThat(t.sim.stateOf(id)).isNull();
    // the workflow completes with the final status
    assertThat(t.result(id).state()).isEqualTo(SandboxState.KILLED);
    assertThat(t.sim.calls()).extracting(c -> c.operation())
        .containsExactly("get", "pause", "connect", "kill"); // the pause came before any backstop refresh
  }

  @Test
  void requestsOnAKilledSandboxAreRefused() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());
    workflow.kill(ChangeRequest.none());
    t.result(id);

    assertThatThrownBy(() -> workflow.kill(ChangeRequest.none())).isInstanceOf(RuntimeException.class);
    assertThatThrownBy(() -> workflow.resume(ChangeRequest.none())).isInstanceOf(RuntimeException.class);
    assertThat(t.sim.count("kill", id)).isEqualTo(1);
    assertThat(t.status(id).state()).isEqualTo(SandboxState.KILLED);
  }

  @Test
  void invalidPoliciesAreRejectedWithoutTouchingHistory() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());
    t.sleep(Duration.ofSeconds(1));
    long eventsBefore = nonTaskEvents(id);

    assertThatThrownBy(() -> workflow.setPolicy(PolicyPatch.idleTimeout(Duration.ofMinutes(-5))))
        .isInstanceOf(WorkflowUpdateException.class)
        .hasStackTraceContaining("idleTimeout must be between");
    assertThatThrownBy(() -> workflow.setPolicy(new PolicyPatch(null, Duration.ZERO, null, null)))
        .isInstanceOf(WorkflowUpdateException.class)
        .hasStackTraceContaining("pausedRetention");
    assertThatThrownBy(() -> workflow.setPolicy(new PolicyPatch(null, null, Duration.ofDays(100000), null)))
        .isInstanceOf(WorkflowUpdateException.class)
        .hasStackTraceContaining("maxLifetime");

    // (the Java test server logs a workflow task per rejected update; the real server does not)
    assertThat(nonTaskEvents(id)).isEqualTo(eventsBefore);
    assertThat(t.status(id).policy()).isEqualTo(new Policy(Duration.ofMinutes(10), Duration.ofDays(30), null, Duration.ofHours(2)));
  }

  private long nonTaskEvents(String id) {
    return t.history(id).getEvents().stream()
        .filter(e -> !e.getEventType().name().startsWith("EVENT_TYPE_WORKFLOW_TASK_"))
        .count();
  }

  @Test
  void aShorterIdleTimeoutMovesTheDeadlineAtOnce() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());
    t.sleep(Duration.ofMinutes(3));

    SandboxStatus status = workflow.setPolicy(PolicyPatch.idleTimeout(Duration.ofMinutes(1)));
    assertThat(status.policy().idleTimeout()).isEqualTo(Duration.ofMinutes(1));
    // last activity was at tracking, 3 minutes ago: the new deadline has passed, so it pauses now
    t.awaitState(id, s -> s.state() == SandboxState.PAUSED, Duration.ofMillis(200), 50);
    assertThat(t.sim.count("pause", id)).isEqualTo(1);

    // and a longer timeout is honoured after a resume
    workflow.setPolicy(PolicyPatch.idleTimeout(Duration.ofHours(2)));
    workflow.resume(ChangeRequest.none());
    t.sleep(Duration.ofMinutes(119));
    assertThat(t.status(id).state()).isEqualTo(SandboxState.RUNNING);
    t.sleep(Duration.ofMinutes(2));
    assertThat(t.status(id).state()).isEqualTo(SandboxState.PAUSED);
  }

  @Test
  void killRacingResumeIsCarriedOutInOrder() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());
    workflow.pause(ChangeRequest.none());

    WorkflowStub stub = t.untyped(id);
    WorkflowUpdateHandle<SandboxStatus> resume = stub.startUpdate(
        UpdateOptions.newBuilder(SandboxStatus.class).setUpdateName(Sandman.UPDATE_RESUME)
            .setWaitForStage(WorkflowUpdateStage.ACCEPTED).build(), ChangeRequest.none());
    WorkflowUpdateHandle<SandboxStatus> kill = stub.startUpdate(
        UpdateOptions.newBuilder(SandboxStatus.class).setUpdateName(Sandman.UPDATE_KILL)
            .setWaitForStage(WorkflowUpdateStage.ACCEPTED).build(), ChangeRequest.none());

    assertThat(resume.getResult().state()).isEqualTo(SandboxState.RUNNING);
    assertThat(kill.getResult().state()).isEqualTo(SandboxState.KILLED);
    assertThat(t.result(id).state()).isEqualTo(SandboxState.KILLED);
    assertThat(t.sim.calls()).extracting(c -> c.operation()).endsWith("connect", "kill");
  }

  @Test
  void maxLifetimeKillsTheSandboxWhateverItsActivity() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, new Policy(Duration.ofMinutes(10), Duration.ofDays(30), Duration.ofHours(1)));
    assertThat(t.status(id).killDeadline()).isNotNull();
    assertThat(t.status(id).killCause()).isEqualTo(Cause.LIFETIME);
    for (int i = 0; i < 13; i++) {
      t.sleep(Duration.ofMinutes(5));
      if (i < 11) {
        workflow.activity(dev.sandman.workflows.ActivitySignal.now());
      }
    }
    SandboxStatus result = t.result(id);
    assertThat(result.state()).isEqualTo(SandboxState.KILLED);
    assertThat(result.transitions().get(result.transitions().size() - 1).cause()).isEqualTo(Cause.LIFETIME);
    assertThat(t.sim.stateOf(id)).isNull();
  }

  @Test
  void aPausedSandboxIsKilledAfterItsRetention() {
    String id = t.newSandbox();
    t.track(id, new Policy(Duration.ofMinutes(10), Duration.ofDays(30), null));
    t.sleep(Duration.ofMinutes(11));
    assertThat(t.status(id).state()).isEqualTo(SandboxState.PAUSED);

    t.sleep(Duration.ofDays(29));
    assertThat(t.status(id).state()).isEqualTo(SandboxState.PAUSED);
    t.sleep(Duration.ofDays(2));
    SandboxStatus result = t.result(id);
    assertThat(result.state()).isEqualTo(SandboxState.KILLED);
    assertThat(result.transitions().get(result.transitions().size() - 1).cause()).isEqualTo(Cause.RETENTION);
    assertThat(t.sim.stateOf(id)).isNull();
    assertThat(t.sim.count("kill", id)).isEqualTo(1);
    assertThat(SandmanTestEnv.count(t.history(id), EventType.EVENT_TYPE_TIMER_FIRED)).isLessThanOrEqualTo(3);
  }
}
