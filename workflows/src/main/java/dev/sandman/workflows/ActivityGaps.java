package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Gaps between the activity reported for a sandbox, a minute or longer, counted by whole minutes:
 * {@code byMinute[m]} for gaps of m to m+1 minutes (m = 1..60; [0] is unused), {@code longer} for gaps of
 * 61 minutes and more. A client that coalesces activity reports it less often than it happens: gaps
 * shorter than its send interval then look like that interval.
 */
public record ActivityGaps(@JsonProperty("byMinute") List<Long> byMinute, @JsonProperty("longer") long longer) {
  /** Buckets kept: 0..60 by minute, and one for longer gaps. */
  public static final int BUCKETS = 62;

  static ActivityGaps of(long[] counts) {
    List<Long> minutes = new java.util.ArrayList<>(61);
    for (int m = 0; m <= 60; m++) {
      minutes.add(counts[m]);
    }
    return new ActivityGaps(List.copyOf(minutes), counts[BUCKETS - 1]);
  }

  /** How many gaps were counted. */
  public long total() {
    return byMinute.stream().mapToLong(Long::longValue).sum() + longer;
  }
}
