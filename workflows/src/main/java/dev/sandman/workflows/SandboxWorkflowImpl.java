package dev.sandman.workflows;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInit;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * The state machine of one sandbox. The main loop reads like the state diagram: RUNNING waits for
 * the idle deadline, PAUSED waits for activity or the kill deadline, and requests from updates are
 * queued and carried out by the loop itself, one at a time, so nothing races.
 *
 * <p>Signals never wake the loop: an activity signal only moves {@code lastActivityAt}, and the one
 * timer in flight recomputes the deadline when it fires. Anything that must wake the loop early
 * (a request, a policy change, a resume) cancels the timer, so no orphan timers pile up.
 */
public class SandboxWorkflowImpl implements SandboxWorkflow {
  /** E2B's own timeout stays at least this far past the pause deadline: the backstop's slack. */
  static final Duration BACKSTOP_GRACE = Duration.ofMinutes(2);
  /** Each backstop refresh buys this much beyond the need, so calls are rare. */
  static final Duration BACKSTOP_EXTENSION = Duration.ofMinutes(30);

  private static final List<String> DO_NOT_RETRY =
      List.of(FailureType.SANDBOX_GONE.name(), FailureType.E2B_REJECTED.name());

  private final Logger log = Workflow.getLogger(SandboxWorkflowImpl.class);

