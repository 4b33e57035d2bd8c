package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The answer of the status query and of every update. {@code pauseDeadline} is set while RUNNING
 * (when the sandbox pauses if no activity arrives); {@code killDeadline} whenever a retention or
 * lifetime kill is scheduled, with {@code killCause} saying which.
 */
public record SandboxStatus(
    @JsonProperty("sandboxId") String sandboxId,
    @JsonProperty("projectId") String projectId,
    @JsonProperty("userId") String userId,
    @JsonProperty("template") String template,
    @JsonProperty("metadata") Map<String, String> metadata,
    @JsonProperty("state") SandboxState state,
    @JsonProperty("stateSince") Instant stateSince,
    @JsonProperty("trackedAt") Instant trackedAt,
    @JsonProperty("lastActivityAt") Instant lastActivityAt,
    @JsonProperty("pauseDeadline") Instant pauseDeadline,
    @JsonProperty("killDeadline") Instant killDeadline,
    @JsonProperty("killCause") Cause killCause,
    @JsonProperty("e2bEndAt") Instant e2bEndAt,
    @JsonProperty("policy") Policy policy,
    @JsonProperty("counters") Counters counters,
    @JsonProperty("transitions") List<Transition> transitions,
    @JsonProperty("lastError") LastError lastError) {}
