package dev.sandman.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandman.starter.IdleAdvice;
import dev.sandman.starter.IdleAdvisor;
import dev.sandman.workflows.OperatorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The idle-timeout advice checked against a brute-force replay: the cost benchmark's trace runs through
 * Sandman (workflows, simulator), the advice is computed from the activity gaps the workflows recorded, and
 * every candidate timeout is also costed by replaying the trace's exact action times.
 */
final class AdviceBench {
  private static final double PRICE = OperatorConfig.E2B_DEFAULT_PRICE_PER_HOUR;
  private static final double RESUME_COST = IdleAdvice.DEFAULT_RESUME_SECONDS * IdleAdvice.DEFAULT_WAIT_COST_PER_HOUR / 3600;

  private AdviceBench() {}

  /** Idle running hours, resumes and cost of a timeout, replayed over exact times. */
  record Replayed(double idleHours, long resumes, double cost) {}

  /** The cost of {@code minutes} over the trace's exact gaps (a minute or longer) and final idle spells. */
  static double bruteForce(Trace trace, int minutes) {
    return replay(trace, minutes).cost();
  }

  static Replayed replay(Trace trace, int minutes) {
    double timeout = minutes * 60.0;
    double idleSeconds = 0;
    long resumes = 0;
    for (int[] actions : trace.activity) {
      for (int i = 1; i < actions.length; i++) {
        int gap = actions[i] - actions[i - 1];
        if (gap >= 60) {
          idleSeconds += Math.min(gap, timeout);
          resumes += gap > timeout ? 1 : 0;
        }
      }
      if (actions.length > 0) {
        idleSeconds += Math.min(Trace.DAY - actions[actions.length - 1], timeout);
      }
    }
    return new Replayed(idleSeconds / 3600, resumes, idleSeconds / 3600 * PRICE + resumes * RESUME_COST);
  }

  static void write(Path out, String command, String machine, ObjectNode summary, int sandboxes, long seed) throws Exception {
    Trace trace = Trace.generate(seed, sandboxes);
    // resumes in a time-skipping replay take no time: priced at E2B's real ~2 s, as the brute force prices them
    IdleAdvisor advisor = new IdleAdvisor(java.time.Instant.now(), IdleAdvice.DEFAULT_WAIT_COST_PER_HOUR,
        IdleAdvice.DEFAULT_RESUME_SECONDS);
    CostBench.runSandman(trace, advisor::add);
    IdleAdvice.Project advice = advisor.build().projects().get(0);
    int bruteBest = 1;
    for (int m = 1; m <= IdleAdvice.MAX_MINUTES; m++) {
      if (bruteForce(trace, m) < bruteForce(trace, bruteBest) - 1e-9) {
        bruteBest = m;
      }
    }
    double worst = 0;
    StringBuilder rows = new StringBuilder();
    for (IdleAdvice.Candidate c : advice.candidates()) {
      int m = (int) c.idleTimeout().toMinutes();
      Replayed exact = replay(trace, m);
      double truth = exact.cost();
      worst = Math.max(worst, Math.abs(c.cost() - truth) / truth);
      if (List.of(1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 45, 60).contains(m) || m == bruteBest
          || c.idleTimeout().equals(advice.recommendedIdleTimeout())) {
        rows.append(String.format("| %d min%s | %.2f / %.2f | %d / %d | $%.4f | $%.4f |%n", m,
            (c.idleTimeout().equals(advice.recommendedIdleTimeout()) ? " (advice)" : "") + (m == bruteBest ? " (brute force)" : ""),
            c.idleRunningHours(), exact.idleHours(), c.resumes(), exact.resumes(), c.cost(), truth));
      }
    }
    StringBuilder md = new StringBuilder("# Idle-timeout advice against a brute-force replay\n\n")
        .append(BenchMain.provenance(command, machine))
        .append(String.format("The cost benchmark's trace (seed %d, %d sandboxes, a day) replayed through Sandman: each action an%n"
            + "activity signal to the sandbox's workflow, which counts the gaps between activity by minute (`activityGaps`).%n"
            + "`IdleAdvisor` costs every timeout from 1 to 60 minutes from those counts; the brute force replays the trace's exact%n"
            + "action times under each timeout. Cost = idle running before the pause at $%.3f/h + each resume's %.0f s wait at%n"
            + "$%.0f/h of the user's time. Gaps under a minute cost the same under every timeout and are left out of both.%n%n",
            seed, sandboxes, PRICE, IdleAdvice.DEFAULT_RESUME_SECONDS, IdleAdvice.DEFAULT_WAIT_COST_PER_HOUR))
        .append(String.format("| | advice (recorded gaps) | brute force (exact times) |%n|---|---|---|%n"
            + "| best timeout | %s | %d min |%n| its cost | $%.4f | $%.4f |%n| cost at the current 10 min | $%.4f | $%.4f |%n"
            + "| largest difference over the 60 candidates | %.2f%% | |%n%n",
            advice.recommendedIdleTimeout().toMinutes() + " min", bruteBest, advice.recommended().cost(), bruteForce(trace, bruteBest),
            advice.current().cost(), bruteForce(trace, 10), worst * 100))
        .append("| timeout | idle running h (advice / brute force) | resumes (advice / brute force) | cost (advice) | cost (brute force) |\n|---|---|---|---|---|\n")
        .append(rows);
    Files.writeString(out.resolve("advice.md"), md.toString());
    System.out.println(md);
    summary.put("advice_recommended_minutes", advice.recommendedIdleTimeout().toMinutes());
    summary.put("advice_brute_force_minutes", bruteBest);
    summary.put("advice_max_cost_difference_percent", Math.round(worst * 10_000) / 100.0);
  }
}
