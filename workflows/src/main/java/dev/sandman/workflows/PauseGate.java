package dev.sandman.workflows;

import java.time.Duration;
import java.time.Instant;
import java.util.function.BiConsumer;

/**
 * What stands between an idle deadline and the pause (version "work-aware"): E2B's CPU metric, when the
 * policy watches it (a busy sandbox's pause is put off by an idle timeout, at most {@code maxBusy} in a
 * row), then the operator's pre-pause hook (whose 409 puts an idle pause off once per idle spell). A
 * deferral is recorded through {@code note} as a transition that changes no state.
 */
final class PauseGate {
  private final Lifecycle lc;
  private final BiConsumer<Cause, Instant> note;
  private boolean on;

  PauseGate(Lifecycle lc, BiConsumer<Cause, Instant> note) {
    this.lc = lc;
    this.note = note;
  }

  void turnOn(boolean workAware) {
    on = workAware;
  }

  /** The step at the idle deadline {@code idleAt}: the CPU first, then the hook, then the pause. */
  Step atDeadline(Instant idleAt, Instant now) {
    if (on && lc.policy.watchesCpu() && notYet(lc.cpuQuietAt, idleAt) && !busyTooLong(now)) {
      return Step.checkCpu();
    }
    if (asksTheHook() && notYet(lc.prePauseAskedAt, idleAt)) {
      return Step.askBeforePause(Cause.IDLE);
    }
    return Step.pause(Cause.IDLE);
  }

  /** The step of a requested pause: the hook is told first, if there is one. */
  Step onRequest() {
    return asksTheHook() ? Step.askBeforePause(Cause.REQUEST) : Step.pause(Cause.REQUEST);
  }

  boolean asksTheHook() {
    return on && lc.operator != null && lc.operator.prePause() != null;
  }

  /** The window of E2B's CPU samples that decides: the last two minutes, or the idle timeout if shorter. */
  long cpuWindowSeconds() {
    return Math.max(10, Math.min(lc.policy.idleTimeout().toSeconds(), 120));
  }

  /** E2B's CPU at the deadline (null: unreadable, which counts as quiet). */
  void cpuRead(CpuReading reading, Instant now) {
    if (reading != null && reading.atLeast(lc.policy.busyCpuPercent())) {
      if (lc.busySince == null) {
        lc.busySince = now;
      }
      Instant until = Lifecycle.earliest(now.plus(lc.policy.idleTimeout()), lc.busySince.plus(lc.policy.busyCap()));
      if (until.isAfter(now)) {
        lc.pauseDeferredUntil = until;
        note.accept(Cause.BUSY, now);
        return;
      }
    }
    lc.cpuQuietAt = now;
  }

  /** How long the hook is waited for. */
  Duration hookWait() {
    return lc.operator.prePause().waitFor();
  }

  /** The hook's answer, and the step that follows: the pause of a request, nothing for an idle pause (the loop decides again). */
  Step hookAnswered(Step asked, PrePauseAnswer reply, Instant now) {
    boolean idle = asked.cause() == Cause.IDLE;
    if (reply.asksToWait() && idle && !lc.prePauseDeferred && lc.state == SandboxState.RUNNING) {
      lc.prePauseDeferred = true;
      lc.pauseDeferredUntil = now.plus(lc.operator.prePause().deferFor());
      lc.lastPrePause = new PrePauseAnswer(now, asked.cause(), PrePauseAnswer.DEFERRED, reply.detail());
      note.accept(Cause.PRE_PAUSE_DEFERRED, now);
      return Step.nothing();
    }
    String outcome = reply.asksToWait() ? PrePauseAnswer.REFUSED : reply.outcome();
    lc.lastPrePause = new PrePauseAnswer(now, asked.cause(), outcome, reply.detail());
    lc.prePauseAskedAt = now;
    return idle || lc.state != SandboxState.RUNNING ? Step.nothing() : Step.pause(asked.cause());
  }

  private boolean busyTooLong(Instant now) {
    return lc.busySince != null && !now.isBefore(lc.busySince.plus(lc.policy.busyCap()));
  }

  /** Whether what was done at {@code done} was for an earlier deadline than {@code deadline}. */
  private static boolean notYet(Instant done, Instant deadline) {
    return done == null || done.isBefore(deadline);
  }
}
