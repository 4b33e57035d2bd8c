package dev.sandman.workflows;

import java.time.Duration;

/** How long automatic work waits after failures in a row: 30 s, doubling, at most 30 min. */
public final class Backoff {
  private Backoff() {}

  public static Duration after(int failuresInARow) {
    long seconds = 30L << Math.min(Math.max(failuresInARow, 1) - 1, 6);
    return Duration.ofSeconds(Math.min(seconds, Duration.ofMinutes(30).toSeconds()));
  }
}
