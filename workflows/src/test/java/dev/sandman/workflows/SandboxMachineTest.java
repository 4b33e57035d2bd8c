package dev.sandman.workflows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** The lifecycle's rules without Temporal: every state against every input, then the finer rules. */
class SandboxMachineTest {
  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
  /** Idle 10 min, paused retention 1 h, lifetime 2 h. */
  private static final Policy POLICY = new Policy(Duration.ofMinutes(10), Duration.ofHours(1), Duration.ofHours(2));
  private static final Instant QUIET = T0.plus(Duration.ofMinutes(6));
  private static final Instant IDLE = T0.plus(Duration.ofMinutes(11));
  private static final Instant PAST_LIFETIME = T0.plus(Duration.ofMinutes(121));
  private static final LastError UNAVAILABLE = new LastError(T0, "op", FailureType.E2B_UNAVAILABLE.name(), "503");
  private static final LastError GONE = new LastError(T0, "op", FailureType.SANDBOX_GONE.name(), "404");

  /** A sandbox in {@code state} since T0+5 min, last active at T0, E2B's timeout far out. */
  private static final class Fixture {
    final Lifecycle lc = Lifecycle.track(SandboxSpec.of("sb", "p", "u", POLICY), T0);
    final List<Transition> moves = new ArrayList<>();
    final SandboxMachine machine = new SandboxMachine(lc, move -> moves.add(move.transition()));

    Fixture(SandboxState state) {
      lc.state = state;
      lc.stateSince = T0.plus(Duration.ofMinutes(5));
      lc.e2bEndAt = T0.plus(Duration.ofHours(3));
      if (state == SandboxState.PAUSED || state == SandboxState.RESUMING) {
        lc.pausedAt = lc.stateSince;
      }
    }
  }

  /** The call in flight in each state, as E2B answers it. */
  private static Step callOf(SandboxState state) {
    return switch (state) {
      case RUNNING -> Step.extendBackstop();
      case PAUSING -> Step.pause(Cause.IDLE);
      case PAUSED -> Step.kill(Cause.RETENTION);
      case RESUMING -> Step.resume(Cause.ACTIVITY);
      case KILLED -> Step.look();
    };
  }

  private static final Map<String, BiFunction<Fixture, SandboxState, String>> INPUTS = new LinkedHashMap<>();

  static {
    INPUTS.put("time, nothing due", (f, s) -> f.machine.next(QUIET).kind().name());
    INPUTS.put("time, idle deadline", (f, s) -> f.machine.next(IDLE).kind().name());
    INPUTS.put("time, past lifetime", (f, s) -> f.machine.next(PAST_LIFETIME).kind().name());
    INPUTS.put("request pause", (f, s) -> f.machine.request(Request.PAUSE, null, QUIET).kind().name());
    INPUTS.put("request resume", (f, s) -> f.machine.request(Request.RESUME, null, QUIET).kind().name());
    INPUTS.put("request kill", (f, s) -> f.machine.request(Request.KILL, null, QUIET).kind().name());
    INPUTS.put("E2B says running", (f, s) -> answered(f, s, new E2bView("sb", E2bView.RUNNING, null), null));
    INPUTS.put("E2B says paused", (f, s) -> answered(f, s, new E2bView("sb", E2bView.PAUSED, null), null));
    INPUTS.put("E2B fails", (f, s) -> answered(f, s, null, UNAVAILABLE));
    INPUTS.put("E2B: gone", (f, s) -> answered(f, s, null, GONE));
    INPUTS.put("activity", (f, s) -> f.machine.activity(QUIET, QUIET) ? "wakes" : "-");
    INPUTS.put("hold", (f, s) -> {
      f.machine.hold("h", new HoldRequest("build", Duration.ofMinutes(30)), QUIET);
      return f.lc.resumeRequested ? "wakes" : "-";
    });
    INPUTS.put("policy change", (f, s) -> {
      f.machine.setPolicy(PolicyPatch.idleTimeout(Duration.ofMinutes(3)));
      return f.lc.policy.idleTimeout().toString();
    });
  }

