package dev.sandman.starter;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/** One row of a list: what the search attributes say, without querying the workflow. */
public record SandboxSummary(
    @JsonProperty("sandboxId") String sandboxId,
    @JsonProperty("projectId") String projectId,
    @JsonProperty("userId") String userId,
    @JsonProperty("template") String template,
    @JsonProperty("state") String state,
    @JsonProperty("trackedAt") Instant trackedAt,
    @JsonProperty("closedAt") Instant closedAt,
    @JsonProperty("workflowStatus") String workflowStatus) {}
