package dev.sandman.workflows;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The workflow counts the gaps between reported activity by whole minutes: what the idle advice reads. */
class ActivityGapsTest {
  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

  @Test
  void gapsOfAMinuteOrMoreAreCountedByMinuteAndLongOnesTogether() {
    Lifecycle lc = Lifecycle.track(SandboxSpec.of("sb", "p", "u", Policy.defaults()), T0);
    SandboxMachine m = new SandboxMachine(lc, move -> { });
    Instant[] touches = {T0, T0.plusSeconds(30), T0.plusSeconds(30 + 270), T0.plusSeconds(300 + 600),
        T0.plusSeconds(900 + 7200)};
    for (Instant at : touches) {
      m.activity(at, at.plusSeconds(1));
    }
    m.activity(T0.plusSeconds(60), T0.plusSeconds(8200)); // stale: out of order, counts nothing
    ActivityGaps gaps = m.status(T0.plusSeconds(8200)).activityGaps();
    assertThat(gaps.byMinute()).hasSize(61);
    assertThat(gaps.byMinute().get(4)).isEqualTo(1);  // 4.5 minutes
    assertThat(gaps.byMinute().get(10)).isEqualTo(1); // 10 minutes
    assertThat(gaps.longer()).isEqualTo(1);           // 2 hours
    assertThat(gaps.total()).isEqualTo(3);
  }

  @Test
  void noGapsNoField() {
    Lifecycle lc = Lifecycle.track(SandboxSpec.of("sb", "p", "u", Policy.defaults()), T0);
    assertThat(new SandboxMachine(lc, move -> { }).status(T0).activityGaps()).isNull();
  }
}
