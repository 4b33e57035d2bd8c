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
  /** The effective policy, resolved from the layers below whenever one changes. */
  public Policy policy;
  /** The sandbox's own layer (track request, setPolicy); null fields inherit. */
  public Policy sandboxPolicy;
  /** The project's layer, pushed by its ProjectWorkflow. */
  public Policy projectPolicy;
  /** The operator's defaults and limits, read from the worker once per run (null on runs before v1). */
  public OperatorConfig operator;

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

  /** Active keep-awake holds (expired ones are pruned as the workflow goes). */
  public List<Hold> holds = new ArrayList<>();
  /** Events not yet delivered, oldest first; bounded, the oldest dropped past the bound. */
  public List<OutboxEntry> outbox = new ArrayList<>();
  public long eventsDelivered;
  public long eventsDropped;
  /** The deadline a warning was already sent for, so each deadline is warned about once. */
  public Instant warnedPauseDeadline;
  public Instant warnedKillDeadline;
  /** Time spent in earlier states; the current state's time is counted from stateSince. */
  public long runningMillis;
  public long pausedMillis;

  public static final int OUTBOX_LIMIT = 500;
  public static final int HOLDS_LIMIT = 100;

  /** An event waiting for delivery, with the time of its next attempt. */
  public record OutboxEntry(SandboxEvent event, int attempts, Instant nextAttemptAt) {}

  public static Lifecycle track(SandboxSpec spec, Instant now) {
    Lifecycle lc = new Lifecycle();
    lc.sandboxId = spec.sandboxId();
    lc.projectId = spec.projectId();
    lc.userId = spec.userId();
    lc.template = spec.template();
    lc.metadata = spec.metadata();
    lc.sandboxPolicy = spec.policy();
    lc.policy = spec.effectivePolicy();
    lc.state = SandboxState.RUNNING;
    lc.stateSince = now;
    lc.trackedAt = now;
    lc.lastActivityAt = now;
    return lc;
  }

  /** Recomputes the effective policy from the layers (runs without operator config keep theirs). */
  public void resolvePolicy() {
    if (operator != null) {
      policy = operator.resolve(projectPolicy, sandboxPolicy);
    }
  }

  /**
   * While RUNNING: the sandbox pauses at this instant unless activity arrives first; a hold keeps it
   * awake until the hold expires.
   */
  public Instant pauseDeadline() {
    if (state != SandboxState.RUNNING) {
      return null;
    }
    Instant deadline = lastActivityAt.plus(policy.idleTimeout());
    for (Hold hold : holds) {
      if (hold.expiresAt().isAfter(deadline)) {
        deadline = hold.expiresAt();
      }
    }
    return deadline;
  }

  /** When the pause warning is due (only when the operator set a lead shorter than the idle timeout). */
  public Instant pauseWarningAt() {
    Instant deadline = pauseDeadline();
    if (deadline == null || operator == null || operator.pauseWarningLead() == null
        || operator.pauseWarningLead().compareTo(policy.idleTimeout()) >= 0) {
      return null;
    }
    return deadline.minus(operator.pauseWarningLead());
  }

  /** When the warning before a scheduled kill is due. */
  public Instant killWarningAt() {
    Instant deadline = killDeadline();
    if (deadline == null || operator == null || operator.killWarningLead() == null) {
      return null;
    }
    return deadline.minus(operator.killWarningLead());
  }

  public List<Hold> activeHolds(Instant now) {
    return holds.stream().filter(h -> h.expiresAt().isAfter(now)).toList();
  }

  /** Adds the time spent in the current state so far to its bucket, and restarts the count at now. */
  public void accrue(Instant now) {
    long millis = Math.max(0, now.toEpochMilli() - stateSince.toEpochMilli());
    if (state == SandboxState.RUNNING || state == SandboxState.PAUSING) {
      runningMillis += millis;
    } else if (state == SandboxState.PAUSED || state == SandboxState.RESUMING) {
      pausedMillis += millis;
    }
    stateSince = now;
  }

  public Usage usage(Instant now) {
    long running = runningMillis;
    long paused = pausedMillis;
    long current = Math.max(0, now.toEpochMilli() - stateSince.toEpochMilli());
    if (state == SandboxState.RUNNING || state == SandboxState.PAUSING) {
      running += current;
    } else if (state == SandboxState.PAUSED || state == SandboxState.RESUMING) {
      paused += current;
    }
    double price = operator != null ? operator.pricePerHour() : OperatorConfig.E2B_DEFAULT_PRICE_PER_HOUR;
    return Usage.of(running / 1000, paused / 1000, price, now);
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

  public SandboxStatus toStatus(Instant now) {
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
        lastError,
        pauseWarningAt(),
        killWarningAt(),
        activeHolds(now),
        usage(now),
        sandboxPolicy,
        projectPolicy,
        outbox.size(),
        activityDueBy());
  }

  /**
   * While RUNNING: when newer activity must reach the workflow so the sandbox neither pauses nor
   * warns (the idle deadline of the last activity, less the warning lead when warnings are sent).
   */
  public Instant activityDueBy() {
    if (state != SandboxState.RUNNING) {
      return null;
    }
    Instant due = lastActivityAt.plus(policy.idleTimeout());
    if (operator != null && operator.events() && operator.pauseWarningLead() != null
        && operator.pauseWarningLead().compareTo(policy.idleTimeout()) < 0) {
      due = due.minus(operator.pauseWarningLead());
    }
    return due;
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
