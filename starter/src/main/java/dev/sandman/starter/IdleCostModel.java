package dev.sandman.starter;

import java.time.Duration;

/**
 * What an idle timeout costs over a set of activity gaps: the minutes a sandbox runs idle before it is
 * paused, at the running price, plus each resume, priced as the user's wait for it. Gaps are counted by
 * whole minutes (as {@link dev.sandman.workflows.ActivityGaps}): a gap of m to m+1 minutes is paused by a
 * timeout of m minutes or less (the sandbox runs the timeout, then a resume) and outlasted by a longer one
 * (it runs the gap, taken as m and a half). Each final idle spell (no activity after it) runs the timeout.
 */
public final class IdleCostModel {
  private final long[] byMinute;
  private final long longer;
  private final long finalSpells;
  private final double pricePerHour;
  private final double resumeCost;

  /**
   * {@code byMinute[m]} gaps of m to m+1 minutes (m = 1..60), {@code longer} gaps of an hour and more,
   * {@code finalSpells} idle spells no activity followed; {@code resumeCost} in dollars per resume.
   */
  public IdleCostModel(long[] byMinute, long longer, long finalSpells, double pricePerHour, double resumeCost) {
    this.byMinute = byMinute.clone();
    this.longer = longer;
    this.finalSpells = finalSpells;
    this.pricePerHour = pricePerHour;
    this.resumeCost = resumeCost;
  }

  /** The idle running, resumes and cost of one timeout. */
  public record Outcome(Duration idleTimeout, double idleRunningHours, long resumes, double cost) {}

  public Outcome at(Duration idleTimeout) {
    double timeout = idleTimeout.toSeconds() / 60.0;
    double idleMinutes = 0;
    long resumes = 0;
    for (int m = 1; m < byMinute.length; m++) {
      if (byMinute[m] == 0) {
        continue;
      }
      if (m >= timeout) {
        idleMinutes += byMinute[m] * timeout;
        resumes += byMinute[m];
      } else {
        idleMinutes += byMinute[m] * Math.min(m + 0.5, timeout);
      }
    }
    idleMinutes += (longer + finalSpells) * timeout;
    resumes += longer;
    double hours = idleMinutes / 60;
    return new Outcome(idleTimeout, hours, resumes, hours * pricePerHour + resumes * resumeCost);
  }
}
