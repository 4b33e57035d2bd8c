package dev.sandman.workflows;

import static dev.sandman.workflows.Transitions.Event;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * The rules of one sandbox's lifecycle, with no Temporal in it: given the {@link Lifecycle} and an
 * input (time passing, a request, E2B's answer, activity, a policy change, a hold) it changes the
 * state through {@link Transitions} and answers the next {@link Step}. The workflow carries the steps
 * out and is told of every state change through {@code moved}.
 */
public final class SandboxMachine {

  /** A state change, with the running and paused time it closed. */
  public record Move(Transition transition, long runningMillis, long pausedMillis) {}

  private final Lifecycle lc;
  private final Consumer<Move> moved;
  private Backstop backstop = Backstop.FIXED;
  private final PauseGate gate;
  /** The reason of the request being carried out, recorded with its transitions. */
  private String requestReason;

  public SandboxMachine(Lifecycle lc, Consumer<Move> moved) {
    this.lc = lc;
    this.moved = moved;
    this.gate = new PauseGate(lc, this::note);
  }

  /** The backstop rule of the workflow's version. */
  public void use(Backstop rule) {
    backstop = rule;
  }

  /** Whether the workflow's version knows busy sandboxes and the pre-pause hook. */
  public void watchWork(boolean on) {
    gate.turnOn(on);
  }

  // ---- the run's beginning ----------------------------------------------------------------

  /** A first run, not one continued as new. */
  public boolean isFresh() {
    return lc.transitions.isEmpty();
  }

  public void tracked() {
    lc.record(new Transition(null, SandboxState.RUNNING, lc.trackedAt, Cause.TRACK));
  }

  public void configure(OperatorConfig operator) {
    lc.operator = operator;
    resolvePolicy();
  }

  /** The project's layer (a layer that sets nothing is none). */
  public void projectLayer(Policy layer) {
    lc.projectPolicy = Policy.orNull(layer);
    resolvePolicy();
  }

  private void resolvePolicy() {
    if (lc.operator != null) { // the oldest runs have no operator config and keep their policy
      lc.policy = lc.operator.resolve(lc.projectPolicy, lc.sandboxPolicy);
    }
  }

  /** How far ahead of the workflow's clock an app's activity time is believed when counting gaps. */
  static final Duration GAP_CLOCK_SKEW = Duration.ofMinutes(1);

  /** How many E2B event ids a sandbox remembers to take each once (E2B redelivers within minutes). */
  static final int NOTICES_REMEMBERED = 32;

  /** Asks E2B once what it has, when tracking starts; null once asked. */
  public Step firstLook() {
    if (lc.e2bChecked) {
      return null;
    }
    lc.e2bChecked = true;
    return Step.look();
  }

  // ---- time passing -----------------------------------------------------------------------

  /**
   * E2B told of a change to the sandbox (event {@code eventId}): whatever it says, the workflow asks E2B
   * what it has now and reconciles, so notices that come twice or out of order change nothing. False
   * when there is nothing to do (killed already, or this event was taken).
   */
  public boolean noticed(String eventId) {
    if (lc.state == SandboxState.KILLED || eventId != null && lc.e2bNoticeIds.contains(eventId)) {
      return false;
    }
    if (eventId != null) {
      lc.e2bNoticeIds.add(eventId);
      while (lc.e2bNoticeIds.size() > NOTICES_REMEMBERED) {
        lc.e2bNoticeIds.remove(0);
      }
    }
    lc.e2bNoticed = true;
    return true;
  }

  /** The next step at {@code now}, in a state the workflow waits in (RUNNING or PAUSED). */
  public Step next(Instant now) {
    if (lc.e2bNoticed && (lc.state == SandboxState.RUNNING || lc.state == SandboxState.PAUSED)) {
      lc.e2bNoticed = false;
      return Step.lookOnNotice();
    }
    return switch (lc.state) {
      case RUNNING -> nextRunning(now);
      case PAUSED -> nextPaused(now);
      default -> Step.nothing(); // a call to E2B is in flight, or the sandbox is gone
    };
  }

  private Step nextRunning(Instant now) {
    lc.holds.removeIf(hold -> !hold.expiresAt().isAfter(now));
    Instant retry = lc.e2bRetryAt; // after a failed call, automatic E2B work waits
    Instant lifetime = Lifecycle.notBefore(lc.lifetimeDeadline(), retry);
    Instant idleAt = Lifecycle.notBefore(lc.pauseDeadline(), retry);
    Instant refreshAt = backstopRefreshAt(now);
    Instant backstopAt = Lifecycle.notBefore(refreshAt, retry);
    Instant backstopEarliest = backstop.ridesIdleTimer()
        ? Lifecycle.notBefore(refreshAt.minus(backstopWindow()), retry) : backstopAt;
    Instant warnAt = pendingWarning(lc.pauseWarningAt(), lc.pauseDeadline(), lc.warnedPauseDeadline);
    if (warnAt != null && !now.isBefore(warnAt) && now.isBefore(lc.pauseDeadline())) {
      return Step.warn(SandboxEvent.PAUSE_WARNING, null, lc.pauseDeadline());
    }
    if (lifetime != null && !now.isBefore(lifetime)) {
      return Step.kill(Cause.LIFETIME);
    }
    if (!now.isBefore(idleAt)) { // race-free: lastActivityAt holds every signal delivered before now
      return gate.atDeadline(idleAt, now);
    }
    if (!now.isBefore(backstopEarliest)) {
      return Step.extendBackstop();
    }
    return Step.sleepUntil(Lifecycle.earliest(idleAt, backstopAt, lifetime, warnAt));
  }

  /** The window of E2B's CPU samples a {@link Step.Kind#CHECK_CPU} reads. */
  public long cpuWindowSeconds() {
    return gate.cpuWindowSeconds();
  }

  /** E2B's CPU at the idle deadline (null: unreadable): a busy sandbox's pause is put off. */
  public void cpuRead(CpuReading reading, Instant now) {
    lc.e2bCalls++;
    gate.cpuRead(reading, now);
  }

  /** How long the pre-pause hook is waited for; null when there is no hook. */
  public java.time.Duration prePauseWait() {
    return gate.asksTheHook() ? gate.hookWait() : null;
  }

  /** The hook's answer to the pause {@code step} asked about, and the step that follows. */
  public Step prePauseAnswered(Step step, PrePauseAnswer reply, Instant now) {
    return gate.hookAnswered(step, reply, now);
  }

  private Step nextPaused(Instant now) {
    Instant killDeadline = lc.killDeadline();
    Instant killAt = Lifecycle.notBefore(killDeadline, lc.e2bRetryAt);
    Instant warnAt = killDeadline == null ? null : pendingWarning(lc.killWarningAt(), killDeadline, lc.warnedKillDeadline);
    if (warnAt != null && !now.isBefore(warnAt) && now.isBefore(killDeadline)) {
      return Step.warn(SandboxEvent.KILL_WARNING, lc.killCause(), killDeadline);
    }
    if (lc.resumeRequested) {
      return Step.resume(Cause.ACTIVITY);
    }
    if (killAt != null && !now.isBefore(killAt)) {
      return Step.kill(lc.killCause());
    }
    return Step.sleepUntil(Lifecycle.earliest(killAt, warnAt));
  }

  /** A warning still to be sent: only with events on, once per deadline. */
  private Instant pendingWarning(Instant warningAt, Instant deadline, Instant warnedFor) {
    return warningAt == null || !lc.sendsEvents() || deadline.equals(warnedFor) ? null : warningAt;
  }

  public void warned(Step warning) {
    if (SandboxEvent.PAUSE_WARNING.equals(warning.event())) {
      lc.warnedPauseDeadline = warning.at();
    } else {
      lc.warnedKillDeadline = warning.at();
    }
  }

  private Instant backstopRefreshAt(Instant now) {
    if (lc.e2bEndAt == null) {
      return now; // unknown: learn it by setting it
    }
    return lc.e2bEndAt.minus(Backstop.GRACE).minus(lc.policy.idleTimeout());
  }

  /**
   * How close to its need the backstop is refreshed at any wake-up: at most the idle timeout (the idle
   * timer wakes that often while the user is active), at most half an extension so a refresh always
   * moves the next one into the future.
   */
  private Duration backstopWindow() {
    Duration half = backstop.extension().dividedBy(2);
    return lc.policy.idleTimeout().compareTo(half) < 0 ? lc.policy.idleTimeout() : half;
  }

  /** E2B's own timeout, as set on resume and on each extension. */
  public long backstopSeconds() {
    return lc.policy.idleTimeout().plus(Backstop.GRACE).plus(backstop.extension()).toSeconds();
  }

  // ---- requests ---------------------------------------------------------------------------

  /**
   * The step a request needs now, its transitions recording {@code reason}; a resume of a running
   * sandbox counts as activity.
   */
  public Step request(Request request, String reason, Instant now) {
    requestReason = reason;
    switch (request) {
      case PAUSE:
        if (lc.state != SandboxState.RUNNING) {
          return Step.nothing();
        }
        return gate.onRequest();
      case RESUME:
        if (lc.state == SandboxState.PAUSED) {
          return Step.resume(Cause.REQUEST);
        }
        if (lc.state == SandboxState.RUNNING && now.isAfter(lc.lastActivityAt)) {
          lc.lastActivityAt = now;
          lc.newIdleSpell();
        }
        return Step.nothing();
      default:
        return lc.state == SandboxState.KILLED ? Step.nothing() : Step.kill(Cause.REQUEST);
    }
  }

  /** The answer to a request once its step is done. */
  public Request.Answer answer(Request request, Instant now) {
    requestReason = null;
    if (lc.state == request.target()) {
      return new Request.Answer(lc.toStatus(now), null, null);
    }
    if (lc.state == SandboxState.KILLED) {
      return lc.lastError != null && FailureType.SANDBOX_GONE.name().equals(lc.lastError.type())
          ? new Request.Answer(null, FailureType.SANDBOX_GONE.name(), "sandbox " + lc.sandboxId + " no longer exists in E2B")
          : new Request.Answer(null, FailureType.INVALID_STATE.name(), "sandbox " + lc.sandboxId + " is killed");
    }
    if (lc.lastError != null) {
      return new Request.Answer(null, lc.lastError.type(), "E2B " + lc.lastError.operation() + " failed: " + lc.lastError.message());
    }
    return new Request.Answer(null, FailureType.INVALID_STATE.name(), "sandbox " + lc.sandboxId + " is " + lc.state);
  }

  // ---- E2B --------------------------------------------------------------------------------

  /** A step's call to E2B is about to be made. */
  public void calling(Step step, Instant now) {
    if (step.kind() == Step.Kind.PAUSE) {
      lc.resumeFloor = step.cause() == Cause.REQUEST ? now : null; // older activity must not undo an explicit pause
      if (step.cause() == Cause.REQUEST) {
        lc.holds.clear(); // an explicit pause outranks keep-awake holds
      }
      move(Event.PAUSE_STARTED, step.cause(), now);
    } else if (step.kind() == Step.Kind.RESUME) {
      lc.resumeRequested = false;
      move(Event.RESUME_STARTED, step.cause(), now);
    }
    lc.e2bCalls++;
  }

  /** E2B answered a step's call: {@code view} on success, else {@code error}. */
  public void answered(Step step, E2bView view, LastError error, Instant now) {
    if (error == null) {
      lc.e2bRetryAt = null;
      lc.e2bFailuresInARow = 0;
      reconcile(view, step.kind() == Step.Kind.LOOK && step.cause() == Cause.E2B_RESUMED, now);
      succeeded(step, now);
    } else if (FailureType.SANDBOX_GONE.name().equals(error.type())) {
      lc.lastError = error;
      if (Transitions.allows(lc.state, Event.GONE)) {
        move(Event.GONE, Cause.SANDBOX_GONE, now);
      }
    } else {
      lc.lastError = error;
      lc.e2bFailuresInARow++;
      lc.e2bRetryAt = now.plus(Backoff.after(lc.e2bFailuresInARow));
      failed(step, now);
    }
  }

  private void succeeded(Step step, Instant now) {
    switch (step.kind()) {
      case PAUSE -> {
        if (Transitions.allows(lc.state, Event.PAUSE_DONE)) {
          markPaused(Event.PAUSE_DONE, step.cause(), now);
        }
      }
      case RESUME -> {
        if (Transitions.allows(lc.state, Event.RESUME_DONE)) {
          markRunning(Event.RESUME_DONE, step.cause(), now);
        }
      }
      case KILL -> {
        if (Transitions.allows(lc.state, Event.KILL_DONE)) {
          lc.holds.clear();
          move(Event.KILL_DONE, step.cause(), now);
        }
      }
      default -> { }
    }
  }

  private void failed(Step step, Instant now) {
    if (step.kind() == Step.Kind.PAUSE && Transitions.allows(lc.state, Event.PAUSE_FAILED)) {
      lc.resumeRequested = false;
      move(Event.PAUSE_FAILED, Cause.ERROR, now);
    } else if (step.kind() == Step.Kind.RESUME && Transitions.allows(lc.state, Event.RESUME_FAILED)) {
      move(Event.RESUME_FAILED, Cause.ERROR, now);
    }
  }

  /** Brings the state in line with what E2B says, when E2B acted on its own (or someone else did). */
  private void reconcile(E2bView view, boolean onNotice, Instant now) {
    if (view == null) {
      return;
    }
    if (view.endAt() != null) {
      lc.e2bEndAt = view.endAt();
    }
    if (view.isPaused() && Transitions.allows(lc.state, Event.FOUND_PAUSED)) {
      lc.resumeFloor = null;
      markPaused(Event.FOUND_PAUSED, Cause.RECONCILE, now);
    } else if (view.isRunning() && Transitions.allows(lc.state, Event.FOUND_RUNNING)) {
      // resumed behind the workflow's back: running from now, with a fresh idle deadline
      markRunning(Event.FOUND_RUNNING, onNotice ? Cause.E2B_RESUMED : Cause.RECONCILE, now);
    }
  }

  private void markPaused(Event event, Cause cause, Instant now) {
    lc.newIdleSpell();
    lc.pausedAt = now;
    lc.pauses++;
    lc.e2bEndAt = null;
    move(event, cause, now);
  }

  private void markRunning(Event event, Cause cause, Instant now) {
    lc.newIdleSpell();
    if (now.isAfter(lc.lastActivityAt)) {
      lc.lastActivityAt = now;
    }
    lc.resumes++;
    lc.resumeFloor = null;
    move(event, cause, now);
  }

  /** A decision that changed no state, recorded with the transitions (a pause put off, and why). */
  private void note(Cause cause, Instant now) {
    Transition transition = new Transition(lc.state, lc.state, now, cause);
    lc.record(transition);
    moved.accept(new Move(transition, 0, 0));
  }

  private void move(Event event, Cause cause, Instant now) {
    SandboxState from = lc.state;
    SandboxState to = Transitions.next(from, event)
        .orElseThrow(() -> new IllegalStateException("no transition from " + from + " on " + event));
    long running = lc.runningMillis;
    long paused = lc.pausedMillis;
    lc.accrue(now);
    Transition transition = new Transition(from, to, now, cause, cause == Cause.REQUEST ? requestReason : null);
    lc.record(transition);
    lc.state = to;
    moved.accept(new Move(transition, lc.runningMillis - running, lc.pausedMillis - paused));
  }

  // ---- messages ---------------------------------------------------------------------------

  /** Activity the app saw at {@code at} (null: now). Returns whether it wakes a paused sandbox. */
  public boolean activity(Instant at, Instant now) {
    Instant seen = at == null || at.isAfter(now) ? now : at;
    lc.activitySignals++;
    // the app's own time: signals that wait for one workflow task share its (earlier) clock
    lc.countGap(at == null ? now : Lifecycle.earliest(at, now.plus(GAP_CLOCK_SKEW)));
    switch (lc.state) {
      case RUNNING, RESUMING -> {
        if (seen.isAfter(lc.lastActivityAt)) {
          lc.lastActivityAt = seen;
          lc.newIdleSpell();
        } else if (!seen.plus(lc.policy.idleTimeout()).isAfter(now)) {
          lc.staleSignals++;
        }
      }
      case PAUSING, PAUSED -> {
        if (!lc.wakesFromPause(seen, now)) {
          lc.staleSignals++;
          return false;
        }
        lc.resumeRequested = true;
        if (seen.isAfter(lc.lastActivityAt)) {
          lc.lastActivityAt = seen;
        }
        return true;
      }
      default -> lc.staleSignals++;
    }
    return false;
  }

  /** The sandbox's own layer changes; a change that comes before the operator's config is read is kept in it. */
  public void setPolicy(PolicyPatch patch) {
    Policy layer = lc.sandboxPolicy == null ? new Policy(null, null, null, null) : lc.sandboxPolicy;
    lc.sandboxPolicy = layer.merge(patch);
    if (lc.operator != null) {
      resolvePolicy();
    } else {
      lc.policy = lc.policy.merge(patch);
    }
  }

  /** Keeps the sandbox awake until the hold ends (at most the policy's hold cap); a paused one wakes. */
  public Hold hold(String holdId, HoldRequest request, Instant now) {
    Duration cap = lc.policy.holdCap();
    Duration ttl = request.ttl().compareTo(cap) > 0 ? cap : request.ttl();
    Hold hold = new Hold(holdId, request.reason(), now, now.plus(ttl));
    lc.holds.add(hold);
    if (lc.state == SandboxState.PAUSED || lc.state == SandboxState.PAUSING) {
      lc.resumeRequested = true;
    }
    return hold;
  }

  public void release(String holdId) {
    lc.holds.removeIf(hold -> hold.holdId().equals(holdId));
  }

  // ---- reading ----------------------------------------------------------------------------

  public boolean isKilled() {
    return lc.state == SandboxState.KILLED;
  }

  public SandboxStatus status(Instant now) {
    return lc.toStatus(now);
  }


  /** The whole state for the next run. */
  public Lifecycle continuing() {
    lc.runs++;
    return lc;
  }
}