  private static String answered(Fixture f, SandboxState state, E2bView view, LastError error) {
    Step call = callOf(state);
    f.machine.answered(call, view, error, QUIET);
    return "-";
  }

  /** input, then for each state: what the machine answers / the state after. */
  private static final String TABLE = """
      input               | RUNNING               | PAUSING              | PAUSED                 | RESUMING             | KILLED
      time, nothing due   | SLEEP/RUNNING         | NOTHING/PAUSING      | SLEEP/PAUSED           | NOTHING/RESUMING     | NOTHING/KILLED
      time, idle deadline | PAUSE/RUNNING         | NOTHING/PAUSING      | SLEEP/PAUSED           | NOTHING/RESUMING     | NOTHING/KILLED
      time, past lifetime | KILL/RUNNING          | NOTHING/PAUSING      | KILL/PAUSED            | NOTHING/RESUMING     | NOTHING/KILLED
      request pause       | PAUSE/RUNNING         | NOTHING/PAUSING      | NOTHING/PAUSED         | NOTHING/RESUMING     | NOTHING/KILLED
      request resume      | NOTHING/RUNNING       | NOTHING/PAUSING      | RESUME/PAUSED          | NOTHING/RESUMING     | NOTHING/KILLED
      request kill        | KILL/RUNNING          | KILL/PAUSING         | KILL/PAUSED            | KILL/RESUMING        | NOTHING/KILLED
      E2B says running    | -/RUNNING             | -/PAUSED             | -/KILLED               | -/RUNNING            | -/KILLED
      E2B says paused     | -/PAUSED              | -/PAUSED             | -/KILLED               | -/RUNNING            | -/KILLED
      E2B fails           | -/RUNNING             | -/RUNNING            | -/PAUSED               | -/PAUSED             | -/KILLED
      E2B: gone           | -/KILLED              | -/KILLED             | -/KILLED               | -/KILLED             | -/KILLED
      activity            | -/RUNNING             | wakes/PAUSING        | wakes/PAUSED           | -/RESUMING           | -/KILLED
      hold                | -/RUNNING             | wakes/PAUSING        | wakes/PAUSED           | -/RESUMING           | -/KILLED
      policy change       | PT3M/RUNNING          | PT3M/PAUSING         | PT3M/PAUSED            | PT3M/RESUMING        | PT3M/KILLED
      """;

  @Test
  void everyStateAnswersEveryInputAsTheTableSays() {
    List<String> lines = TABLE.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    List<String> header = cells(lines.get(0));
    assertThat(header.subList(1, header.size())).containsExactly("RUNNING", "PAUSING", "PAUSED", "RESUMING", "KILLED");
    Map<String, List<String>> rows = new LinkedHashMap<>();
    lines.subList(1, lines.size()).forEach(line -> rows.put(cells(line).get(0), cells(line).subList(1, header.size())));
    assertThat(rows.keySet()).as("every input has a row").containsExactlyElementsOf(INPUTS.keySet());
    List<String> wrong = new ArrayList<>();
    INPUTS.forEach((input, apply) -> {
      for (SandboxState state : SandboxState.values()) {
        Fixture f = new Fixture(state);
        String actual = apply.apply(f, state) + "/" + f.lc.state;
        String expected = rows.get(input).get(state.ordinal());
        if (!actual.equals(expected)) {
          wrong.add(input + " in " + state + ": expected " + expected + ", got " + actual);
        }
      }
    });
    assertThat(wrong).isEmpty();
  }

  private static List<String> cells(String line) {
    return List.of(line.split("\\|")).stream().map(String::strip).toList();
  }

