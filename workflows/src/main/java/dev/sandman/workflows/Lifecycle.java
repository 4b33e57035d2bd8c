package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything one sandbox's workflow knows, carried whole across continue-as-new, and what follows
 * from it. Deadlines are derived, never stored, so a signal only moves {@link #lastActivityAt}.
 * {@link SandboxMachine} is the only writer.
 */
@JsonAutoDetect(
    fieldVisibility = JsonAutoDetect.Visibility.ANY,
    getterVisibility = JsonAutoDetect.Visibility.NONE,
    isGetterVisibility = JsonAutoDetect.Visibility.NONE)
public final class Lifecycle {
  public static final int TRANSITIONS_KEPT = 20;
  public static final int OUTBOX_LIMIT = 500;
  public static final int HOLDS_LIMIT = 100;

  String sandboxId;
  String projectId;
  String userId;
  String template;
  Map<String, String> metadata;
  /** The effective policy, resolved from the layers below whenever one changes. */
  Policy policy;
  /** The sandbox's own layer (track request, setPolicy); null fields inherit. */
  Policy sandboxPolicy;
  /** The project's layer, read from its workflow's memo at each run and pushed on change. */
  Policy projectPolicy;
  /** The operator's defaults and limits, read from the worker once per run (null on the oldest runs). */
  OperatorConfig operator;

  SandboxState state;
  Instant stateSince;
  Instant trackedAt;
  Instant lastActivityAt;
  Instant pausedAt;
  /** Activity must be newer than this to wake a paused sandbox (set by an explicit pause). */
  Instant resumeFloor;
  /** Activity or a hold arrived while PAUSING or PAUSED: resume as soon as the pause is done. */
  boolean resumeRequested;

  /** When E2B's own timeout will act on the running sandbox (our backstop); null if unknown. */
  Instant e2bEndAt;
  /** E2B was asked about the sandbox once after tracking started. */
  boolean e2bChecked;
  /** E2B told of a change (its webhook, or a reconciliation): the next step asks E2B what it has. */
  boolean e2bNoticed;
  /** The ids of the last notices taken, so one delivered twice is taken once. */
  java.util.List<String> e2bNoticeIds = new java.util.ArrayList<>();
  /** An idle pause is put off until then (the sandbox was busy, or the pre-pause hook asked for time). */
  Instant pauseDeferredUntil;
  /** The first time, since the last activity, that E2B's metrics found the sandbox busy at its deadline. */
  Instant busySince;
  /** E2B's metrics were read and found the sandbox quiet (or could not tell) at then. */
  Instant cpuQuietAt;
  /** The pre-pause hook was asked, and did not put the pause off, at then. */
  Instant prePauseAskedAt;
  /** The hook put off this idle spell's pause once already. */
  boolean prePauseDeferred;
  /** The hook's last answer. */
  PrePauseAnswer lastPrePause;
  /** After a failed E2B call, automatic E2B work waits until then. */
  Instant e2bRetryAt;
  int e2bFailuresInARow;

  long pauses;
  long resumes;
  long activitySignals;
  long staleSignals;
  long e2bCalls;
  long runs = 1;

  List<Transition> transitions = new ArrayList<>();
  LastError lastError;

  /** The time of the newest activity a signal reported (requests and resumes leave it alone). */
  Instant lastTouchAt;
  /**
   * Gaps between reported activity, by whole minutes: [m] counts gaps of m to m+1 minutes (1-60), [61]
   * longer ones. What the idle-timeout advice is computed from.
   */
  long[] activityGaps;

  /** Keep-awake holds; expired ones are dropped as the workflow goes. */
  List<Hold> holds = new ArrayList<>();
  /** Events not yet delivered, oldest first; the oldest dropped past {@link #OUTBOX_LIMIT}. */
  List<OutboxEntry> outbox = new ArrayList<>();
  long eventsDelivered;
  long eventsDropped;
  /** The deadline a warning was already sent for, so each deadline is warned about once. */
  Instant warnedPauseDeadline;
  Instant warnedKillDeadline;
  /** Time spent in earlier states; the current state's time is counted from stateSince. */
  long runningMillis;
  long pausedMillis;

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
    lc.lastTouchAt = now; // a track is the app's first sign of its user
    return lc;
  }

  /** While RUNNING: the sandbox pauses then unless activity arrives first; a hold keeps it awake longer. */
  public Instant pauseDeadline() {
    if (state != SandboxState.RUNNING) {
      return null;
    }
    Instant deadline = lastActivityAt.plus(policy.idleTimeout());
    if (pauseDeferredUntil != null && pauseDeferredUntil.isAfter(deadline)) {
      deadline = pauseDeferredUntil;
    }
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
    return deadline == null || !warnsBeforePause() ? null : deadline.minus(operator.pauseWarningLead());
  }

  private boolean warnsBeforePause() {
    return operator != null && operator.pauseWarningLead() != null
        && operator.pauseWarningLead().compareTo(policy.idleTimeout()) < 0;
  }

  /** When the warning before a scheduled kill is due. */
  public Instant killWarningAt() {
    Instant deadline = killDeadline();
    if (deadline == null || operator == null || operator.killWarningLead() == null) {
      return null;
    }
    return deadline.minus(operator.killWarningLead());
  }

  /** Whether warnings are sent at all: they are events, so only when events are on. */
  boolean sendsEvents() {
    return operator != null && operator.events();
  }

  public List<Hold> activeHolds(Instant now) {
    return holds.stream().filter(h -> h.expiresAt().isAfter(now)).toList();
  }

  /** Milliseconds in the current state so far. */
  private long millisInState(Instant now) {
    return Math.max(0, now.toEpochMilli() - stateSince.toEpochMilli());
  }

  /** Running and paused time. */
  private record Time(long runningMillis, long pausedMillis) {}

  /** The time so far, the current state's included in its bucket (a KILLED sandbox's in neither). */
  private Time timeSoFar(Instant now) {
    long current = state == SandboxState.KILLED ? 0 : millisInState(now);
    return state.billedAsRunning()
        ? new Time(runningMillis + current, pausedMillis)
        : new Time(runningMillis, pausedMillis + current);
  }

  /** Adds the current state's time to its bucket and starts counting again from {@code now}. */
  void accrue(Instant now) {
    Time time = timeSoFar(now);
    runningMillis = time.runningMillis();
    pausedMillis = time.pausedMillis();
    stateSince = now;
  }

  public Usage usage(Instant now) {
    Time time = timeSoFar(now);
    double price = operator != null ? operator.pricePerHour() : OperatorConfig.E2B_DEFAULT_PRICE_PER_HOUR;
    return Usage.of(time.runningMillis() / 1000, time.pausedMillis() / 1000, price, now);
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
    return retention == null || (lifetime != null && !lifetime.isAfter(retention)) ? Cause.LIFETIME : Cause.RETENTION;
  }

  /** Counts the gap since the newest activity reported before {@code at}, if a minute or more. */
  void countGap(Instant at) {
    if (lastTouchAt != null && at.isAfter(lastTouchAt)) {
      // whole seconds first: a timestamp clamped to the workflow's clock a millisecond early must not change the bucket
      long minutes = Math.round(java.time.Duration.between(lastTouchAt, at).toMillis() / 1000.0) / 60;
      if (minutes >= 1) {
        if (activityGaps == null) {
          activityGaps = new long[ActivityGaps.BUCKETS];
        }
        activityGaps[(int) Math.min(minutes, ActivityGaps.BUCKETS - 1)]++;
      }
    }
    if (lastTouchAt == null || at.isAfter(lastTouchAt)) {
      lastTouchAt = at;
    }
  }

  /** A new idle spell begins (activity, or a pause or resume): what was put off for the last one is done with. */
  void newIdleSpell() {
    pauseDeferredUntil = null;
    busySince = null;
    prePauseDeferred = false;
  }

  /** Whether activity stamped {@code at} should wake the sandbox from a pause at {@code now}. */
  public boolean wakesFromPause(Instant at, Instant now) {
    Instant floor = now.minus(policy.idleTimeout());
    if (resumeFloor != null && resumeFloor.isAfter(floor)) {
      floor = resumeFloor;
    }
    return at.isAfter(floor);
  }

  void record(Transition transition) {
    transitions.add(transition);
    while (transitions.size() > TRANSITIONS_KEPT) {
      transitions.remove(0);
    }
  }

  public SandboxStatus toStatus(Instant now) {
    return new SandboxStatus(sandboxId, projectId, userId, template, metadata, state, stateSince, trackedAt,
        lastActivityAt, pauseDeadline(), killDeadline(), killCause(), state == SandboxState.RUNNING ? e2bEndAt : null,
        policy, new Counters(pauses, resumes, activitySignals, staleSignals, e2bCalls, runs), List.copyOf(transitions),
        lastError, pauseWarningAt(), killWarningAt(), activeHolds(now), usage(now), sandboxPolicy, projectPolicy,
        outbox.size(), activityDueBy(), lastPrePause, activityGaps == null ? null : ActivityGaps.of(activityGaps));
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
    return sendsEvents() && warnsBeforePause() ? due.minus(operator.pauseWarningLead()) : due;
  }

  static Instant earliest(Instant... instants) {
    Instant first = null;
    for (Instant at : instants) {
      if (at != null && (first == null || at.isBefore(first))) {
        first = at;
      }
    }
    return first;
  }

  /** {@code at}, but not before {@code floor}; null stays null. */
  static Instant notBefore(Instant at, Instant floor) {
    return at == null || floor == null || !floor.isAfter(at) ? at : floor;
  }
}
