package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.Map;

/**
 * What a sweep does with the orphans it finds (E2B's sandboxes no workflow tracks): {@code report},
 * {@code adopt} (track, with project and user from their E2B metadata) or {@code kill}; null means the
 * operator's policy. Only sandboxes carrying every {@code metadata} pair are looked at; an orphan
 * younger than {@code grace} (from E2B's startedAt; null: the operator's) is left alone, since its app
 * may be about to track it. {@code dryRun} says what would be done and does nothing.
 */
public record SweepOrder(
    @JsonProperty("orphans") String orphans,
    @JsonProperty("metadata") Map<String, String> metadata,
    @JsonProperty("dryRun") boolean dryRun,
    @JsonProperty("grace") Duration grace) {

  public static final String REPORT = "report";
  public static final String ADOPT = "adopt";
  public static final String KILL = "kill";

  /** The scheduled sweep: the operator's policy, every sandbox. */
  public static SweepOrder scheduled() {
    return new SweepOrder(null, Map.of(), false, null);
  }

  public static boolean isAction(String orphans) {
    return REPORT.equals(orphans) || ADOPT.equals(orphans) || KILL.equals(orphans);
  }
}
