package dev.sandman.starter;

import dev.sandman.workflows.ActivityGaps;
import dev.sandman.workflows.Cause;
import dev.sandman.workflows.OperatorConfig;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.Transition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Sums sandboxes' activity gaps by project into {@link IdleAdvice}. */
public final class IdleAdvisor {
  private final Instant now;
  private final double waitCostPerHour;
  private final Map<String, Sums> projects = new TreeMap<>();

  private static final class Sums {
    final long[] byMinute = new long[ActivityGaps.BUCKETS - 1];
    long longer;
    int sandboxes;
    long finalSpells;
    double pricePerHour = OperatorConfig.E2B_DEFAULT_PRICE_PER_HOUR;
    Instant firstTracked;
    final Map<Duration, Integer> timeouts = new HashMap<>();
    double resumeSeconds;
    int resumesMeasured;
  }

  /** A resume's wait as measured from each project's transitions (RESUMING to RUNNING). */
  public IdleAdvisor(Instant now, double waitCostPerHour) {
    this(now, waitCostPerHour, null);
  }

  /** With every resume's wait taken as {@code resumeSeconds} instead (null: measured). */
  public IdleAdvisor(Instant now, double waitCostPerHour, Double resumeSeconds) {
    this.now = now;
    this.waitCostPerHour = waitCostPerHour;
    this.fixedResumeSeconds = resumeSeconds;
  }

  private final Double fixedResumeSeconds;

  public void add(SandboxStatus status) {
    Sums sums = projects.computeIfAbsent(status.projectId(), p -> new Sums());
    sums.sandboxes++;
    ActivityGaps gaps = status.activityGaps();
    if (gaps != null) {
      for (int m = 1; m < gaps.byMinute().size() && m < sums.byMinute.length; m++) {
        sums.byMinute[m] += gaps.byMinute().get(m);
      }
      sums.longer += gaps.longer();
    }
    sums.finalSpells++; // every sandbox has one idle spell no activity has ended (yet)
    if (status.usage() != null) {
      sums.pricePerHour = status.usage().pricePerHour();
    }
    if (status.trackedAt() != null && (sums.firstTracked == null || status.trackedAt().isBefore(sums.firstTracked))) {
      sums.firstTracked = status.trackedAt();
    }
    if (status.policy() != null && status.policy().idleTimeout() != null) {
      sums.timeouts.merge(status.policy().idleTimeout(), 1, Integer::sum);
    }
    List<Transition> transitions = status.transitions() == null ? List.of() : status.transitions();
    for (int i = 1; i < transitions.size(); i++) { // a resume's wait: from RESUMING to RUNNING
      Transition from = transitions.get(i - 1);
      Transition to = transitions.get(i);
      if (from.to() == SandboxState.RESUMING && to.to() == SandboxState.RUNNING && to.cause() != Cause.ERROR) {
        sums.resumeSeconds += Duration.between(from.at(), to.at()).toMillis() / 1000.0;
        sums.resumesMeasured++;
      }
    }
  }

  public IdleAdvice build() {
    List<IdleAdvice.Project> out = new ArrayList<>();
    projects.forEach((projectId, sums) -> out.add(project(projectId, sums)));
    double price = projects.values().stream().mapToDouble(p -> p.pricePerHour).findFirst().orElse(OperatorConfig.E2B_DEFAULT_PRICE_PER_HOUR);
    return new IdleAdvice(List.copyOf(out), price, waitCostPerHour, now);
  }

  private IdleAdvice.Project project(String projectId, Sums s) {
    double resumeSeconds = fixedResumeSeconds != null ? fixedResumeSeconds
        : s.resumesMeasured == 0 ? IdleAdvice.DEFAULT_RESUME_SECONDS : s.resumeSeconds / s.resumesMeasured;
    IdleCostModel model = new IdleCostModel(s.byMinute, s.longer, s.finalSpells, s.pricePerHour, resumeSeconds * waitCostPerHour / 3600);
    Duration current = s.timeouts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
        .orElse(dev.sandman.workflows.Policy.DEFAULT_IDLE_TIMEOUT);
    List<IdleAdvice.Candidate> candidates = new ArrayList<>();
    IdleCostModel.Outcome best = null;
    for (int m = 1; m <= IdleAdvice.MAX_MINUTES; m++) {
      IdleCostModel.Outcome outcome = model.at(IdleAdvice.minutes(m));
      candidates.add(IdleAdvice.Candidate.of(outcome));
      if (best == null || outcome.cost() < best.cost() - 1e-9) { // a tie goes to the shorter timeout found first
        best = outcome;
      }
    }
    IdleCostModel.Outcome inForce = model.at(current);
    double days = s.firstTracked == null ? 1 : Math.max(1.0 / 24, Duration.between(s.firstTracked, now).toSeconds() / 86_400.0);
    long gaps = java.util.Arrays.stream(s.byMinute).sum() + s.longer;
    String note = null;
    if (gaps < IdleAdvice.MIN_GAPS) { // a handful of gaps says nothing of a project's habits
      best = inForce;
      note = "only " + gaps + " activity gaps recorded (advice needs " + IdleAdvice.MIN_GAPS + "): keeping the current timeout";
    }
    return new IdleAdvice.Project(projectId, s.sandboxes, gaps, IdleAdvice.round(days), current, best.idleTimeout(),
        IdleAdvice.round(resumeSeconds), IdleAdvice.Candidate.of(inForce), IdleAdvice.Candidate.of(best),
        IdleAdvice.round(Math.max(0, inForce.cost() - best.cost()) / days), note, List.copyOf(candidates));
  }
}
