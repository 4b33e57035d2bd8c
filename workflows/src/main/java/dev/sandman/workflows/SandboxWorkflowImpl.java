package dev.sandman.workflows;

import io.temporal.activity.ActivityOptions;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.workflow.Async;
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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
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
 * timer in flight recomputes the deadline when it fires. Anything that wakes the loop early (a
 * request, a policy change, a resume) leaves that timer pending and the loop reuses it while it fires
 * no later than the next deadline; a second timer is started only when a deadline moves earlier than
 * every pending one. No CancelTimer command is ever sent, so a timer that fires while its cancellation
 * is in flight cannot race (runs recorded before version "keep-timers" cancelled instead).
 */
public class SandboxWorkflowImpl implements SandboxWorkflow {
  /** E2B's own timeout stays at least this far past the pause deadline: the backstop's slack. */
  static final Duration BACKSTOP_GRACE = Duration.ofMinutes(2);
  /** Each backstop refresh buys this much beyond the need, so calls are rare. */
  static final Duration BACKSTOP_EXTENSION = Duration.ofMinutes(30);
  /** With version "economy": an hour at a time, refreshed at a wake-up the idle timer makes anyway. */
  static final Duration ECONOMY_BACKSTOP_EXTENSION = Duration.ofMinutes(60);

  private static final List<String> DO_NOT_RETRY =
      List.of(FailureType.SANDBOX_GONE.name(), FailureType.E2B_REJECTED.name());

  private final Logger log = Workflow.getLogger(SandboxWorkflowImpl.class);

  /**
   * E2B calls heartbeat every 2 s: a call whose worker died is retried elsewhere after this, not after
   * its start-to-close timeout (minutes). It stays above every retry wait (30 s backoff cap, 60 s
   * Retry-After cap): Temporal's Java test server times out an attempt that is waiting for its retry when
   * the old attempt's heartbeat timer fires first, and loses a time-skipping lock doing so.
   */
  static final Duration E2B_HEARTBEAT_TIMEOUT = Duration.ofSeconds(90);

