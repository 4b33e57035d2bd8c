package dev.sandman.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.e2bsim.Fault;
import dev.sandman.reliability.Matrix.Outcome;
import dev.sandman.worker.HookReceiver;
import dev.sandman.worker.SandmanTestEnv;
import dev.sandman.workflows.Cause;
import dev.sandman.workflows.OperatorConfig;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.PrePauseAnswer;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SweepOrder;
import dev.sandman.workflows.SweepReport;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What Sandman asks E2B and the app beyond pause and resume (the CPU metric, the list the sweep reads,
 * the pre-pause hook) failing in every way: none of it may keep a sandbox from its pause for long, or
 * lose a sandbox.
 */
class TruthFromE2bTest {
  private static final String SECRET = "reliability-hook-secret-0123";
  private static final Duration IDLE = Duration.ofSeconds(5);
  private static final Duration HOOK_WAIT = Duration.ofSeconds(3);
  private static HookReceiver app;
  private static SandmanTestEnv t;

  @BeforeAll
  static void start() {
    app = new HookReceiver(SECRET);
    t = SandmanTestEnv.withPrePauseHook(app.url(), SECRET, new OperatorConfig.PrePause(HOOK_WAIT, Duration.ofMinutes(5)));
  }

  @AfterAll
  static void stop() {
    t.close();
    app.close();
  }

  @BeforeEach
  void noFaultsLeft() {
    t.sim.clearFaults();
  }

  @AfterEach
  void endEveryWorkflow() {
    t.terminateAll("case over");
  }

  private static Cause lastCause(SandboxStatus status) {
    return status.transitions().get(status.transitions().size() - 1).cause();
  }

  /** A sandbox that looks busy, with the idle pause due in {@link #IDLE}: paused as idle, how late. */
  private static Outcome pausedThoughMetricsFail(Fault fault) {
    String id = t.newSandbox();
    t.sim.setCpu(id, 99);
    t.sim.inject(fault);
    t.track(id, new Policy(IDLE, null, null, null, 50, Duration.ofHours(1)));
    Instant deadline = t.status(id).pauseDeadline();
    t.awaitState(id, s -> s.state() == SandboxState.PAUSED, Duration.ofMillis(500), 120);
    SandboxStatus paused = t.status(id);
    assertThat(lastCause(paused)).isEqualTo(Cause.IDLE);
    assertThat(t.sim.count("pause", id)).isEqualTo(1);
    Duration late = Duration.between(deadline, paused.stateSince());
    assertThat(late).isLessThan(Duration.ofMinutes(1));
    return new Outcome("PAUSED (idle) " + late.toMillis() / 1000.0 + " s after the deadline; E2B's metrics answered "
        + t.sim.answers("metrics", id), 1, 1, 0);
  }

  @Test
  void metricsThatFailCountAsQuiet() {
    Matrix.check("E2B's word and the app's hook", "E2B's metrics fail at the idle deadline", "500 on every metrics call",
        "a busy-policy sandbox is paused as idle (an unreadable metric is not busy)",
        () -> pausedThoughMetricsFail(Fault.status("metrics", 500, -1)));
  }

  @Test
  void metricsThatHangCountAsQuiet() {
    Matrix.check("E2B's word and the app's hook", "E2B's metrics hang at the idle deadline", "answer slower than the client timeout",
        "paused as idle within a minute of the deadline", () -> pausedThoughMetricsFail(Fault.latency("metrics", 12_000, -1)));
  }

  private static Outcome pausedThoughHook(String expectedOutcome) {
    String id = t.newSandbox();
    t.track(id, new Policy(IDLE, null, null));
    Instant deadline = t.status(id).pauseDeadline();
    t.awaitState(id, s -> s.state() == SandboxState.PAUSED, Duration.ofMillis(500), 120);
    SandboxStatus paused = t.status(id);
    assertThat(paused.prePause().outcome()).isEqualTo(expectedOutcome);
    Duration late = Duration.between(deadline, paused.stateSince());
    assertThat(late).isLessThan(HOOK_WAIT.plusSeconds(20));
    return new Outcome("PAUSED " + late.toMillis() / 1000.0 + " s after the deadline; prePause " + paused.prePause().outcome()
        + " (" + paused.prePause().detail() + ")", 1, 1, 0);
  }

  @Test
  void aHookAnswering500DoesNotHoldThePause() {
    Matrix.check("E2B's word and the app's hook", "the pre-pause hook fails", "the app answers 500",
        "paused at once after the answer; the status says failed", () -> {
          app.answer(500, 0);
          return pausedThoughHook(PrePauseAnswer.FAILED);
        });
  }

