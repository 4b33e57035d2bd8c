package dev.sandman.starter;

import dev.sandman.workflows.OperatorConfig;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.Usage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Sums sandboxes' usage into a {@link Report}: one row per project and user, and a total. */
final class UsageReport {
  /** One row's running sums. */
  private static final class Sums {
    final String projectId;
    final String userId;
    int sandboxes;
    int running;
    int paused;
    int killed;
    double runningHours;
    double pausedHours;
    double cost;
    double savedByPausing;
    long pauses;
    double cronWaste;
    long temporalActions;

    Sums(String projectId, String userId) {
      this.projectId = projectId;
      this.userId = userId;
    }

    void add(Sums other) {
      sandboxes += other.sandboxes;
      running += other.running;
      paused += other.paused;
      killed += other.killed;
      runningHours += other.runningHours;
      pausedHours += other.pausedHours;
      cost += other.cost;
      savedByPausing += other.savedByPausing;
      pauses += other.pauses;
      cronWaste += other.cronWaste;
      temporalActions += other.temporalActions;
    }

    Report.Row row() {
      return new Report.Row(projectId, userId, sandboxes, running, paused, killed,
          round(runningHours), round(pausedHours), round(cost), round(savedByPausing), pauses, round(cronWaste), temporalActions,
          round(temporalActions * Report.PRICE_PER_ACTION));
    }
  }

  private final Instant now;
  private final Map<String, Sums> rows = new TreeMap<>();
  private String source;

  UsageReport(Instant now) {
    this.now = now;
  }

  /** The listing the sandboxes came from (visibility or scan). */
  void from(String listing) {
    source = listing;
  }

  /** Counts one sandbox, its usage brought up to now. */
  void add(SandboxStatus status) {
    Usage usage = status.usage();
    SandboxState state = status.state();
    long since = usage == null || state == SandboxState.KILLED ? 0 : Math.max(0, Duration.between(usage.asOf(), now).toSeconds());
    boolean running = state.billedAsRunning();
    double runningHours = ((usage == null ? 0 : usage.runningSeconds()) + (running ? since : 0)) / 3600.0;
    double pausedHours = ((usage == null ? 0 : usage.pausedSeconds()) + (running ? 0 : since)) / 3600.0;
    double price = usage == null ? OperatorConfig.E2B_DEFAULT_PRICE_PER_HOUR : usage.pricePerHour();
    Sums row = rows.computeIfAbsent(status.projectId() + "\u0000" + status.userId(), k -> new Sums(status.projectId(), status.userId()));
    row.sandboxes++;
    row.running += running ? 1 : 0;
    row.paused += state == SandboxState.PAUSED || state == SandboxState.RESUMING ? 1 : 0;
    row.killed += state == SandboxState.KILLED ? 1 : 0;
    row.runningHours += runningHours;
    row.pausedHours += pausedHours;
    row.cost += runningHours * price;
    row.savedByPausing += pausedHours * price;
    if (status.counters() != null) {
      dev.sandman.workflows.Counters c = status.counters();
      row.pauses += c.pauses();
      row.cronWaste += c.pauses() * Report.CRON_LATENESS_MINUTES / 60 * price;
      // a run's start, each signal, each E2B call (an activity), and per pause or resume a timer and an upsert
      row.temporalActions += c.runs() + c.activitySignals() + c.e2bCalls() + 2 * (c.pauses() + c.resumes());
    }
  }

  Report build() {
    List<Report.Row> out = new ArrayList<>();
    Sums total = new Sums(null, null);
    rows.values().forEach(row -> {
      out.add(row.row());
      total.add(row);
    });
    return new Report(out, total.row(), now, source);
  }

  private static double round(double value) {
    return Math.round(value * 10_000) / 10_000.0;
  }
}