  /** Quick calls: describe, connect, kill, set timeout. */
  private final SandboxActivities e2b =
      Workflow.newActivityStub(
          SandboxActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofMinutes(2))
              .setScheduleToCloseTimeout(Duration.ofMinutes(10))
              .setRetryOptions(retry())
              .build());

  /** A pause snapshots memory (about 4 s per GiB): a longer attempt, the same retry budget. */
  private final SandboxActivities e2bPause =
      Workflow.newActivityStub(
          SandboxActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofMinutes(6))
              .setScheduleToCloseTimeout(Duration.ofMinutes(15))
              .setRetryOptions(retry())
              .build());

  private final SandboxSpec spec;
  private final Lifecycle lc;
  private final Deque<Command> commands = new ArrayDeque<>();
  private final Map<Integer, Outcome> outcomes = new HashMap<>();
  private int lastTicket;
  /** Bumped by handlers that move a deadline earlier, to wake the loop. */
  private int wakeups;

  @WorkflowInit
  public SandboxWorkflowImpl(SandboxSpec spec) {
    this.spec = spec;
    this.lc = spec.carried() != null ? spec.carried() : Lifecycle.track(spec, now());
  }

  @Override
  public SandboxStatus run(SandboxSpec ignored) {
    if (lc.transitions.isEmpty()) {
      lc.record(new Transition(null, SandboxState.RUNNING, lc.trackedAt, Cause.TRACK));
      Workflow.upsertTypedSearchAttributes(
          Sandman.SA_STATE.valueSet(lc.state.name()),
          Sandman.SA_PROJECT_ID.valueSet(nullToEmpty(lc.projectId)),
          Sandman.SA_USER_ID.valueSet(nullToEmpty(lc.userId)),
          Sandman.SA_TEMPLATE.valueSet(nullToEmpty(lc.template)));
      log.info("sandbox {} tracked (project {}, user {})", lc.sandboxId, lc.projectId, lc.userId);
    }
    if (!lc.e2bChecked) {
      lc.e2bChecked = true;
      call("describe", () -> e2b.describe(lc.sandboxId));
    }
    while (lc.state != SandboxState.KILLED) {
      Command command = commands.poll();
      if (command != null) {
        carryOut(command);
      } else if (runIsFull()) {
        Workflow.await(() -> !commands.isEmpty() || Workflow.isEveryHandlerFinished());
        if (commands.isEmpty()) {
          lc.runs++;
          log.info("sandbox {} continues as new (run {})", lc.sandboxId, lc.runs);
          Workflow.continueAsNew(spec.carrying(lc));
        }
      } else if (lc.state == SandboxState.RUNNING) {
        stepRunning(now());
      } else {
        stepPaused(now());
      }
    }
    for (Command left = commands.poll(); left != null; left = commands.poll()) {
      settle(left);
    }
    Workflow.await(Workflow::isEveryHandlerFinished);
    return lc.toStatus();
  }

  // ---- the two waiting states -------------------------------------------------------------

  private void stepRunning(Instant now) {
    Instant lifetime = later(lc.lifetimeDeadline(), lc.e2bRetryAt);
    Instant idleAt = later(lc.pauseDeadline(), lc.e2bRetryAt);
    Instant backstopAt = later(backstopRefreshAt(), lc.e2bRetryAt);
    if (lifetime != null && !now.isBefore(lifetime)) {
      kill(Cause.LIFETIME);
    } else if (!now.isBefore(idleAt)) {
      // race-free: lastActivityAt already holds every signal delivered before this decision
      pause(Cause.IDLE);
    } else if (!now.isBefore(backstopAt)) {
      extendBackstop();
    } else {
      sleepUntil(Lifecycle.earliest(Lifecycle.earliest(idleAt, backstopAt), lifetime));
    }
  }

  private void stepPaused(Instant now) {
    Instant killAt = later(lc.killDeadline(), lc.e2bRetryAt);
    if (lc.resumeRequested) {
      resume(Cause.ACTIVITY);
    } else if (killAt != null && !now.isBefore(killAt)) {
      kill(lc.killCause());
    } else {
      sleepUntil(killAt);
    }
  }

  /** One timer at most, cancelled (not orphaned) when something wakes the loop first. */
  private void sleepUntil(Instant until) {
    int seen = wakeups;
    Supplier<Boolean> woken =
        () ->
            !commands.isEmpty()
                || wakeups != seen
                || (lc.state == SandboxState.PAUSED && lc.resumeRequested)
                || runIsFull();
    if (until == null) {
      Workflow.await(woken::get);
      return;
    }
    long millis = until.toEpochMilli() - Workflow.currentTimeMillis();
    if (millis <= 0) {
      return;
    }
    @SuppressWarnings("unchecked")
    Promise<Void>[] timer = new Promise[1];
    CancellationScope scope =
        Workflow.newCancellationScope(
            () -> {
              timer[0] = Workflow.newTimer(Duration.ofMillis(millis));
              timer[0].exceptionally(cancelled -> null); // a cancelled timer is expected, not an error
            });
    scope.run();
    Workflow.await(() -> timer[0].isCompleted() || woken.get());
    if (!timer[0].isCompleted()) {
      scope.cancel();
    }
  }

  private boolean runIsFull() {
    return Workflow.getInfo().isContinueAsNewSuggested()
        || Workflow.getInfo().getHistoryLength() >= spec.eventsPerRun();
  }

  // ---- transitions ------------------------------------------------------------------------

  private void pause(Cause cause) {
    lc.resumeFloor = cause == Cause.REQUEST ? now() : null;
    transition(SandboxState.PAUSING, cause);
    if (call("pause", () -> e2bPause.pause(lc.sandboxId)) && lc.state == SandboxState.PAUSING) {
      markPaused(cause);
    } else if (lc.state == SandboxState.PAUSING) {
      lc.resumeRequested = false;
      transition(SandboxState.RUNNING, Cause.ERROR);
    }
  }

  private void resume(Cause cause) {
    lc.resumeRequested = false;
    transition(SandboxState.RESUMING, cause);
    if (call("connect", () -> e2b.connect(lc.sandboxId, backstopSeconds()))
        && lc.state == SandboxState.RESUMING) {
      markRunning(cause);
    } else if (lc.state == SandboxState.RESUMING) {
      transition(SandboxState.PAUSED, Cause.ERROR);
    }
  }

  private void kill(Cause cause) {
    if (call("kill", () -> e2b.kill(lc.sandboxId)) && lc.state != SandboxState.KILLED) {
      transition(SandboxState.KILLED, cause);
    }
  }

  /** Keep E2B's own (auto-pausing) timeout ahead of the pause deadline: one call per extension. */
  private void extendBackstop() {
    call("setTimeout", () -> e2b.setTimeout(lc.sandboxId, backstopSeconds()));
  }

  private Instant backstopRefreshAt() {
    if (lc.e2bEndAt == null) {
      return now(); // unknown: learn it by setting it
    }
    return lc.e2bEndAt.minus(BACKSTOP_GRACE).minus(lc.policy.idleTimeout());
  }

  private long backstopSeconds() {
    return lc.policy.idleTimeout().plus(BACKSTOP_GRACE).plus(BACKSTOP_EXTENSION).toSeconds();
  }

  private void markPaused(Cause cause) {
    lc.pausedAt = now();
    lc.pauses++;
    lc.e2bEndAt = null;
    transition(SandboxState.PAUSED, cause);
  }

  private void markRunning(Cause cause) {
    Instant now = now();
    if (now.isAfter(lc.lastActivityAt)) {
      lc.lastActivityAt = now;
    }
    lc.resumes++;
    lc.resumeFloor = null;
    transition(SandboxState.RUNNING, cause);
  }

  private void transition(SandboxState to, Cause cause) {
    Instant now = now();
    lc.record(new Transition(lc.state, to, now, cause));
    log.info("sandbox {}: {} -> {} ({})", lc.sandboxId, lc.state, to, cause.wireName());
    lc.state = to;
    lc.stateSince = now;
    Workflow.upsertTypedSearchAttributes(Sandman.SA_STATE.valueSet(to.name()));
    Workflow.getMetricsScope()
        .tagged(Map.of("to", to.name(), "cause", cause.wireName()))
        .counter("sandman_transitions")
        .inc(1);
  }

  /**
   * Runs one E2B activity and reconciles the workflow's state from the answer. Returns whether the
   * call succeeded; a vanished sandbox moves to KILLED, any other failure is recorded and backs off.
   */
  private boolean call(String operation, Supplier<E2bView> activity) {
    lc.e2bCalls++;
    try {
      E2bView view = activity.get();
      lc.e2bSucceeded();
      reconcile(view);
      return true;
    } catch (ActivityFailure failure) {
      String type = failureType(failure);
      String message = failureMessage(failure);
      LastError error = new LastError(now(), operation, type, message);
      if (FailureType.SANDBOX_GONE.name().equals(type)) {
        lc.lastError = error;
        transition(SandboxState.KILLED, Cause.SANDBOX_GONE);
      } else {
        lc.e2bFailed(error, now());
        log.warn("sandbox {}: E2B {} failed ({}): {}", lc.sandboxId, operation, type, message);
      }
      return false;
    }
  }

  /** Bring the workflow in line with what E2B says, when E2B acted on its own (or someone else did). */
  private void reconcile(E2bView view) {
    if (view == null) {
      return;
    }
    if (view.endAt() != null) {
      lc.e2bEndAt = view.endAt();
    }
    if (view.isPaused() && lc.state == SandboxState.RUNNING) {
      lc.resumeFloor = null;
      markPaused(Cause.RECONCILE);
    } else if (view.isRunning() && lc.state == SandboxState.PAUSED) {
      markRunning(Cause.RECONCILE);
    }
  }

  // ---- requests (updates) -----------------------------------------------------------------

  private enum Kind {
    PAUSE(SandboxState.PAUSED),
    RESUME(SandboxState.RUNNING),
    KILL(SandboxState.KILLED);

    final SandboxState target;

    Kind(SandboxState target) {
      this.target = target;
    }
  }

  private record Command(int ticket, Kind kind) {}

  private record Outcome(SandboxStatus status, ApplicationFailure failure) {}

  private void carryOut(Command command) {
    switch (command.kind()) {
      case PAUSE -> {
        if (lc.state == SandboxState.RUNNING) {
          pause(Cause.REQUEST);
        }
      }
      case RESUME -> {
        if (lc.state == SandboxState.PAUSED) {
          resume(Cause.REQUEST);
        } else if (lc.state == SandboxState.RUNNING && now().isAfter(lc.lastActivityAt)) {
          lc.lastActivityAt = now(); // a resume request is activity
        }
      }
      case KILL -> kill(Cause.REQUEST);
    }
    settle(command);
  }

  private void settle(Command command) {
    if (lc.state == command.kind().target) {
      outcomes.put(command.ticket(), new Outcome(lc.toStatus(), null));
      return;
    }
    String message;
    String type;
    if (lc.state == SandboxState.KILLED) {
      type = FailureType.INVALID_STATE.name();
      message = "sandbox " + lc.sandboxId + " is killed";
      if (lc.lastError != null && FailureType.SANDBOX_GONE.name().equals(lc.lastError.type())) {
        type = FailureType.SANDBOX_GONE.name();
        message = "sandbox " + lc.sandboxId + " no longer exists in E2B";
      }
    } else if (lc.lastError != null) {
      type = lc.lastError.type();
      message = "E2B " + lc.lastError.operation() + " failed: " + lc.lastError.message();
    } else {
      type = FailureType.INVALID_STATE.name();
      message = "sandbox " + lc.sandboxId + " is " + lc.state;
    }
    outcomes.put(command.ticket(), new Outcome(null, ApplicationFailure.newNonRetryableFailure(message, type)));
  }

  private SandboxStatus submit(Kind kind) {
    int ticket = ++lastTicket;
    commands.add(new Command(ticket, kind));
    Workflow.await(() -> outcomes.containsKey(ticket));
    Outcome outcome = outcomes.remove(ticket);
    if (outcome.failure() != null) {
      throw outcome.failure();
    }
    return outcome.status();
  }

  @Override
  public SandboxStatus pause(ChangeRequest request) {
    return submit(Kind.PAUSE);
  }

  @Override
  public void validatePause(ChangeRequest request) {
    requireAlive();
  }

  @Override
  public SandboxStatus resume(ChangeRequest request) {
    return submit(Kind.RESUME);
  }

  @Override
  public void validateResume(ChangeRequest request) {
    requireAlive();
  }

  @Override
  public SandboxStatus kill(ChangeRequest request) {
    return submit(Kind.KILL);
  }

  @Override
  public void validateKill(ChangeRequest request) {
    requireAlive();
  }

  @Override
  public SandboxStatus setPolicy(PolicyPatch patch) {
    lc.policy = lc.policy.merge(patch);
    wakeups++;
    log.info("sandbox {}: policy now {}", lc.sandboxId, lc.policy);
    return lc.toStatus();
  }

  @Override
  public void validateSetPolicy(PolicyPatch patch) {
    requireAlive();
    if (patch == null) {
      throw new IllegalArgumentException("a policy patch is required");
    }
    List<Policy.FieldError> errors = lc.policy.merge(patch).validate();
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(errors.get(0).message());
    }
  }

  private void requireAlive() {
    if (lc.state == SandboxState.KILLED) {
      throw new IllegalStateException("sandbox " + lc.sandboxId + " is already killed");
    }
  }

  // ---- signal and query -------------------------------------------------------------------

  @Override
  public void activity(ActivitySignal signal) {
    Instant now = now();
    Instant at = signal == null || signal.at() == null || signal.at().isAfter(now) ? now : signal.at();
    lc.activitySignals++;
    switch (lc.state) {
      case RUNNING, RESUMING -> {
        if (at.isAfter(lc.lastActivityAt)) {
          lc.lastActivityAt = at;
        } else if (!at.plus(lc.policy.idleTimeout()).isAfter(now)) {
          lc.staleSignals++;
        }
      }
      case PAUSING, PAUSED -> {
        if (lc.wakesFromPause(at, now)) {
          lc.resumeRequested = true;
          if (at.isAfter(lc.lastActivityAt)) {
            lc.lastActivityAt = at;
          }
        } else {
          lc.staleSignals++;
        }
      }
      case KILLED -> lc.staleSignals++;
    }
  }

  @Override
  public SandboxStatus status() {
    return lc.toStatus();
  }

  // ---- helpers ----------------------------------------------------------------------------

  private static RetryOptions retry() {
    return RetryOptions.newBuilder()
        .setInitialInterval(Duration.ofSeconds(1))
        .setBackoffCoefficient(2)
        .setMaximumInterval(Duration.ofSeconds(30))
        .setDoNotRetry(DO_NOT_RETRY.toArray(String[]::new))
        .build();
  }

  private static String failureType(ActivityFailure failure) {
    if (failure.getCause() instanceof ApplicationFailure app) {
      return app.getType();
    }
    return FailureType.E2B_UNAVAILABLE.name(); // timed out, or the worker could not run it
  }

  private static String failureMessage(ActivityFailure failure) {
    Throwable cause = failure.getCause();
    if (cause instanceof ApplicationFailure app) {
      return app.getOriginalMessage();
    }
    if (cause instanceof TimeoutFailure timeout) {
      Throwable last = timeout.getCause();
      return "timed out (" + timeout.getTimeoutType() + ")"
          + (last instanceof ApplicationFailure app ? ", last error: " + app.getOriginalMessage() : "");
    }
    return cause != null ? cause.getMessage() : failure.getMessage();
  }

  private static Instant later(Instant a, Instant b) {
    if (a == null) {
      return null;
    }
    return b != null && b.isAfter(a) ? b : a;
  }

  private static String nullToEmpty(String value) {
    return value == null ? "" : value;
  }

  private static Instant now() {
    return Instant.ofEpochMilli(Workflow.currentTimeMillis());
  }
}