  @Test
  void aPauseGoesThroughPausingAndIsRecordedWithItsCause() {
    Fixture f = new Fixture(SandboxState.RUNNING);
    Step step = f.machine.next(IDLE);
    assertThat(step).isEqualTo(Step.pause(Cause.IDLE));
    f.machine.calling(step, IDLE);
    assertThat(f.lc.state).isEqualTo(SandboxState.PAUSING);
    f.machine.answered(step, new E2bView("sb", E2bView.PAUSED, null), null, IDLE.plusSeconds(3));
    assertThat(f.moves).extracting(Transition::to).containsExactly(SandboxState.PAUSING, SandboxState.PAUSED);
    assertThat(f.moves).extracting(Transition::cause).containsOnly(Cause.IDLE);
    assertThat(f.lc.pausedAt).isEqualTo(IDLE.plusSeconds(3));
    assertThat(f.lc.runningMillis).isEqualTo(Duration.between(f.lc.trackedAt.plus(Duration.ofMinutes(5)), IDLE.plusSeconds(3)).toMillis());
    assertThat(f.lc.e2bCalls).isEqualTo(1);
  }

  @Test
  void aRequestsReasonIsRecordedWithItsTransitions() {
    Fixture f = new Fixture(SandboxState.RUNNING);
    Step pause = f.machine.request(Request.PAUSE, "lunch break", QUIET);
    f.machine.calling(pause, QUIET);
    f.machine.answered(pause, null, null, QUIET);
    f.machine.answer(Request.PAUSE, QUIET);
    assertThat(f.moves).extracting(Transition::reason).containsExactly("lunch break", "lunch break");
    f.machine.activity(QUIET.plusSeconds(1), QUIET.plusSeconds(2));
    Step resume = f.machine.next(QUIET.plusSeconds(2));
    f.machine.calling(resume, QUIET.plusSeconds(2));
    assertThat(f.moves.get(2).reason()).isNull(); // activity gives no reason
  }

