package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * All mutable state of one sandbox's workflow, carried whole across continue-as-new. Deadlines are
 * derived from it, never stored, so that a signal only has to move {@link #lastActivityAt}.
 */
@JsonAutoDetect(
    fieldVisibility = JsonAutoDetect.Visibility.ANY,
    getterVisibility = JsonAutoDetect.Visibility.NONE,
    isGetterVisibility = JsonAutoDetect.Visibility.NONE)
public final class Lifecycle {
  public static final int TRANSITIONS_KEPT = 20;

  public String sandboxId;
  public String projectId;
  public String userId;
  public String template;
  public Map<String, String> metadata;
  public Policy policy;

  public SandboxState state;
  public Instant stateSince;
  public Instant trackedAt;
  public Instant lastActivityAt;
  public Instant pausedAt;
  /** Activity must be newer than this to wake a paused sandbox (set by an explicit pause). */
  public Instant resumeFloor;
  /** An activity signal arrived while PAUSING or PAUSED: resume as soon as the pause is done. */
  public boolean resumeRequested;

  /** When E2B's own timeout will act on the running sandbox (our backstop); null if unknown. */
  public Instant e2bEndAt;
  /** E2B was asked about the sandbox once after tracking started. */
  public boolean e2bChecked;
  /** After a failed E2B call, automatic E2B work waits until then. */
  public Instant e2bRetryAt;
  public int e2bFailuresInARow;

  public long pauses;
  public long resumes;
  public long activitySignals;
  public long staleSignals;
  public long e2bCalls;
  public long runs = 1;

  public List<Transition> transitions = new ArrayList<>();
  public LastError lastError;

  public static Lifecycle track(SandboxSpec spec, Instant now) {
    Lifecycle lc = new Lifecycle();
    lc.sandboxId = spec.sandboxId();
    lc.projectId = spec.projectId();
    lc.userId = spec.userId();
    lc.template = spec.template();
    lc.metadata = spec.metadata();
    lc.policy = spec.effectivePolicy();
    lc.state = SandboxState.RUNNING;
    lc.stateSince = now;
    lc.trackedAt = now;
    lc.lastActivityAt = now;
    return lc;
  }

  /** While RUNNING: the sandbox pauses at this instant unless activity arrives first. */
  public Instant pauseDeadline() {
    return state == SandboxState.RUNNING
        ? lastActivityAt.plus(policy.idleTimeout())
        : null;
  }

  public Instant lifetimeDeadline() {
    return policy.maxLifetime() == null ? null : trackedAt.plus(policy.maxLifetime());
  }

  public Instant retentionDeadline() {
    return state == SandboxState.PAUSED && pausedAt != null ? pausedAt.plus(policy.pausedRetention()) : null;
  }

  /** The earliest scheduled kill (lifetime or paused retention), or null. */
  public Instant killDeadline() {
    return earliest(lifetimeDeadline(), retentionDeadline());
  }

  public Cause killCause() {
    Instant lifetime = lifetimeDeadline();
    Instant retention = retentionDeadline();
    if (lifetime == null && retention == null) {
      return null;
    }
    return retention == null || (lifetime != null && !lifetime.isAfter(retention))
        ? Cause.LIFETIME
        : Cause.RETENTION;
  }

  /** Whether activity stamped {@code at} should wake the sandbox from a pause at {@code now}. */
  public boolean wakesFromPause(Instant at, Instant now) {
    Instant floor = now.minus(policy.idleTimeout());
    if (resumeFloor != null && resumeFloor.isAfter(floor)) {
      floor = resumeFloor;
    }
    return at.isAfter(floor);
  }

  public void record(Transition transition) {
    transitions.add(transition);
    while (transitions.size() > TRANSITIONS_KEPT) {
      transitions.remove(0);
    }
  }

  public void e2bSucceeded() {
    e2bRetryAt = null;
    e2bFailuresInARow = 0;
  }

  /** Back off automatic E2B work: 30 s, doubling per failure in a row, at most 30 min. */
  public void e2bFailed(LastError error, Instant now) {
    lastError = error;
    e2bFailuresInARow++;
    long seconds = Math.min(30L << Math.min(e2bFailuresInARow - 1, 6), Duration.ofMinutes(30).toSeconds());
    e2bRetryAt = now.plusSeconds(seconds);
  }

  public SandboxStatus toStatus() {
    return new SandboxStatus(
        sandboxId,
        projectId,
        userId,
        template,
        metadata,
        state,
        stateSince,
        trackedAt,
        lastActivityAt,
        pauseDeadline(),
        killDeadline(),
        killCause(),
        state == SandboxState.RUNNING ? e2bEndAt : null,
        policy,
        new Counters(pauses, resumes, activitySignals, staleSignals, e2bCalls, runs),
        List.copyOf(transitions),
        lastError);
  }

  static Instant earliest(Instant a, Instant b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return a.isBefore(b) ? a : b;
  }
}
