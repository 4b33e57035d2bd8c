package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * Time spent running (RUNNING, PAUSING) and paused (PAUSED, RESUMING) since tracking, as of
 * {@code asOf}, and what it cost at {@code pricePerHour}; {@code savedByPausing} is what the paused
 * time would have cost running.
 */
public record Usage(
    @JsonProperty("runningSeconds") long runningSeconds,
    @JsonProperty("pausedSeconds") long pausedSeconds,
    @JsonProperty("pricePerHour") double pricePerHour,
    @JsonProperty("estimatedCost") double estimatedCost,
    @JsonProperty("savedByPausing") double savedByPausing,
    @JsonProperty("asOf") Instant asOf) {

  public static Usage of(long runningSeconds, long pausedSeconds, double pricePerHour, Instant asOf) {
    return new Usage(runningSeconds, pausedSeconds, pricePerHour,
        round(runningSeconds / 3600.0 * pricePerHour), round(pausedSeconds / 3600.0 * pricePerHour), asOf);
  }

  private static double round(double dollars) {
    return Math.round(dollars * 1_000_000) / 1_000_000.0;
  }
}
