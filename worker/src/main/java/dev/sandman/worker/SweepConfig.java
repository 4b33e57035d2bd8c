package dev.sandman.worker;

import dev.sandman.workflows.Sandman;
import dev.sandman.workflows.SweepOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The sweep's settings (SANDMAN_SWEEP_*, SANDMAN_ORPHAN*): how often it runs (null: never), what it does
 * with orphans, how young an orphan is left alone, which E2B metadata keys name an adopted sandbox's
 * project and user (the first present wins; else the fallback), and how many E2B requests per second
 * it makes at most (E2B allows 20,000 per 30 s per team; the sweep stays far below and shares it).
 */
public record SweepConfig(
    Duration every,
    String orphans,
    Duration grace,
    List<String> projectKeys,
    List<String> userKeys,
    String fallbackProject,
    String fallbackUser,
    double e2bRequestsPerSecond) {

  public static final Duration DEFAULT_EVERY = Duration.ofMinutes(5);
  public static final Duration DEFAULT_GRACE = Duration.ofMinutes(10);

  static SweepConfig fromEnv(Env env) {
    String every = env.get("SANDMAN_SWEEP_EVERY", DEFAULT_EVERY.toString());
    Duration interval = every.equalsIgnoreCase("off") ? null : env.getDuration("SANDMAN_SWEEP_EVERY", DEFAULT_EVERY);
    if (interval != null && interval.compareTo(Duration.ofMinutes(1)) < 0) {
      throw new Env.ConfigException("SANDMAN_SWEEP_EVERY must be off or at least 1m, got " + every);
    }
    String orphans = env.get("SANDMAN_ORPHANS", SweepOrder.REPORT);
    if (!SweepOrder.isAction(orphans)) {
      throw new Env.ConfigException("SANDMAN_ORPHANS must be report, adopt or kill, got '" + orphans + "'");
    }
    Duration grace = env.getDuration("SANDMAN_ORPHAN_GRACE", DEFAULT_GRACE);
    String fallbackProject = env.get("SANDMAN_ADOPT_PROJECT", "adopted");
    String fallbackUser = env.get("SANDMAN_ADOPT_USER", "unknown");
    if (!Sandman.isValidId(fallbackProject) || !Sandman.isValidId(fallbackUser)) {
      throw new Env.ConfigException("SANDMAN_ADOPT_PROJECT and SANDMAN_ADOPT_USER must be valid ids (letters, digits, . _ : @ -)");
    }
    double rate;
    try {
      rate = Double.parseDouble(env.get("SANDMAN_SWEEP_E2B_RATE", "20"));
    } catch (NumberFormatException e) {
      throw new Env.ConfigException("SANDMAN_SWEEP_E2B_RATE must be a number of requests per second");
    }
    if (rate < 0.1 || rate > 500) {
      throw new Env.ConfigException("SANDMAN_SWEEP_E2B_RATE must be between 0.1 and 500 requests per second");
    }
    return new SweepConfig(interval, orphans, grace,
        keys(env.get("SANDMAN_ADOPT_PROJECT_KEYS", "sandmanProjectId,projectId")),
        keys(env.get("SANDMAN_ADOPT_USER_KEYS", "sandmanUserId,userId")),
        fallbackProject, fallbackUser, rate);
  }

  private static List<String> keys(String commaSeparated) {
    return Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(k -> !k.isEmpty()).toList();
  }
}
