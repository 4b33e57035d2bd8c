package dev.sandman.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import dev.sandman.e2bsim.E2bSimulator;
import org.junit.jupiter.api.Test;

/** How the tier judges a pause against the app's touches, on the story CI once saw (idle timeout 20 s). */
class OutcomeTest {
  static final Instant T0 = Instant.parse("2026-12-02T08:39:30.234Z");
  static final Duration IDLE = Duration.ofSeconds(20);

  /** A returning user: a touch that resumes the sandbox, one more 2 s later, both to api-1; then gone. */
  static Fleet returningUser() {
    Fleet fleet = new Fleet(null, null, IDLE);
    fleet.record("sb", new Fleet.Touch(T0, 53, 202, 0));
    fleet.record("sb", new Fleet.Touch(T0.plusMillis(2053), 16, 202, 0));
    return fleet;
  }

  static final Instant ASKED = T0.plusMillis(20_921); // 18.9 s after the second touch, 20.9 s after the first
  /** E2B paused it 2 s before the user came back, and resumed it on the first touch. */
  static final List<E2bSimulator.Call> E2B = List.of(new E2bSimulator.Call(T0.minusSeconds(2), "pause", "sb", 204),
      new E2bSimulator.Call(T0.plusMillis(800), "connect", "sb", 201));

  @Test
  void aPauseSoonerThanAnIdleTimeoutAfterAnAcceptedTouchIsAnActivePause() {
    Fleet fleet = returningUser();

    assertThat(Outcome.earlyBy(fleet, "sb", E2B, ASKED, true)).isEqualTo(Duration.ofMillis(1132));
  }

  @Test
  void aTouchTheKilledReplicaMayHaveBeenHoldingIsNotCountedAgainstThePause() {
    Fleet fleet = returningUser();
    fleet.replicaKilled(0, T0.plusSeconds(5));

    assertThat(Outcome.earlyBy(fleet, "sb", E2B, ASKED, true)).isLessThanOrEqualTo(Duration.ZERO);
    assertThat(Outcome.earlyBy(fleet, "sb", E2B, ASKED, false)).isEqualTo(Duration.ofMillis(1132));
  }

  @Test
  void theKillStillBoundsThePauseByTheTouchesBeforeIt() {
    Fleet fleet = returningUser();
    fleet.replicaKilled(0, T0.plusSeconds(5));

    assertThat(Outcome.earlyBy(fleet, "sb", E2B, T0.plusSeconds(19), true)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aTouchToAPausedSandboxWithinASecondOfTheLastMayBeHeldToo() {
    Fleet fleet = new Fleet(null, null, IDLE);
    fleet.record("sb", new Fleet.Touch(T0, 20, 202, 0));
    fleet.record("sb", new Fleet.Touch(T0.plusMillis(500), 20, 202, 0));
    fleet.replicaKilled(0, T0.plusSeconds(1));

    assertThat(Outcome.earlyBy(fleet, "sb", E2B, T0.plusMillis(20_200), true)).isEqualTo(Duration.ofMillis(-200));
    assertThat(Outcome.earlyBy(fleet, "sb", E2B, T0.plusMillis(20_200), false)).isEqualTo(Duration.ofMillis(300));
  }

  @Test
  void touchesToTheOtherReplicaOrAfterTheKillOrAnIdleTimeoutBeforeItAreKept() {
    Fleet fleet = new Fleet(null, null, IDLE);
    fleet.record("sb", new Fleet.Touch(T0, 20, 202, 1));
    fleet.replicaKilled(0, T0.plusSeconds(1));
    fleet.replicaKilled(1, T0.plusSeconds(25));
    fleet.record("other", new Fleet.Touch(T0.plusSeconds(2), 20, 202, 0));

    assertThat(Outcome.earlyBy(fleet, "sb", List.of(), T0.plusSeconds(10), true)).isEqualTo(Duration.ofSeconds(10));
    assertThat(Outcome.earlyBy(fleet, "other", List.of(), T0.plusSeconds(10), true)).isEqualTo(Duration.ofSeconds(12));
  }

  @Test
  void aRefusedTouchOrNoneAtAllMakesNoPauseEarly() {
    Fleet fleet = new Fleet(null, null, IDLE);
    fleet.record("sb", new Fleet.Touch(T0, 20, 0, -1));

    assertThat(Outcome.earlyBy(fleet, "sb", E2B, T0.plusSeconds(1), true)).isLessThanOrEqualTo(Duration.ZERO);
    assertThat(Outcome.earlyBy(fleet, "nobody", List.of(), T0.plusSeconds(1), true)).isLessThanOrEqualTo(Duration.ZERO);
  }

  /** CI's worker kill: the resume's worker died after E2B resumed the sandbox; the retry's connect found it running. */
  @Test
  void aConnectThatFoundTheSandboxRunningIsARepeatNotASecondResume() {
    List<E2bSimulator.Call> e2b = List.of(new E2bSimulator.Call(T0, "pause", "sb", 204),
        new E2bSimulator.Call(T0.plusSeconds(2), "connect", "sb", 201),
        new E2bSimulator.Call(T0.plusSeconds(23), "connect", "sb", 200),
        new E2bSimulator.Call(T0.plusSeconds(43), "pause", "sb", 204));

    Outcome.Turns turns = Outcome.Turns.of("sb", e2b);

    assertThat(turns.doubleResumes()).isZero();
    assertThat(turns.doublePauses()).isZero();
    assertThat(turns.resumes()).isEqualTo(1);
    assertThat(turns.pauses()).isEqualTo(2);
    assertThat(turns.repeated()).isEqualTo(1);
    assertThat(turns.problems()).isEmpty();
  }

  @Test
  void aResumeWithNoPauseBeforeItOrAPauseOfAPausedSandboxIsDoubled() {
    List<E2bSimulator.Call> e2b = List.of(new E2bSimulator.Call(T0, "connect", "sb", 201),
        new E2bSimulator.Call(T0.plusSeconds(20), "pause", "sb", 204),
        new E2bSimulator.Call(T0.plusSeconds(21), "pause", "sb", 204));

    Outcome.Turns turns = Outcome.Turns.of("sb", e2b);

    assertThat(turns.doubleResumes()).isEqualTo(1);
    assertThat(turns.doublePauses()).isEqualTo(1);
    assertThat(turns.repeated()).isZero();
    assertThat(turns.problems()).hasSize(2).allMatch(problem -> problem.contains("connect 201 at " + T0));
  }
}
