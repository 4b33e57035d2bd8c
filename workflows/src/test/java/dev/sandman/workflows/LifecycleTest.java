package dev.sandman.workflows;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LifecycleTest {
  private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

  private Lifecycle tracked(Policy policy) {
    return Lifecycle.track(SandboxSpec.of("sb", "p", "u", policy), T0);
  }

  @Test
  void deadlinesAreDerivedFromTheState() {
    Lifecycle lc = tracked(new Policy(Duration.ofMinutes(10), Duration.ofDays(30), Duration.ofDays(40)));
    assertThat(lc.pauseDeadline()).isEqualTo(T0.plus(Duration.ofMinutes(10)));
    assertThat(lc.killDeadline()).isEqualTo(T0.plus(Duration.ofDays(40)));
    assertThat(lc.killCause()).isEqualTo(Cause.LIFETIME);

    lc.state = SandboxState.PAUSED;
    lc.pausedAt = T0.plus(Duration.ofMinutes(10));
    assertThat(lc.pauseDeadline()).isNull();
    assertThat(lc.killDeadline()).isEqualTo(lc.pausedAt.plus(Duration.ofDays(30)));
    assertThat(lc.killCause()).isEqualTo(Cause.RETENTION);

    lc.pausedAt = T0.plus(Duration.ofDays(20)); // retention would end after the lifetime
    assertThat(lc.killCause()).isEqualTo(Cause.LIFETIME);
  }

  @Test
  void afterAnIdlePauseRecentActivityWakesAndOldActivityDoesNot() {
    Lifecycle lc = tracked(Policy.defaults());
    Instant now = T0.plus(Duration.ofMinutes(15));
    assertThat(lc.wakesFromPause(now.minus(Duration.ofMinutes(9)), now)).isTrue();
    assertThat(lc.wakesFromPause(now.minus(Duration.ofMinutes(11)), now)).isFalse();
    lc.resumeFloor = now.minusSeconds(5); // an explicit pause 5 s ago
    assertThat(lc.wakesFromPause(now.minusSeconds(6), now)).isFalse();
    assertThat(lc.wakesFromPause(now.minusSeconds(4), now)).isTrue();
  }

  @Test
  void onlyTheMostRecentTransitionsAreKept() {
    Lifecycle lc = tracked(Policy.defaults());
    for (int i = 0; i < 50; i++) {
      lc.record(new Transition(SandboxState.RUNNING, SandboxState.PAUSING, T0.plusSeconds(i), Cause.IDLE));
    }
    assertThat(lc.transitions).hasSize(Lifecycle.TRANSITIONS_KEPT);
    assertThat(lc.transitions.get(0).at()).isEqualTo(T0.plusSeconds(30));
  }

  @Test
  void failuresInARowBackOffFromThirtySecondsToHalfAnHour() {
    assertThat(Backoff.after(1)).isEqualTo(Duration.ofSeconds(30));
    assertThat(Backoff.after(2)).isEqualTo(Duration.ofSeconds(60));
    assertThat(Backoff.after(6)).isEqualTo(Duration.ofMinutes(16));
    assertThat(Backoff.after(7)).isEqualTo(Duration.ofMinutes(30));
    assertThat(Backoff.after(100)).isEqualTo(Duration.ofMinutes(30));
  }
}
