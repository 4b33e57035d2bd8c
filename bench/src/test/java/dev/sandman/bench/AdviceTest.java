package dev.sandman.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.starter.IdleAdvice;
import dev.sandman.starter.IdleAdvisor;
import org.junit.jupiter.api.Test;

/**
 * The advice from what the workflows recorded, against the brute force over the trace's exact times: the
 * cost benchmark's trace (a small slice of it) replayed through Sandman's workflows and the simulator.
 */
class AdviceTest {
  @Test
  void theAdvisedTimeoutIsTheBruteForceBestAndEveryCandidateIsCostedWithinFivePercent() throws Exception {
    Trace trace = Trace.generate(42, 20);
    IdleAdvisor advisor = new IdleAdvisor(java.time.Instant.now(), IdleAdvice.DEFAULT_WAIT_COST_PER_HOUR,
        IdleAdvice.DEFAULT_RESUME_SECONDS);
    CostBench.runSandman(trace, advisor::add);
    IdleAdvice.Project advice = advisor.build().projects().get(0);

    int best = 1;
    for (int m = 1; m <= IdleAdvice.MAX_MINUTES; m++) {
      if (AdviceBench.bruteForce(trace, m) < AdviceBench.bruteForce(trace, best) - 1e-9) {
        best = m;
      }
    }
    assertThat(advice.recommendedIdleTimeout().toMinutes()).isEqualTo(best);
    assertThat(advice.gaps()).isPositive();
    for (IdleAdvice.Candidate candidate : advice.candidates()) {
      double truth = AdviceBench.bruteForce(trace, (int) candidate.idleTimeout().toMinutes());
      assertThat(candidate.cost()).as("cost at " + candidate.idleTimeout()).isCloseTo(truth, org.assertj.core.data.Percentage.withPercentage(5));
    }
    assertThat(advice.current().cost()).isGreaterThanOrEqualTo(advice.recommended().cost());
  }
}
