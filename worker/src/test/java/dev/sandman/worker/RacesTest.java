package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.e2bsim.Fault;
import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Transition;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Activity racing the idle decision, stale and future timestamps, activity racing a pause. */
class RacesTest {
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
  void activityDuringPausingResumesRightAfterThePause() throws Exception {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());
    t.sim.inject(Fault.latency("pause", 1500, 1)); // a slow snapshot
    t.sleep(Duration.ofMinutes(10).plusSeconds(1));
    waitRealTime(id, SandboxState.PAUSING);

    workflow.activity(ActivitySignal.now());
    t.awaitState(id, s -> s.state() == SandboxState.RUNNING && s.counters().resumes() == 1, Duration.ofMillis(200), 50);

    SandboxStatus status = t.status(id);
    assertThat(status.transitions()).extracting(Transition::to).endsWith(
        SandboxState.PAUSING, SandboxState.PAUSED, SandboxState.RESUMING, SandboxState.RUNNING);
    assertThat(t.sim.calls()).extracting(c -> c.operation()).endsWith("pause", "connect");
    assertThat(t.sim.stateOf(id)).isEqualTo("running");
  }

  @Test
  void activityJustBeforeTheDeadlineKeepsItRunning() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());
    t.sleep(Duration.ofMinutes(10).minusMillis(50));
    workflow.activity(ActivitySignal.now());
    t.sleep(Duration.ofMinutes(9));
    assertThat(t.status(id).state()).isEqualTo(SandboxState.RUNNING);
    assertThat(t.sim.count("pause", id)).isZero();
  }

  @Test
  void staleTimestampsNeverMoveTheDeadlineBackAndFutureOnesAreClamped() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());
    Instant tracked = t.status(id).lastActivityAt();
    t.sleep(Duration.ofMinutes(5));

    workflow.activity(new ActivitySignal(tracked.minus(Duration.ofHours(1))));
    SandboxStatus afterStale = t.status(id);
    assertThat(afterStale.lastActivityAt()).isEqualTo(tracked);
    assertThat(afterStale.counters().staleSignals()).isEqualTo(1);

    workflow.activity(new ActivitySignal(t.now().plus(Duration.ofDays(1))));
    SandboxStatus afterFuture = t.status(id);
    assertThat(afterFuture.lastActivityAt()).isBeforeOrEqualTo(t.now());
    assertThat(afterFuture.pauseDeadline()).isBeforeOrEqualTo(t.now().plus(Duration.ofMinutes(10)));

    // an app-stamped time between the two counts: the user was active then
    Instant appTime = t.now().minus(Duration.ofSeconds(30));
    t.sleep(Duration.ofMinutes(11));
    assertThat(t.status(id).state()).isEqualTo(SandboxState.PAUSED);
    // a signal stamped long before the pause does not wake the sandbox
    workflow.activity(new ActivitySignal(appTime.minus(Duration.ofMinutes(20))));
    t.sleep(Duration.ofSeconds(5));
    assertThat(t.status(id).state()).isEqualTo(SandboxState.PAUSED);
    assertThat(t.sim.count("connect", id)).isZero();
  }

  @Test
  void afterAnExplicitPauseOnlyNewerActivityWakesTheSandbox() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());
    t.sleep(Duration.ofMinutes(2));
    Instant beforePause = t.now().minusSeconds(1);
    workflow.pause(ChangeRequest.none());

    workflow.activity(new ActivitySignal(beforePause)); // in flight when the user asked to pause
    t.sleep(Duration.ofSeconds(5));
    assertThat(t.status(id).state()).isEqualTo(SandboxState.PAUSED);

    workflow.activity(ActivitySignal.now());
    t.awaitState(id, s -> s.state() == SandboxState.RUNNING, Duration.ofMillis(200), 50);
    assertThat(t.sim.count("connect", id)).isEqualTo(1);
  }

  /** The pause activity runs in real time; wait for it to be under way. */
  private void waitRealTime(String id, SandboxState state) throws InterruptedException {
    for (int i = 0; i < 100 && t.status(id).state() != state; i++) {
      Thread.sleep(20);
    }
    assertThat(t.status(id).state()).isEqualTo(state);
  }
}
