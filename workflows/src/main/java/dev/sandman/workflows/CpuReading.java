package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What E2B's metrics say of a sandbox's CPU over a recent window: how many samples, and their mean. */
public record CpuReading(@JsonProperty("samples") int samples, @JsonProperty("averagePercent") double averagePercent) {

  /** Busy when there are samples and their mean is at or above {@code threshold} percent. */
  public boolean atLeast(int threshold) {
    return samples > 0 && averagePercent >= threshold;
  }
}
