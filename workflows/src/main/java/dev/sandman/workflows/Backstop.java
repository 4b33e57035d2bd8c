package dev.sandman.workflows;

import java.time.Duration;

/** How far ahead E2B.s own (auto-pausing) timeout is kept past the pause deadline. */
public record Backstop(Duration extension, boolean ridesIdleTimer) {
  /** E2B's timeout stays at least this far past the pause deadline. */
  public static final Duration GRACE = Duration.ofMinutes(2);
  /** Refreshed when due, by a timer of its own. */
  public static final Backstop FIXED = new Backstop(Duration.ofMinutes(30), false);
  /** An hour at a time, refreshed at a wake-up the idle timer makes anyway. */
  public static final Backstop RIDING = new Backstop(Duration.ofMinutes(60), true);
}
