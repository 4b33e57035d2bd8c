package dev.sandman.starter;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/** Usage and cost by project and user: what ran, what was paused, and the money pausing saved. */
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
      @JsonProperty("savedByPausing") double savedByPausing) {}
}