  @Test
  void aHookThatHangsHoldsThePauseOnlyForItsWait() {
    Matrix.check("E2B's word and the app's hook", "the pre-pause hook hangs", "the app answers after 20 s (the wait is 3 s)",
        "paused once the wait runs out; the status says timeout", () -> {
          app.answer(200, 20_000);
          return pausedThoughHook(PrePauseAnswer.TIMEOUT);
        });
  }

  @Test
  void aHookThatAsksForTimeForEverGetsItOnce() {
    Matrix.check("E2B's word and the app's hook", "the pre-pause hook always answers 409", "409, then 409 again",
        "the idle pause is put off once (5 min), then goes ahead", () -> {
          app.answer(409, 0).answer(409, 0);
          String id = t.newSandbox();
          t.track(id, new Policy(IDLE, null, null));
          t.awaitState(id, s -> lastCause(s) == Cause.PRE_PAUSE_DEFERRED, Duration.ofMillis(500), 60);
          t.sleep(Duration.ofMinutes(5));
          t.awaitState(id, s -> s.state() == SandboxState.PAUSED, Duration.ofMillis(500), 120);
          SandboxStatus paused = t.status(id);
          assertThat(paused.prePause().outcome()).isEqualTo(PrePauseAnswer.REFUSED);
          assertThat(paused.transitions().stream().filter(tr -> tr.cause() == Cause.PRE_PAUSE_DEFERRED)).hasSize(1);
          return new Outcome("deferred once, PAUSED at the second deadline; prePause refused", 1, 2, 0);
        });
  }

  @Test
  void aSweepWaitsOutE2bsRateLimit() {
    Matrix.check("E2B's word and the app's hook", "the sweep meets E2B's rate limit", "429 with Retry-After: 2 on a list page",
        "the sweep waits as asked and lists every sandbox", () -> {
          for (int i = 0; i < 150; i++) {
            t.sim.createSandbox("base", Duration.ofHours(1), true, Map.of("case", "rate"));
          }
          t.sim.inject(Fault.rateLimited("list", 1, 2));
          SweepReport report = t.sweep(new SweepOrder(SweepOrder.REPORT, Map.of("case", "rate"), false, null));
          assertThat(report.e2bListed()).isEqualTo(150);
          assertThat(report.rateLimited()).isEqualTo(1);
          return new Outcome("listed 150 in " + report.e2bPages() + " pages after " + report.rateLimited() + " wait", 150, 1, 0);
        });
  }

  @Test
  void aSweepWhoseListFailsIsRetriedWhole() {
    Matrix.check("E2B's word and the app's hook", "E2B's list fails during a sweep", "503 on 2 list calls in a row, then a reset",
        "each attempt fails, Temporal runs the sweep again (4 attempts; past them the next scheduled run sweeps), the orphan is adopted once", () -> {
          String orphan = t.sim.createSandbox("base", Duration.ofHours(1), true, Map.of("case", "retry"));
          t.sim.inject(Fault.status("list", 503, 2));
          t.sim.inject(Fault.reset("list", 1));
          SweepReport report = t.sweep(new SweepOrder(SweepOrder.ADOPT, Map.of("case", "retry"), false, Duration.ZERO));
          assertThat(report.adopted()).isEqualTo(1);
          assertThat(t.status(orphan).state()).isEqualTo(SandboxState.RUNNING);
          return new Outcome("adopted on attempt 4; E2B answered " + t.sim.answers("list", null), 1, 3, 0);
        });
  }

  @Test
  void anOrphanWhoseKillFailsIsLeftForTheNextSweep() {
    Matrix.check("E2B's word and the app's hook", "E2B refuses to kill an orphan", "500 on the kill",
        "the sweep reports it refused and finishes; the next sweep kills it", () -> {
          String orphan = t.sim.createSandbox("base", Duration.ofHours(1), true, Map.of("case", "kill"));
          t.sim.inject(Fault.status("kill", 500, 1));
          SweepOrder kill = new SweepOrder(SweepOrder.KILL, Map.of("case", "kill"), false, Duration.ZERO);
          SweepReport first = t.sweep(kill);
          assertThat(first.refused()).isEqualTo(1);
          assertThat(t.sim.stateOf(orphan)).isEqualTo("running");
          SweepReport second = t.sweep(kill);
          assertThat(second.killed()).isEqualTo(1);
          assertThat(t.sim.stateOf(orphan)).isNull();
          return new Outcome("refused, then killed by the next sweep", 1, 1, 0);
        });
  }
}
