package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/**
 * What a sweep found and did. {@code reconciled}: tracked sandboxes whose E2B state differed from their
 * status, each given a notice (the workflow then asks E2B itself); {@code missing}: tracked sandboxes
 * E2B no longer lists (a notice each too); then the orphans by outcome. {@code items} lists at most
 * {@link #ITEMS_KEPT} of the sandboxes acted on or reported, the counts are whole. {@code rateLimited}: the
 * times E2B answered 429 and the sweep waited as it asked.
 */
public record SweepReport(
    @JsonProperty("startedAt") Instant startedAt,
    @JsonProperty("finishedAt") Instant finishedAt,
    @JsonProperty("orphanPolicy") String orphanPolicy,
    @JsonProperty("dryRun") boolean dryRun,
    @JsonProperty("e2bPages") int e2bPages,
    @JsonProperty("e2bListed") int e2bListed,
    @JsonProperty("tracked") int tracked,
    @JsonProperty("reconciled") int reconciled,
    @JsonProperty("missing") int missing,
    @JsonProperty("orphans") int orphans,
    @JsonProperty("young") int young,
    @JsonProperty("adopted") int adopted,
    @JsonProperty("killed") int killed,
    @JsonProperty("refused") int refused,
    @JsonProperty("rateLimited") int rateLimited,
    @JsonProperty("items") List<Item> items) {

  public static final int ITEMS_KEPT = 200;

  /**
   * One sandbox: {@code outcome} is reconciled, missing, young, reported, adopted, would-adopt, killed,
   * would-kill or refused (with {@code detail} saying why).
   */
  public record Item(
      @JsonProperty("sandboxId") String sandboxId,
      @JsonProperty("e2bState") String e2bState,
      @JsonProperty("sandmanState") String sandmanState,
      @JsonProperty("outcome") String outcome,
      @JsonProperty("projectId") String projectId,
      @JsonProperty("userId") String userId,
      @JsonProperty("startedAt") Instant startedAt,
      @JsonProperty("detail") String detail) {}
}
