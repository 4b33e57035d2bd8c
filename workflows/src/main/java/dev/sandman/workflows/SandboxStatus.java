package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The answer of the status query and of every update. {@code pauseDeadline} is set while RUNNING
 * (when the sandbox pauses if no activity arrives, holds included), {@code pauseWarningAt} when the
 * warning before it is due; {@code killDeadline} whenever a retention or lifetime kill is scheduled,
 * with {@code killCause} saying which. {@code policy} is the effective policy; the sandbox's and the
 * project's own layers are shown beside it. {@code activityDueBy} (while RUNNING) is when newer
 * activity must have reached the workflow to keep the sandbox from warning or pausing: a client that
 * batches touches sends the newest one before then.
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
    @JsonProperty("lastError") LastError lastError,
    @JsonProperty("pauseWarningAt") Instant pauseWarningAt,
    @JsonProperty("killWarningAt") Instant killWarningAt,
    @JsonProperty("holds") List<Hold> holds,
    @JsonProperty("usage") Usage usage,
    @JsonProperty("sandboxPolicy") Policy sandboxPolicy,
    @JsonProperty("projectPolicy") Policy projectPolicy,
    @JsonProperty("eventsPending") int eventsPending,
    @JsonProperty("activityDueBy") Instant activityDueBy) {

  /** The memo key under which the workflow publishes its status, so reads cost no query. */
  public static final String MEMO_KEY = "status";
}