  @Test
  void aPolicyChangeBeforeTheOperatorsConfigIsReadIsKept() {
    Fixture f = new Fixture(SandboxState.RUNNING); // a first workflow task: the update ran before run() read the config
    f.machine.setPolicy(PolicyPatch.idleTimeout(Duration.ofSeconds(2)));
    f.machine.configure(OperatorConfig.standard());
    assertThat(f.lc.policy.idleTimeout()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void aFailedCallBacksOffAutomaticWorkAndAnswersRequestsWithTheError() {
    Fixture f = new Fixture(SandboxState.RUNNING);
    Step pause = Step.pause(Cause.IDLE);
    f.machine.calling(pause, IDLE);
    f.machine.answered(pause, null, UNAVAILABLE, IDLE);
    assertThat(f.lc.state).isEqualTo(SandboxState.RUNNING);
    assertThat(f.machine.next(IDLE.plusSeconds(29))).isEqualTo(Step.sleepUntil(IDLE.plusSeconds(30)));
    assertThat(f.machine.next(IDLE.plusSeconds(30))).isEqualTo(Step.pause(Cause.IDLE));
    Request.Answer answer = f.machine.answer(Request.PAUSE, IDLE);
    assertThat(answer.failureType()).isEqualTo(FailureType.E2B_UNAVAILABLE.name());
    assertThat(answer.message()).isEqualTo("E2B op failed: 503");
  }

  @Test
  void activityPushesTheDeadlineBackAndStaleActivityIsCounted() {
    Fixture f = new Fixture(SandboxState.RUNNING);
    f.machine.activity(T0.plus(Duration.ofMinutes(4)), QUIET);
    assertThat(f.lc.pauseDeadline()).isEqualTo(T0.plus(Duration.ofMinutes(14)));
    f.machine.activity(T0.minus(Duration.ofMinutes(30)), QUIET);
    assertThat(f.lc.staleSignals).isEqualTo(1);
    f.machine.activity(QUIET.plusSeconds(60), QUIET); // from the future: taken as now
    assertThat(f.lc.lastActivityAt).isEqualTo(QUIET);
  }

  @Test
  void anExplicitPauseIsNotUndoneByOlderActivity() {
    Fixture f = new Fixture(SandboxState.RUNNING);
    Step pause = f.machine.request(Request.PAUSE, null, QUIET);
    f.machine.calling(pause, QUIET);
    f.machine.answered(pause, null, null, QUIET);
    assertThat(f.machine.activity(QUIET.minusSeconds(1), QUIET.plusSeconds(5))).isFalse();
    assertThat(f.machine.activity(QUIET.plusSeconds(1), QUIET.plusSeconds(5))).isTrue();
    assertThat(f.machine.next(QUIET.plusSeconds(5))).isEqualTo(Step.resume(Cause.ACTIVITY));
  }

  @Test
  void aHoldKeepsTheSandboxAwakeAtMostItsCap() {
    Fixture f = new Fixture(SandboxState.RUNNING);
    Hold hold = f.machine.hold("h", new HoldRequest("build", Duration.ofDays(1)), QUIET);
    assertThat(hold.expiresAt()).isEqualTo(QUIET.plus(Policy.DEFAULT_MAX_HOLD));
    assertThat(f.machine.next(IDLE)).isEqualTo(Step.sleepUntil(f.lc.lifetimeDeadline())); // before the hold ends
    f.machine.release("h");
    assertThat(f.machine.next(IDLE)).isEqualTo(Step.pause(Cause.IDLE));
  }

  @Test
  void warningsAreSentOncePerDeadlineAndOnlyWithEventsOn() {
    Fixture f = new Fixture(SandboxState.RUNNING);
    f.machine.configure(new OperatorConfig(Policy.defaults(), Duration.ofSeconds(1), Duration.ofDays(7), Duration.ofDays(3650),
        Duration.ofDays(1), Duration.ofMinutes(2), Duration.ofHours(1), true, 0.1));
    f.machine.setPolicy(new PolicyPatch(POLICY.idleTimeout(), POLICY.pausedRetention(), POLICY.maxLifetime(), null));
    Instant warnAt = T0.plus(Duration.ofMinutes(8));
    assertThat(f.machine.next(QUIET)).isEqualTo(Step.sleepUntil(warnAt));
    Step warn = f.machine.next(warnAt);
    assertThat(warn).isEqualTo(Step.warn(SandboxEvent.PAUSE_WARNING, null, T0.plus(Duration.ofMinutes(10))));
    f.machine.warned(warn);
    assertThat(f.machine.next(warnAt)).isEqualTo(Step.sleepUntil(T0.plus(Duration.ofMinutes(10))));
    assertThat(f.lc.activityDueBy()).isEqualTo(warnAt);
  }

  @Test
  void theRidingBackstopIsRefreshedAtAnIdleWakeUpNearItsNeed() {
    Fixture f = new Fixture(SandboxState.RUNNING);
    f.machine.use(Backstop.RIDING);
    f.lc.e2bEndAt = T0.plus(Duration.ofMinutes(30)); // needed from T0+18 min; refreshed from T0+8 min
    assertThat(f.machine.next(QUIET)).isEqualTo(Step.sleepUntil(T0.plus(Duration.ofMinutes(10))));
    f.machine.activity(T0.plus(Duration.ofMinutes(5)), QUIET);
    assertThat(f.machine.next(T0.plus(Duration.ofMinutes(10)))).isEqualTo(Step.extendBackstop());
    assertThat(f.machine.backstopSeconds()).isEqualTo(Duration.ofMinutes(10 + 2 + 60).toSeconds());
    f.machine.use(Backstop.FIXED);
    assertThat(f.machine.next(T0.plus(Duration.ofMinutes(10)))).isEqualTo(Step.sleepUntil(T0.plus(Duration.ofMinutes(15))));
  }

  @Test
  void aKilledSandboxAdmitsNoChangeAndUnknownHoldsAreNotFound() {
    Fixture f = new Fixture(SandboxState.KILLED);
    Admission admission = new Admission(f.lc);
    assertThatThrownBy(() -> admission.checkChange(new ChangeRequest("x")))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.type()).isEqualTo(FailureType.INVALID_STATE));
    Admission running = new Admission(new Fixture(SandboxState.RUNNING).lc);
    assertThatThrownBy(() -> running.checkRelease("nope", QUIET))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.field()).isEqualTo("holdId"));
    assertThatThrownBy(() -> running.checkHold(new HoldRequest("r".repeat(501), Duration.ofMinutes(1)), QUIET))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.field()).isEqualTo("reason"));
    assertThatThrownBy(() -> running.checkPolicy(new PolicyPatch(null, null, null, null)))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.type()).isEqualTo(FailureType.INVALID_ARGUMENT));
  }
}
