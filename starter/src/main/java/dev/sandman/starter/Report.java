package dev.sandman.starter;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/**
 * Usage and cost by project and user: what ran, what was paused, the money pausing saved, what a
 * 5-minute polling cron would have wasted on the same pauses ({@code cronWaste}: each 2.5 minutes late
 * on average), and an estimate of Sandman's own Temporal Actions (its starts, signals, activities,
 * timers and upserts, from each sandbox's counters) at list price.
 */
public record Report(
    @JsonProperty("rows") List<Row> rows,
    @JsonProperty("total") Row total,
    @JsonProperty("asOf") Instant asOf,
    @JsonProperty("source") String source) {

  public record Row(
      @JsonProperty("projectId") String projectId,
      @JsonProperty("userId") String userId,
      @JsonProperty("sandboxes") int sandboxes,
      @JsonProperty("running") int running,
      @JsonProperty("paused") int paused,
      @JsonProperty("killed") int killed,
      @JsonProperty("runningHours") double runningHours,
      @JsonProperty("pausedHours") double pausedHours,
      @JsonProperty("cost") double cost,
      @JsonProperty("savedByPausing") double savedByPausing,
      @JsonProperty("pauses") long pauses,
      @JsonProperty("cronWaste") double cronWaste,
      @JsonProperty("temporalActions") long temporalActions,
      @JsonProperty("temporalCost") double temporalCost) {}

  /** A 5-minute polling cron pauses an idle sandbox 2.5 minutes late on average (and never early). */
  public static final double CRON_LATENESS_MINUTES = 2.5;
  /** Temporal Cloud's list price per Action. */
  public static final double PRICE_PER_ACTION = 50.0 / 1_000_000;
}