  /** Quick calls: describe, connect, kill, set timeout. */
  private final SandboxActivities e2b =
      Workflow.newActivityStub(
          SandboxActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofMinutes(2))
              .setHeartbeatTimeout(E2B_HEARTBEAT_TIMEOUT)
              .setScheduleToCloseTimeout(Duration.ofMinutes(10))
              .setRetryOptions(retry())
              .build());

  /** A pause snapshots memory (about 4 s per GiB): a longer attempt, the same retry budget. */
  private final SandboxActivities e2bPause =
      Workflow.newActivityStub(
          SandboxActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofMinutes(6))
              .setHeartbeatTimeout(E2B_HEARTBEAT_TIMEOUT)
              .setScheduleToCloseTimeout(Duration.ofMinutes(15))
              .setRetryOptions(retry())
              .build());

  /** Worker configuration and project membership: local, quick, recorded in history. */
  private final OperatorActivities operatorActivities =
      Workflow.newLocalActivityStub(
          OperatorActivities.class,
          LocalActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofSeconds(10))
              .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(3).build())
              .build());

  /** Webhook deliveries: a few quick attempts; the outbox retries later with its own backoff. */
  private final EventActivities events =
      Workflow.newActivityStub(
          EventActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofSeconds(30))
              .setScheduleToCloseTimeout(Duration.ofMinutes(2))
              .setRetryOptions(RetryOptions.newBuilder()
                  .setInitialInterval(Duration.ofSeconds(1))
                  .setMaximumInterval(Duration.ofSeconds(20))
                  .setMaximumAttempts(4)
                  .build())
              .build());

  private static final int DELIVERIES_AT_ONCE = 8;
  /** How long a killed sandbox's workflow stays open to deliver its last events. */
  private static final Duration DRAIN_EVENTS_FOR = Duration.ofHours(24);

  private final SandboxSpec spec;
  private final Lifecycle lc;
  private final Deque<Command> commands = new ArrayDeque<>();
  private final Map<Integer, Outcome> outcomes = new HashMap<>();
  private int lastTicket;
  /** Bumped by handlers that move a deadline earlier, to wake the loop. */
  private int wakeups;
  /** Runs of this version read operator config, join their project, warn and emit events. */
  private boolean layered;
  /** Runs of this version keep pending timers for reuse instead of cancelling them. */
  private boolean keepTimers;
  /**
   * Runs of this version publish their status in the memo (reads cost no query), read the project's
   * layer instead of joining it, refresh the backstop without a timer of its own and upsert the state
   * search attribute only for the states a sandbox rests in.
   */
  private boolean economy;
  /** The status last written to the memo, without its usage (which moves with the clock). */
  private SandboxStatus published;
  /** A handler changed the status: the publisher writes it once all of this task's messages are handled. */
  private boolean publishWanted;
  /** Timers started by this run that have not fired yet, with the time each fires at. */
  private final List<PendingTimer> timers = new ArrayList<>();

  private record PendingTimer(Instant at, Promise<Void> fired) {}
  private final Set<String> deliveriesInFlight = new HashSet<>();
  private int outboxChanges;

  @WorkflowInit
  public SandboxWorkflowImpl(SandboxSpec spec) {
    this.spec = spec;
    this.lc = spec.carried() != null ? spec.carried() : Lifecycle.track(spec, now());
  }

  @Override
  public SandboxStatus run(SandboxSpec ignored) {
    boolean fresh = lc.transitions.isEmpty();
    economy = Workflow.getVersion("economy", Workflow.DEFAULT_VERSION, 1) >= 1;
    if (fresh) {
      lc.record(new Transition(null, SandboxState.RUNNING, lc.trackedAt, Cause.TRACK));
      if (!economy || !startedWithSearchAttributes()) { // set at start they cost nothing; an upsert is billed
        Workflow.upsertTypedSearchAttributes(
            Sandman.SA_STATE.valueSet(lc.state.name()),
            Sandman.SA_PROJECT_ID.valueSet(nullToEmpty(lc.projectId)),
            Sandman.SA_USER_ID.valueSet(nullToEmpty(lc.userId)),
            Sandman.SA_TEMPLATE.valueSet(nullToEmpty(lc.template)));
      }
      log.info("sandbox {} tracked (project {}, user {})", lc.sandboxId, lc.projectId, lc.userId);
    }
    // version gate: runs recorded before policy layers and events replay without these commands
    layered = Workflow.getVersion("operator-config", Workflow.DEFAULT_VERSION, 1) >= 1;
    keepTimers = Workflow.getVersion("keep-timers", Workflow.DEFAULT_VERSION, 1) >= 1;
    if (layered) {
      lc.operator = operatorActivities.operatorConfig();
      if (economy) { // every run reads the project's layer; nothing is sent to the project's workflow
        readProjectPolicy();
      }
      lc.resolvePolicy();
      if (fresh) {
        if (!economy) {
          joinProject();
        }
        emit(SandboxEvent.TRANSITION, null, Cause.TRACK, null); // recorded before events were known to be on
      }
    }
    publishStatus(); // in the first workflow task, so a track's answer needs no query
    if (economy) {
      Async.procedure(this::publishWhenWanted);
    }
    if (!lc.e2bChecked) {
      lc.e2bChecked = true;
      call("describe", () -> e2b.describe(lc.sandboxId));
    }
    while (lc.state != SandboxState.KILLED) {
      pumpOutbox();
      Command command = commands.poll();
      if (command != null) {
        carryOut(command);
      } else if (runIsFull()) {
        Workflow.await(() -> !commands.isEmpty() || Workflow.isEveryHandlerFinished());
        if (commands.isEmpty()) {
          lc.runs++;
          log.info("sandbox {} continues as new (run {})", lc.sandboxId, lc.runs);
          Workflow.continueAsNew(spec.carrying(lc)); // the next run publishes its status in its first task
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
    if (layered) {
      if (!economy) {
        leaveProject();
      }
      Instant giveUpAt = now().plus(DRAIN_EVENTS_FOR);
      while (!lc.outbox.isEmpty() && now().isBefore(giveUpAt)) {
        pumpOutbox();
        sleepUntil(giveUpAt);
      }
    }
    Workflow.await(Workflow::isEveryHandlerFinished);
    publishStatus();
    return lc.toStatus(now());
  }

  /**
   * One memo write per workflow task however many signals it holds, even while the loop waits on E2B;
   * none once the run is full: it is about to continue as new, and the next run publishes in its first task.
   */
  private void publishWhenWanted() {
    while (true) {
      Workflow.await(() -> publishWanted && !runIsFull());
      publishWanted = false;
      publishStatus();
    }
  }

  private boolean startedWithSearchAttributes() {
    io.temporal.common.SearchAttributes given = Workflow.getTypedSearchAttributes();
    return Sandman.SEARCH_ATTRIBUTES.stream().allMatch(given::containsKey);
  }

  /**
   * Writes the status to the memo when it changed: status reads then need no query (no billed Action).
   * Called where the status changes (transitions, handlers) and before the loop waits, so a change is
   * published in the workflow task that makes it, even while the loop waits on E2B.
   */
  private void publishStatus() {
    if (!economy) {
      return;
    }
    SandboxStatus status = lc.toStatus(now());
    SandboxStatus comparable = status.withUsage(null);
    if (!comparable.equals(published)) {
      Workflow.upsertMemo(Map.of(SandboxStatus.MEMO_KEY, status));
      published = comparable;
    }
  }

  // ---- project membership -----------------------------------------------------------------

  private void joinProject() {
    try {
      operatorActivities.joinProject(lc.projectId, lc.sandboxId);
    } catch (ActivityFailure e) {
      log.warn("sandbox {} could not join project {}: {}", lc.sandboxId, lc.projectId, e.getMessage());
    }
  }

  private void readProjectPolicy() {
    try {
      lc.projectPolicy = Policy.orNull(operatorActivities.projectPolicy(lc.projectId));
    } catch (ActivityFailure e) {
      log.warn("sandbox {} could not read project {}'s policy: {}", lc.sandboxId, lc.projectId, e.getMessage());
    }
  }

  private void leaveProject() {
    try {
      Workflow.newUntypedExternalWorkflowStub(Sandman.projectWorkflowId(lc.projectId)).signal(Sandman.SIGNAL_LEAVE, lc.sandboxId);
    } catch (RuntimeException e) {
      log.info("sandbox {}: project {} has no workflow to leave", lc.sandboxId, lc.projectId);
    }
  }

  // ---- events -----------------------------------------------------------------------------

  private void emit(String type, SandboxState from, Cause cause, Instant deadline) {
    if (!layered || lc.operator == null || !lc.operator.events()) {
      return;
    }
    SandboxEvent event = new SandboxEvent(Workflow.randomUUID().toString(), type, lc.sandboxId, lc.projectId,
        lc.userId, lc.state, now(), from, cause, deadline);
    lc.outbox.add(new Lifecycle.OutboxEntry(event, 0, now()));
    while (lc.outbox.size() > Lifecycle.OUTBOX_LIMIT) {
      Lifecycle.OutboxEntry dropped = lc.outbox.remove(0);
      deliveriesInFlight.remove(dropped.event().id());
      lc.eventsDropped++;
    }
    outboxChanges++;
  }

  /** Starts deliveries of due events without waiting for them: a dead endpoint never blocks the state machine. */
  private void pumpOutbox() {
    if (lc.outbox.isEmpty()) {
      return;
    }
    Instant now = now();
    for (Lifecycle.OutboxEntry entry : List.copyOf(lc.outbox)) {
      if (deliveriesInFlight.size() >= DELIVERIES_AT_ONCE) {
        return;
      }
      String id = entry.event().id();
      if (deliveriesInFlight.contains(id) || entry.nextAttemptAt().isAfter(now)) {
        continue;
      }
      deliveriesInFlight.add(id);
      Async.procedure(events::deliver, entry.event()).handle((ok, failure) -> {
        deliveriesInFlight.remove(id);
        int index = indexOf(id);
        if (index >= 0) {
          if (failure == null) {
            lc.outbox.remove(index);
            lc.eventsDelivered++;
          } else {
            Lifecycle.OutboxEntry failed = lc.outbox.get(index);
            int attempts = failed.attempts() + 1;
            long backoff = Math.min(30L << Math.min(attempts - 1, 6), Duration.ofMinutes(30).toSeconds());
            lc.outbox.set(index, new Lifecycle.OutboxEntry(failed.event(), attempts, now().plusSeconds(backoff)));
          }
        }
        outboxChanges++;
        return null;
      });
    }
  }

  private int indexOf(String eventId) {
    for (int i = 0; i < lc.outbox.size(); i++) {
      if (lc.outbox.get(i).event().id().equals(eventId)) {
        return i;
      }
    }
    return -1;
  }

  /** The earliest time a waiting (not in flight) event is due, or null. */
  private Instant nextDeliveryAt() {
    Instant next = null;
    for (Lifecycle.OutboxEntry entry : lc.outbox) {
      if (!deliveriesInFlight.contains(entry.event().id())) {
        next = Lifecycle.earliest(next, entry.nextAttemptAt());
      }
    }
    return next;
  }

  // ---- the two waiting states -------------------------------------------------------------

  private void stepRunning(Instant now) {
    lc.holds.removeIf(hold -> !hold.expiresAt().isAfter(now));
    Instant lifetime = later(lc.lifetimeDeadline(), lc.e2bRetryAt);
    Instant idleAt = later(lc.pauseDeadline(), lc.e2bRetryAt);
    Instant refreshAt = backstopRefreshAt();
    Instant backstopAt = later(refreshAt, lc.e2bRetryAt);
    Instant backstopEarliest = economy ? later(refreshAt.minus(backstopWindow()), lc.e2bRetryAt) : backstopAt;
    Instant warnAt = pendingWarning(lc.pauseWarningAt(), lc.pauseDeadline(), lc.warnedPauseDeadline);
    if (warnAt != null && !now.isBefore(warnAt) && now.isBefore(lc.pauseDeadline())) {
      lc.warnedPauseDeadline = lc.pauseDeadline();
      emit(SandboxEvent.PAUSE_WARNING, null, null, lc.pauseDeadline());
      return;
    }
    if (lifetime != null && !now.isBefore(lifetime)) {
      kill(Cause.LIFETIME);
    } else if (!now.isBefore(idleAt)) {
      // race-free: lastActivityAt already holds every signal delivered before this decision
      pause(Cause.IDLE);
    } else if (!now.isBefore(backstopEarliest)) {
      extendBackstop();
    } else {
      sleepUntil(Lifecycle.earliest(Lifecycle.earliest(Lifecycle.earliest(idleAt, backstopAt), lifetime), warnAt));
    }
  }

  /** A warning time that is still to be acted on: only with events on, once per deadline. */
  private Instant pendingWarning(Instant warningAt, Instant deadline, Instant warnedFor) {
    if (warningAt == null || lc.operator == null || !lc.operator.events() || deadline.equals(warnedFor)) {
      return null;
    }
    return warningAt;
  }

  private void stepPaused(Instant now) {
    Instant killAt = later(lc.killDeadline(), lc.e2bRetryAt);
    Instant warnAt = lc.killDeadline() == null ? null
        : pendingWarning(lc.killWarningAt(), lc.killDeadline(), lc.warnedKillDeadline);
    if (warnAt != null && !now.isBefore(warnAt) && now.isBefore(lc.killDeadline())) {
      lc.warnedKillDeadline = lc.killDeadline();
      emit(SandboxEvent.KILL_WARNING, null, lc.killCause(), lc.killDeadline());
      return;
    }
    if (lc.resumeRequested) {
      resume(Cause.ACTIVITY);
    } else if (killAt != null && !now.isBefore(killAt)) {
      kill(lc.killCause());
    } else {
      sleepUntil(Lifecycle.earliest(killAt, warnAt));
    }
  }

  /** Sleeps until {@code until} (or the next outbox retry), or until something wakes the loop. */
  private void sleepUntil(Instant until) {
    publishStatus();
    int seen = wakeups;
    int seenOutbox = outboxChanges;
    until = Lifecycle.earliest(until, nextDeliveryAt());
    Supplier<Boolean> woken =
        () ->
            !commands.isEmpty()
                || wakeups != seen
                || outboxChanges != seenOutbox
                || (lc.state == SandboxState.PAUSED && lc.resumeRequested)
                || runIsFull();
    if (!keepTimers) {
      sleepCancellingTimer(until, woken);
      return;
    }
    timers.removeIf(timer -> timer.fired().isCompleted());
    if (until != null && !until.isAfter(now())) {
      return;
    }
    PendingTimer next = timers.stream().min(Comparator.comparing(PendingTimer::at)).orElse(null);
    if (until != null && (next == null || next.at().isAfter(until))) {
      Promise<Void> fired = Workflow.newTimer(Duration.between(now(), until));
      next = new PendingTimer(until, fired.exceptionally(cancelled -> null)); // cancelled only with the workflow
      timers.add(next);
    }
    if (next == null) {
      Workflow.await(woken::get);
      return;
    }
    Promise<Void> wake = next.fired();
    Workflow.await(() -> wake.isCompleted() || woken.get());
  }

  /** How runs before version "keep-timers" slept: one timer, cancelled when the loop woke first. */
  private void sleepCancellingTimer(Instant until, Supplier<Boolean> woken) {
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
        || Workflow.getInfo().getHistoryLength() >= spec.eventsPerRun()
        || economy && Workflow.getInfo().getHistorySize() >= MAX_HISTORY_BYTES_PER_RUN;
  }

  /** Each published status is a few KB of history: a run that signals often ends by size before events. */
  private static final long MAX_HISTORY_BYTES_PER_RUN = 2L * 1024 * 1024;

  // ---- transitions ------------------------------------------------------------------------

  private void pause(Cause cause) {
    lc.resumeFloor = cause == Cause.REQUEST ? now() : null;
    if (cause == Cause.REQUEST) {
      lc.holds.clear(); // an explicit pause outranks keep-awake holds
    }
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
      lc.holds.clear();
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

  /**
   * Economy: the backstop is refreshed at any wake-up this close to its need. The idle timer wakes the
   * loop at least once per idle timeout while the user is active, so the refresh rarely needs a timer of
   * its own; at most half an extension, so a refresh always moves the next one into the future.
   */
  private Duration backstopWindow() {
    Duration half = ECONOMY_BACKSTOP_EXTENSION.dividedBy(2);
    return lc.policy.idleTimeout().compareTo(half) < 0 ? lc.policy.idleTimeout() : half;
  }

  private long backstopSeconds() {
    Duration extension = economy ? ECONOMY_BACKSTOP_EXTENSION : BACKSTOP_EXTENSION;
    return lc.policy.idleTimeout().plus(BACKSTOP_GRACE).plus(extension).toSeconds();
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
    SandboxState from = lc.state;
    long runningBefore = lc.runningMillis;
    long pausedBefore = lc.pausedMillis;
    lc.accrue(now);
    lc.record(new Transition(from, to, now, cause));
    log.info("sandbox {}: {} -> {} ({})", lc.sandboxId, from, to, cause.wireName());
    lc.state = to;
    lc.stateSince = now;
    Workflow.getMetricsScope().counter("sandman_sandbox_running_seconds").inc((lc.runningMillis - runningBefore) / 1000);
    Workflow.getMetricsScope().counter("sandman_sandbox_paused_seconds").inc((lc.pausedMillis - pausedBefore) / 1000);
    emit(SandboxEvent.TRANSITION, from, cause, null);
    if (!economy || !(to == SandboxState.PAUSING || to == SandboxState.RESUMING)) {
      // economy: the attribute holds the state a sandbox rests in; the memo has PAUSING and RESUMING
      Workflow.upsertTypedSearchAttributes(Sandman.SA_STATE.valueSet(to.name()));
    }
    Workflow.getMetricsScope()
        .tagged(Map.of("to", to.name(), "cause", cause.wireName()))
        .counter("sandman_transitions")
        .inc(1);
    publishStatus(); // readers see a transition in the workflow task that makes it
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
      outcomes.put(command.ticket(), new Outcome(lc.toStatus(now()), null));
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
    validateReason(request);
  }

  @Override
  public SandboxStatus resume(ChangeRequest request) {
    return submit(Kind.RESUME);
  }

  @Override
  public void validateResume(ChangeRequest request) {
    requireAlive();
    validateReason(request);
  }

  @Override
  public SandboxStatus kill(ChangeRequest request) {
    return submit(Kind.KILL);
  }

  @Override
  public void validateKill(ChangeRequest request) {
    requireAlive();
    validateReason(request);
  }

  @Override
  public SandboxStatus setPolicy(PolicyPatch patch) {
    if (lc.operator != null) {
      Policy layer = lc.sandboxPolicy == null ? new Policy(null, null, null, null) : lc.sandboxPolicy;
      lc.sandboxPolicy = layer.merge(patch);
      lc.resolvePolicy();
    } else {
      lc.policy = lc.policy.merge(patch);
    }
    wakeups++;
    log.info("sandbox {}: policy now {}", lc.sandboxId, lc.policy);
    publishWanted = true;
    return lc.toStatus(now());
  }

  @Override
  public void validateSetPolicy(PolicyPatch patch) {
    requireAlive();
    if (patch == null || (patch.idleTimeout() == null && patch.pausedRetention() == null && patch.maxLifetime() == null
        && patch.maxHold() == null && !Boolean.TRUE.equals(patch.clearMaxLifetime()))) {
      throw new IllegalArgumentException("a policy change needs at least one field");
    }
    List<Policy.FieldError> errors = lc.policy.merge(patch).validate();
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(errors.get(0).message());
    }
    OperatorConfig operator = lc.operator;
    if (operator != null) {
      if (patch.idleTimeout() != null && (patch.idleTimeout().compareTo(operator.minIdleTimeout()) < 0
          || patch.idleTimeout().compareTo(operator.maxIdleTimeout()) > 0)) {
        throw new IllegalArgumentException("idleTimeout must be between " + operator.minIdleTimeout()
            + " and " + operator.maxIdleTimeout() + " (operator limits), got " + patch.idleTimeout());
      }
      if (patch.pausedRetention() != null && patch.pausedRetention().compareTo(operator.maxPausedRetention()) > 0) {
        throw new IllegalArgumentException("pausedRetention must be at most " + operator.maxPausedRetention()
            + " (operator limit), got " + patch.pausedRetention());
      }
      if (patch.maxHold() != null && patch.maxHold().compareTo(operator.maxHold()) > 0) {
        throw new IllegalArgumentException("maxHold must be at most " + operator.maxHold() + " (operator limit), got " + patch.maxHold());
      }
    }
  }

  @Override
  public void projectPolicy(Policy layer) {
    lc.projectPolicy = Policy.orNull(layer);
    lc.resolvePolicy();
    wakeups++;
    log.info("sandbox {}: project policy {}, effective {}", lc.sandboxId, lc.projectPolicy, lc.policy);
    publishWanted = true;
  }

  @Override
  public Hold hold(HoldRequest request) {
    Instant now = now();
    Duration ttl = request.ttl().compareTo(lc.policy.holdCap()) > 0 ? lc.policy.holdCap() : request.ttl();
    Hold hold = new Hold(Workflow.randomUUID().toString(), request.reason(), now, now.plus(ttl));
    lc.holds.add(hold);
    if (lc.state == SandboxState.PAUSED || lc.state == SandboxState.PAUSING) {
      lc.resumeRequested = true; // held awake means awake
    }
    wakeups++;
    log.info("sandbox {}: hold {} until {} ({})", lc.sandboxId, hold.holdId(), hold.expiresAt(), request.reason());
    publishWanted = true;
    return hold;
  }

  @Override
  public void validateHold(HoldRequest request) {
    requireAlive();
    if (request == null || request.ttl() == null || request.ttl().isNegative() || request.ttl().isZero()) {
      throw new IllegalArgumentException("ttl must be a positive duration");
    }
    if (request.ttl().compareTo(Policy.MAX_HOLD) > 0) {
      throw new IllegalArgumentException("ttl must be at most " + Policy.MAX_HOLD);
    }
    if (request.reason() != null && request.reason().length() > 500) {
      throw new IllegalArgumentException("reason must be at most 500 characters");
    }
    if (lc.activeHolds(now()).size() >= Lifecycle.HOLDS_LIMIT) {
      throw new IllegalStateException("sandbox " + lc.sandboxId + " already has " + Lifecycle.HOLDS_LIMIT + " holds");
    }
  }

  @Override
  public SandboxStatus release(String holdId) {
    lc.holds.removeIf(hold -> hold.holdId().equals(holdId));
    wakeups++;
    publishWanted = true;
    return lc.toStatus(now());
  }

  @Override
  public void validateRelease(String holdId) {
    if (lc.holds.stream().noneMatch(hold -> hold.holdId().equals(holdId) && hold.expiresAt().isAfter(now()))) {
      throw new IllegalArgumentException("no active hold " + holdId);
    }
  }

  private static void validateReason(ChangeRequest request) {
    if (request != null && request.reason() != null && request.reason().length() > 500) {
      throw new IllegalArgumentException("reason must be at most 500 characters");
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
    publishWanted = true; // readers see the new deadline even while the loop waits on E2B
  }

  @Override
  public SandboxStatus status() {
    return lc.toStatus(now());
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
