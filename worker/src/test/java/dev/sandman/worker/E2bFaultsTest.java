package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.e2bsim.E2bSimulator;
import dev.sandman.e2bsim.Fault;
import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.Cause;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.FailureType;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Transition;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What E2B answers, and how the workflow ends up in the right state whatever it is. */
class E2bFaultsTest {
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
  void aSandboxThatVanishedEndsKilledAsSandboxGone() {
    String id = t.newSandbox();
    t.track(id, Policy.defaults());
    t.sleep(Duration.ofMinutes(1));
    t.sim.vanish(id);
    t.sleep(Duration.ofMinutes(10));

    SandboxStatus result = t.result(id);
    assertThat(result.state()).isEqualTo(SandboxState.KILLED);
    assertThat(last(result).cause()).isEqualTo(Cause.SANDBOX_GONE);
    assertThat(result.lastError().type()).isEqualTo(FailureType.SANDBOX_GONE.name());
    assertThat(t.sim.count("pause", id)).isEqualTo(1); // 404 is never retried
  }

  @Test
  void trackingASandboxE2bDoesNotKnowEndsAtOnce() {
    SandboxStatus result;
    t.track("no-such-sandbox", Policy.defaults());
    result = t.result("no-such-sandbox");
    assertThat(result.state()).isEqualTo(SandboxState.KILLED);
    assertThat(last(result).cause()).isEqualTo(Cause.SANDBOX_GONE);
  }

  @Test
  void serverErrorsAreRetriedUntilThePauseGoesThrough() {
    String id = t.newSandbox();
    t.track(id, Policy.defaults());
    t.sim.inject(Fault.status("pause", 503, 2));
    t.sim.inject(Fault.reset("pause", 1));
    t.sleep(Duration.ofMinutes(10));
    t.awaitState(id, s -> s.state() == SandboxState.PAUSED, Duration.ofSeconds(1), 60);

    assertThat(t.sim.count("pause", id)).isEqualTo(4);
    assertThat(t.sim.successes("pause", id)).isEqualTo(1);
    assertThat(t.status(id).counters().pauses()).isEqualTo(1);
    assertThat(t.status(id).lastError()).isNull();
  }

  @Test
  void rateLimitsAreRetriedAfterTheDelayE2bAsksFor() {
    String id = t.newSandbox();
    t.track(id, Policy.defaults());
    t.sim.inject(Fault.rateLimited("pause", 1, 12)); // under the 15 s cap (E2bSandboxActivities.MAX_RETRY_DELAY)
    t.sleep(Duration.ofMinutes(10));
    t.awaitState(id, s -> s.state() == SandboxState.PAUSED, Duration.ofSeconds(1), 60);

    List<E2bSimulator.Call> pauses = t.sim.calls().stream().filter(c -> c.operation().equals("pause")).toList();
    assertThat(pauses).extracting(E2bSimulator.Call::status).containsExactly(429, 204);
    assertThat(Duration.between(pauses.get(0).at(), pauses.get(1).at())).isGreaterThanOrEqualTo(Duration.ofSeconds(11));
  }

  @Test
  void aRefusedPauseIsNotRetriedAndTheSandboxKeepsRunningUntilE2bRecovers() {
    String id = t.newSandbox();
    t.track(id, Policy.defaults());
    t.sim.inject(Fault.status("pause", 403, 1));
    t.sleep(Duration.ofMinutes(10));
    t.awaitState(id, s -> s.lastError() != null, Duration.ofSeconds(1), 30);

    SandboxStatus status = t.status(id);
    assertThat(status.state()).isEqualTo(SandboxState.RUNNING);
    assertThat(status.lastError().type()).isEqualTo(FailureType.E2B_REJECTED.name());
    assertThat(status.lastError().message()).contains("403");
    assertThat(t.sim.count("pause", id)).isEqualTo(1);

    // the workflow backs off, then tries again and succeeds
    t.sleep(Duration.ofMinutes(1));
    t.awaitState(id, s -> s.state() == SandboxState.PAUSED, Duration.ofSeconds(1), 30);
    assertThat(t.sim.count("pause", id)).isEqualTo(2);
  }

  @Test
  void e2bDownForTheWholeRetryBudgetLeavesTheBackstopInCharge() {
    String id = t.newSandbox();
    t.track(id, Policy.defaults());
    t.sleep(Duration.ofMinutes(1)); // backstop set: E2B will auto-pause by itself at its end time
    assertThat(t.sim.endAtOf(id)).isNotNull();
    t.sim.inject(Fault.status("*", 500, -1));
    t.sleep(Duration.ofMinutes(9));
    t.awaitState(id, s -> s.lastError() != null, Duration.ofMinutes(1), 40);

    SandboxStatus status = t.status(id);
    assertThat(status.state()).isEqualTo(SandboxState.RUNNING);
    assertThat(status.lastError().type()).isEqualTo(FailureType.E2B_UNAVAILABLE.name());
    t.sim.clearFaults();
    t.awaitState(id, s -> s.state() == SandboxState.PAUSED, Duration.ofMinutes(1), 40);
    assertThat(t.sim.stateOf(id)).isEqualTo("paused");
  }

  @Test
  void aSandboxE2bAutoPausedBehindTheWorkflowsBackIsReconciled() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());
    t.sleep(Duration.ofMinutes(1));
    t.sim.autoPauseNow(id);

    // an explicit pause meets E2B's 409, asks E2B, finds it paused: success
    SandboxStatus paused = workflow.pause(ChangeRequest.none());
    assertThat(paused.state()).isEqualTo(SandboxState.PAUSED);
    assertThat(t.sim.calls().stream().filter(c -> c.operation().equals("pause")))
        .extracting(E2bSimulator.Call::status).containsExactly(409);

    // later E2B pauses it again on its own; the workflow, kept active, notices at its next call
    workflow.resume(ChangeRequest.none());
    t.sim.autoPauseNow(id);
    for (int i = 0; i < 20 && t.status(id).state() == SandboxState.RUNNING; i++) { // the backstop call comes within the hour
      t.sleep(Duration.ofMinutes(5));
      workflow.activity(ActivitySignal.now());
    }
    assertThat(t.status(id).transitions()).extracting(Transition::cause).contains(Cause.RECONCILE);
    // the user is active, so the next activity wakes it
    workflow.activity(ActivitySignal.now());
    t.awaitState(id, s -> s.state() == SandboxState.RUNNING, Duration.ofMillis(200), 50);
    assertThat(t.sim.stateOf(id)).isEqualTo("running");
  }

  @Test
  void aConnectionResetOnResumeIsRetried() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());
    workflow.pause(ChangeRequest.none());
    t.sim.inject(Fault.reset("connect", 1));
    assertThat(workflow.resume(ChangeRequest.none()).state()).isEqualTo(SandboxState.RUNNING);
    assertThat(t.sim.count("connect", id)).isEqualTo(2);
    assertThat(t.sim.successes("connect", id)).isEqualTo(1);
  }

  private static Transition last(SandboxStatus status) {
    return status.transitions().get(status.transitions().size() - 1);
  }
}
