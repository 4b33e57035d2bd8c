package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.Cause;
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

/** The idle timer: pause after the idle timeout, pushed back by activity, woken by activity. */
class IdleLifecycleTest {
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
  void aSandboxIdleForTenMinutesIsPausedExactlyOnce() {
    String id = t.newSandbox();
    t.track(id, Policy.defaults());

    t.sleep(Duration.ofMinutes(9));
    assertThat(t.status(id).state()).isEqualTo(SandboxState.RUNNING);
    assertThat(t.sim.count("pause", id)).isZero();

    t.sleep(Duration.ofMinutes(2));
    SandboxStatus status = t.status(id);
    assertThat(status.state()).isEqualTo(SandboxState.PAUSED);
    assertThat(status.pauseDeadline()).isNull();
    assertThat(status.killDeadline()).isEqualTo(status.stateSince().plus(Duration.ofDays(30)));
    assertThat(status.counters().pauses()).isEqualTo(1);
    assertThat(status.transitions()).extracting(Transition::to, Transition::cause)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(SandboxState.RUNNING, Cause.TRACK),
            org.assertj.core.groups.Tuple.tuple(SandboxState.PAUSING, Cause.IDLE),
            org.assertj.core.groups.Tuple.tuple(SandboxState.PAUSED, Cause.IDLE));
    assertThat(t.sim.stateOf(id)).isEqualTo("paused");

    t.sleep(Duration.ofHours(5));
    // E2B calls: one describe on tracking, one timeout to put the backstop ahead, one pause; nothing more
    assertThat(t.sim.count("get", id)).isEqualTo(1);
    assertThat(t.sim.count("timeout", id)).isEqualTo(1);
    assertThat(t.sim.count("pause", id)).isEqualTo(1);
    assertThat(t.sim.calls()).extracting(c -> c.operation()).containsExactly("get", "timeout", "pause");
  }

  @Test
  void activityPushesTheDeadlineBack() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());

    for (int i = 0; i < 6; i++) {
      t.sleep(Duration.ofMinutes(5));
      workflow.activity(ActivitySignal.now());
    }
    Instant lastActivity = t.now();
    SandboxStatus status = t.status(id);
    assertThat(status.state()).isEqualTo(SandboxState.RUNNING);
    assertThat(status.counters().activitySignals()).isEqualTo(6);
    assertThat(Duration.between(lastActivity, status.pauseDeadline()).abs())
        .isLessThan(Duration.ofMinutes(10).plusSeconds(2));
    assertThat(t.sim.count("pause", id)).isZero();

    t.sleep(Duration.ofMinutes(9));
    assertThat(t.status(id).state()).isEqualTo(SandboxState.RUNNING);
    t.sleep(Duration.ofMinutes(2));
    assertThat(t.status(id).state()).isEqualTo(SandboxState.PAUSED);
    assertThat(t.sim.count("pause", id)).isEqualTo(1);
  }

  @Test
  void activityOnAPausedSandboxResumesIt() {
    String id = t.newSandbox();
    SandboxWorkflow workflow = t.track(id, Policy.defaults());
    t.sleep(Duration.ofMinutes(11));
    assertThat(t.status(id).state()).isEqualTo(SandboxState.PAUSED);

    workflow.activity(ActivitySignal.now());
    t.awaitState(id, s -> s.state() == SandboxState.RUNNING, Duration.ofMillis(100), 50);

    SandboxStatus status = t.status(id);
    assertThat(status.counters().resumes()).isEqualTo(1);
    assertThat(status.transitions().get(status.transitions().size() - 1).cause()).isEqualTo(Cause.ACTIVITY);
    assertThat(t.sim.stateOf(id)).isEqualTo("running");
    assertThat(t.sim.successes("connect", id)).isEqualTo(1);
    // E2B's own timeout was set on resume past the new pause deadline: the backstop
    assertThat(t.sim.endAtOf(id)).isAfter(status.pauseDeadline());

    // and it goes back to sleep after another idle period
    t.sleep(Duration.ofMinutes(11));
    assertThat(t.status(id).state()).isEqualTo(SandboxState.PAUSED);
    assertThat(t.sim.count("pause", id)).isEqualTo(2);
  }
}
