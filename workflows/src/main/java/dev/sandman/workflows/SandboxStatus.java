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
 * batches touches sends the newest one before then. {@code prePause} is the pre-pause hook's last answer;
 * {@code activityGaps} counts the gaps between reported activity, for the idle-timeout advice.
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
    @JsonProperty("activityDueBy") Instant activityDueBy,
    @JsonProperty("prePause") PrePauseAnswer prePause,
    @JsonProperty("activityGaps") ActivityGaps activityGaps) {

  /** The memo key under which the workflow publishes its status, so reads cost no query. */
  public static final String MEMO_KEY = "status";

  /** This status as of {@code now}: usage accrued in the current state since it was taken. */
  public SandboxStatus asOf(Instant now) {
    if (usage == null || state == SandboxState.KILLED || !now.isAfter(usage.asOf())) {
      return this;
    }
    long since = java.time.Duration.between(usage.asOf(), now).toSeconds();
    boolean running = state == SandboxState.RUNNING || state == SandboxState.PAUSING;
    Usage current = Usage.of(usage.runningSeconds() + (running ? since : 0), usage.pausedSeconds() + (running ? 0 : since),
        usage.pricePerHour(), now);
    return with(lastActivityAt, pauseDeadline, pauseWarningAt, activityDueBy, current);
  }

  /**
   * This status with activity at {@code at} that has not reached the workflow yet (a touch held by the
   * client): the pause deadline, its warning and the due time move as the workflow will move them.
   */
  public SandboxStatus withActivity(Instant at) {
    if (state != SandboxState.RUNNING || at == null || lastActivityAt == null || !at.isAfter(lastActivityAt)
        || policy == null || pauseDeadline == null) {
      return this;
    }
    Instant idleDeadline = at.plus(policy.idleTimeout());
    Instant deadline = idleDeadline.isAfter(pauseDeadline) ? idleDeadline : pauseDeadline;
    Instant warning = pauseWarningAt == null ? null : deadline.minus(java.time.Duration.between(pauseWarningAt, pauseDeadline));
    Instant due = activityDueBy == null ? null : activityDueBy.plus(java.time.Duration.between(lastActivityAt, at));
    return with(at, deadline, warning, due, usage);
  }

  /** This status with other usage (null: none, as the workflow compares what it published). */
  public SandboxStatus withUsage(Usage newUsage) {
    return with(lastActivityAt, pauseDeadline, pauseWarningAt, activityDueBy, newUsage);
  }

  private SandboxStatus with(Instant lastActivity, Instant deadline, Instant warning, Instant due, Usage newUsage) {
    return new SandboxStatus(sandboxId, projectId, userId, template, metadata, state, stateSince, trackedAt, lastActivity,
        deadline, killDeadline, killCause, e2bEndAt, policy, counters, transitions, lastError, warning, killWarningAt,
        holds, newUsage, sandboxPolicy, projectPolicy, eventsPending, due, prePause, activityGaps);
  }
}
