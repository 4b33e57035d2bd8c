package dev.sandman.workflows;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What stands between an idle deadline and the pause, without Temporal: the CPU, then the hook. */
class PauseGateTest {
  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
  private static final Duration IDLE = Duration.ofMinutes(10);
  private static final CpuReading BUSY = new CpuReading(24, 80);
  private static final CpuReading QUIET = new CpuReading(24, 3);

  private final List<Transition> moves = new ArrayList<>();

  private SandboxMachine machine(Policy policy, OperatorConfig.PrePause hook, boolean workAware) {
    Lifecycle lc = Lifecycle.track(SandboxSpec.of("sb", "p", "u", policy), T0);
    lc.e2bEndAt = T0.plus(Duration.ofDays(1));
    SandboxMachine m = new SandboxMachine(lc, move -> moves.add(move.transition()));
    m.configure(OperatorConfig.standard().withPrePause(hook));
    m.watchWork(workAware);
    return m;
  }

  private static Policy busyAt(int percent, Duration maxBusy) {
    return new Policy(IDLE, null, null, null, percent, maxBusy);
  }

  @Test
  void aBusySandboxIsPutOffAnIdleTimeoutAtATimeUntilMaxBusy() {
    SandboxMachine m = machine(busyAt(50, Duration.ofMinutes(25)), null, true);
    Instant at = T0.plus(IDLE);
    List<Instant> deferrals = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Step step = m.next(at);
      if (step.kind() != Step.Kind.CHECK_CPU) {
        assertThat(step).isEqualTo(Step.pause(Cause.IDLE));
        break;
      }
      m.cpuRead(BUSY, at);
      deferrals.add(at);
      at = m.status(at).pauseDeadline();
    }
    assertThat(deferrals).containsExactly(T0.plus(IDLE), T0.plus(IDLE).plus(IDLE), T0.plus(IDLE).plus(IDLE).plus(IDLE));
    assertThat(at).as("paused at maxBusy after the first busy deadline").isEqualTo(T0.plus(IDLE).plus(Duration.ofMinutes(25)));
    assertThat(moves).extracting(Transition::cause).containsExactly(Cause.BUSY, Cause.BUSY, Cause.BUSY);
    assertThat(moves).allMatch(t -> t.from() == SandboxState.RUNNING && t.to() == SandboxState.RUNNING);
  }

  @Test
  void quietOrUnreadableMetricsLetThePauseGoAheadAndActivityStartsTheCountAgain() {
    SandboxMachine m = machine(busyAt(50, Duration.ofMinutes(15)), null, true);
    Instant deadline = T0.plus(IDLE);
    assertThat(m.next(deadline).kind()).isEqualTo(Step.Kind.CHECK_CPU);
    m.cpuRead(BUSY, deadline);
    Instant later = deadline.plus(Duration.ofMinutes(5));
    m.activity(later, later); // the user is back: a new spell, with its own allowance
    Instant next = later.plus(IDLE);
    assertThat(m.status(next).pauseDeadline()).isEqualTo(next);
    assertThat(m.next(next).kind()).isEqualTo(Step.Kind.CHECK_CPU);
    m.cpuRead(null, next);
    assertThat(m.next(next)).isEqualTo(Step.pause(Cause.IDLE));
    m.cpuRead(QUIET, next);
    assertThat(m.next(next)).isEqualTo(Step.pause(Cause.IDLE));
  }

  @Test
  void withoutTheVersionOrThePolicyNothingIsAsked() {
    assertThat(machine(busyAt(50, null), new OperatorConfig.PrePause(Duration.ofSeconds(30), Duration.ofMinutes(5)), false)
        .next(T0.plus(IDLE))).isEqualTo(Step.pause(Cause.IDLE));
    assertThat(machine(busyAt(0, null), null, true).next(T0.plus(IDLE))).isEqualTo(Step.pause(Cause.IDLE));
    assertThat(machine(new Policy(IDLE, null, null), null, true).next(T0.plus(IDLE))).isEqualTo(Step.pause(Cause.IDLE));
  }

  @Test
  void theHooksFirst409PutsAnIdlePauseOffItsSecondDoesNot() {
    SandboxMachine m = machine(new Policy(IDLE, null, null), new OperatorConfig.PrePause(Duration.ofSeconds(30), Duration.ofMinutes(5)), true);
    Instant deadline = T0.plus(IDLE);
    Step ask = m.next(deadline);
    assertThat(ask).isEqualTo(Step.askBeforePause(Cause.IDLE));
    assertThat(m.prePauseAnswered(ask, PrePauseAnswer.reply(PrePauseAnswer.DEFERRED, "answered 409"), deadline)).isEqualTo(Step.nothing());
    Instant putOff = deadline.plus(Duration.ofMinutes(5));
    assertThat(m.status(deadline).pauseDeadline()).isEqualTo(putOff);
    assertThat(m.next(deadline).kind()).isEqualTo(Step.Kind.SLEEP);
    Step again = m.next(putOff);
    assertThat(again).isEqualTo(Step.askBeforePause(Cause.IDLE));
    m.prePauseAnswered(again, PrePauseAnswer.reply(PrePauseAnswer.DEFERRED, "answered 409"), putOff);
    assertThat(m.status(putOff).prePause().outcome()).isEqualTo(PrePauseAnswer.REFUSED);
    assertThat(m.next(putOff)).isEqualTo(Step.pause(Cause.IDLE));
    assertThat(moves).extracting(Transition::cause).containsExactly(Cause.PRE_PAUSE_DEFERRED);
  }

  @Test
  void aRequestedPauseTellsTheHookAndGoesAheadWhateverItSays() {
    SandboxMachine m = machine(new Policy(IDLE, null, null), new OperatorConfig.PrePause(Duration.ofSeconds(30), Duration.ofMinutes(5)), true);
    Step ask = m.request(Request.PAUSE, "closing", T0.plusSeconds(5));
    assertThat(ask).isEqualTo(Step.askBeforePause(Cause.REQUEST));
    assertThat(m.prePauseAnswered(ask, PrePauseAnswer.reply(PrePauseAnswer.DEFERRED, "answered 409"), T0.plusSeconds(6)))
        .isEqualTo(Step.pause(Cause.REQUEST));
    assertThat(m.prePauseAnswered(ask, PrePauseAnswer.reply(PrePauseAnswer.TIMEOUT, "no answer"), T0.plusSeconds(6)))
        .isEqualTo(Step.pause(Cause.REQUEST));
  }
}
