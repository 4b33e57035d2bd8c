package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.workflows.Cause;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.OperatorConfig;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.PrePauseAnswer;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Transition;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Work a sandbox does without sending activity (a build, an agent's LLM call) keeps it from pausing,
 * for a bounded time; and the app's pre-pause hook gets its chance to flush before any pause.
 */
class WorkAwareIdleTest {
  private static final Duration IDLE = Duration.ofMinutes(1);
  private static final String SECRET = "hook-secret-0123456789";

  private static Policy busyAt(int percent, Duration maxBusy) {
    return new Policy(IDLE, null, null, null, percent, maxBusy);
  }

  private static Transition last(SandboxStatus status) {
    return status.transitions().get(status.transitions().size() - 1);
  }

  @Test
  void aBusySandboxIsNotPausedAtItsDeadlineButIsOnceQuiet() {
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      String id = t.newSandbox();
      t.sim.setCpu(id, 90);
      t.track(id, busyAt(50, Duration.ofMinutes(30)));
      t.sleep(IDLE.plusSeconds(10));
      t.awaitState(id, st -> last(st).cause() == Cause.BUSY, Duration.ofMillis(100), 50);
      SandboxStatus busy = t.status(id);
      assertThat(busy.state()).isEqualTo(SandboxState.RUNNING);
      assertThat(last(busy).from()).isEqualTo(SandboxState.RUNNING);
      assertThat(busy.pauseDeadline()).isAfter(last(busy).at().plus(IDLE).minusSeconds(1));
      assertThat(t.sim.count("metrics", id)).as("one E2B call per deadline").isEqualTo(1);
      assertThat(t.sim.count("pause", id)).isZero();

      t.sim.setCpu(id, 3); // the build finished
      t.sleep(IDLE.plusSeconds(10));
      t.awaitState(id, st -> st.state() == SandboxState.PAUSED, Duration.ofMillis(100), 50);
      SandboxStatus paused = t.status(id);
      assertThat(last(paused).cause()).isEqualTo(Cause.IDLE);
      assertThat(t.sim.count("metrics", id)).isEqualTo(2);
      assertThat(t.sim.count("pause", id)).isEqualTo(1);
    }
  }

  @Test
  void aSandboxBusyForEverIsPausedAtMaxBusyAndActivityStartsTheCountAgain() {
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      String id = t.newSandbox();
      t.sim.setCpu(id, 99);
      SandboxWorkflow w = t.track(id, busyAt(50, Duration.ofMinutes(3)));
      t.sleep(IDLE.plusSeconds(5));
      t.awaitState(id, st -> last(st).cause() == Cause.BUSY, Duration.ofMillis(100), 50);
      t.signalActivity(w); // the user came back: a new idle spell, its own busy allowance
      t.sleep(IDLE.plusMinutes(5));
      t.awaitState(id, st -> st.state() == SandboxState.PAUSED, Duration.ofSeconds(5), 100);
      SandboxStatus paused = t.status(id);
      Transition firstBusyOfSpell = paused.transitions().stream()
          .filter(tr -> tr.cause() == Cause.BUSY && tr.at().isAfter(paused.lastActivityAt())).findFirst().orElseThrow();
      assertThat(Duration.between(firstBusyOfSpell.at(), paused.stateSince())).as("paused at maxBusy after the first busy deadline")
          .isBetween(Duration.ofMinutes(3), Duration.ofMinutes(3).plusSeconds(30));
      assertThat(t.sim.count("metrics", id)).as("one reading per deadline: 1 before the activity, 3 after").isEqualTo(4);
      assertThat(t.sim.count("pause", id)).isEqualTo(1);
    }
  }

  @Test
  void aSandboxWhoseMetricsCannotBeReadIsPausedAsIdle() {
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      String id = t.newSandbox();
      t.sim.setCpu(id, 99);
      t.sim.inject(dev.sandman.e2bsim.Fault.status("metrics", 500, -1));
      t.track(id, busyAt(50, Duration.ofMinutes(30)));
      t.sleep(IDLE.plusSeconds(10));
      t.awaitState(id, st -> st.state() == SandboxState.PAUSED, Duration.ofMillis(200), 100);
      assertThat(last(t.status(id)).cause()).isEqualTo(Cause.IDLE);
    }
  }

  private static OperatorConfig.PrePause hookSettings(Duration wait) {
    return new OperatorConfig.PrePause(wait, Duration.ofMinutes(5));
  }

  @Test
  void theHookIsToldBeforeAnIdlePauseSignedAndA2xxLetsItGoAhead() {
    try (HookReceiver app = new HookReceiver(SECRET);
         SandmanTestEnv t = SandmanTestEnv.withPrePauseHook(app.url(), SECRET, hookSettings(Duration.ofSeconds(30)))) {
      app.answer(204, 300); // the app flushes its files, then answers
      String id = t.newSandbox();
      t.track(id, new Policy(IDLE, null, null));
      t.sleep(IDLE.plusSeconds(5));
      t.awaitState(id, st -> st.state() == SandboxState.PAUSED, Duration.ofMillis(200), 100);
      assertThat(app.received()).hasSize(1);
      HookReceiver.Received asked = app.received().get(0);
      assertThat(asked.signedRight()).isTrue();
      assertThat(asked.body()).contains("\"type\":\"sandbox.pausing\"", "\"sandboxId\":\"" + id + "\"", "\"cause\":\"idle\"");
      SandboxStatus paused = t.status(id);
      assertThat(paused.prePause().outcome()).isEqualTo(PrePauseAnswer.OK);
      assertThat(paused.prePause().detail()).isEqualTo("answered 204");
      assertThat(t.sim.count("pause", id)).isEqualTo(1);
    }
  }

  @Test
  void a409PutsTheIdlePauseOffOnceAndASecond409DoesNot() {
    try (HookReceiver app = new HookReceiver(SECRET);
         SandmanTestEnv t = SandmanTestEnv.withPrePauseHook(app.url(), SECRET, hookSettings(Duration.ofSeconds(30)))) {
      app.answer(409, 0).answer(409, 0);
      String id = t.newSandbox();
      t.track(id, new Policy(IDLE, null, null));
      t.sleep(IDLE.plusSeconds(5));
      t.awaitState(id, st -> last(st).cause() == Cause.PRE_PAUSE_DEFERRED, Duration.ofMillis(200), 100);
      SandboxStatus deferred = t.status(id);
      assertThat(deferred.state()).isEqualTo(SandboxState.RUNNING);
      assertThat(deferred.prePause().outcome()).isEqualTo(PrePauseAnswer.DEFERRED);
      assertThat(deferred.pauseDeadline()).isEqualTo(last(deferred).at().plus(Duration.ofMinutes(5)));
      t.sleep(Duration.ofMinutes(5).plusSeconds(5));
      t.awaitState(id, st -> st.state() == SandboxState.PAUSED, Duration.ofMillis(200), 100);
      SandboxStatus paused = t.status(id);
      assertThat(paused.prePause().outcome()).isEqualTo(PrePauseAnswer.REFUSED);
      assertThat(app.received()).hasSize(2);
      assertThat(t.sim.count("pause", id)).isEqualTo(1);
    }
  }

  @Test
  void aHookThatFailsOrHangsNeverHoldsThePauseLongerThanItsWait() {
    try (HookReceiver app = new HookReceiver(SECRET);
         SandmanTestEnv t = SandmanTestEnv.withPrePauseHook(app.url(), SECRET, hookSettings(Duration.ofSeconds(2)))) {
      app.answer(500, 0).answer(200, 10_000);
      List<String> ids = List.of(t.newSandbox(), t.newSandbox());
      t.track(ids.get(0), new Policy(IDLE, null, null));
      t.sleep(IDLE.plusSeconds(5));
      t.awaitState(ids.get(0), st -> st.state() == SandboxState.PAUSED, Duration.ofMillis(200), 100);
      assertThat(t.status(ids.get(0)).prePause().outcome()).isEqualTo(PrePauseAnswer.FAILED);
      assertThat(t.status(ids.get(0)).prePause().detail()).isEqualTo("answered 500");

      t.track(ids.get(1), new Policy(IDLE, null, null));
      t.sleep(IDLE.plusSeconds(5));
      t.awaitState(ids.get(1), st -> st.state() == SandboxState.PAUSED, Duration.ofMillis(500), 100);
      SandboxStatus hung = t.status(ids.get(1));
      assertThat(hung.prePause().outcome()).isEqualTo(PrePauseAnswer.TIMEOUT);
      assertThat(Duration.between(hung.prePause().at(), hung.stateSince())).isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  void aRequestedPauseAsksTheHookAndGoesAheadEvenOn409() {
    try (HookReceiver app = new HookReceiver(SECRET);
         SandmanTestEnv t = SandmanTestEnv.withPrePauseHook(app.url(), SECRET, hookSettings(Duration.ofSeconds(30)))) {
      app.answer(409, 0);
      String id = t.newSandbox();
      SandboxWorkflow w = t.track(id, Policy.defaults());
      SandboxStatus paused = w.pause(new ChangeRequest("user closed the tab"));
      assertThat(paused.state()).isEqualTo(SandboxState.PAUSED);
      assertThat(paused.prePause().outcome()).isEqualTo(PrePauseAnswer.REFUSED);
      assertThat(paused.prePause().cause()).isEqualTo(Cause.REQUEST);
      assertThat(app.received().get(0).body()).contains("\"cause\":\"request\"");
    }
  }
}
