package dev.sandman.starter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The advice's arithmetic, by hand: idle running until the pause, and each resume's price. */
class IdleCostModelTest {
  /** Two gaps of 5-6 minutes, one of hours, one final idle spell; $0.60 an hour ($0.01 a minute), $0.05 a resume. */
  private final IdleCostModel model;

  IdleCostModelTest() {
    long[] byMinute = new long[61];
    byMinute[5] = 2;
    model = new IdleCostModel(byMinute, 1, 1, 0.60, 0.05);
  }

  @Test
  void aTimeoutShorterThanTheGapsPausesInEachAndPaysItsResumes() {
    IdleCostModel.Outcome three = model.at(Duration.ofMinutes(3));
    assertThat(three.resumes()).isEqualTo(3); // both short gaps and the long one
    assertThat(three.idleRunningHours()).isCloseTo(12 / 60.0, within(1e-9)); // 3 min in each of 4 spells
    assertThat(three.cost()).isCloseTo(0.12 + 0.15, within(1e-9));
  }

  @Test
  void aTimeoutLongerThanAGapRunsThroughItWithoutAResume() {
    IdleCostModel.Outcome ten = model.at(Duration.ofMinutes(10));
    assertThat(ten.resumes()).isEqualTo(1); // the long gap only
    assertThat(ten.idleRunningHours()).isCloseTo((5.5 + 5.5 + 10 + 10) / 60.0, within(1e-9));
    assertThat(ten.cost()).isCloseTo(0.31 + 0.05, within(1e-9));
  }
}
