package dev.sandman.workflows;

import io.temporal.activity.LocalActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInit;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;

/**
 * One sandbox's workflow: the Temporal side of {@link SandboxMachine}. The loop asks the machine for
 * the next step and carries it out (an E2B call, a warning, a sleep); requests from updates are queued
 * and carried out by the loop one at a time, so nothing races. Signals never wake the loop: activity
 * only moves the idle deadline, which the pending timer rechecks when it fires.
 */
public class SandboxWorkflowImpl implements SandboxWorkflow {
  /** How long a killed sandbox's workflow stays open to deliver its last events. */
  private static final Duration DRAIN_EVENTS_FOR = Duration.ofHours(24);
  /** Each published status is a few KB of history: a run that signals often ends by size before events. */
  private static final long MAX_HISTORY_BYTES_PER_RUN = 2L * 1024 * 1024;

  private final Logger log = Workflow.getLogger(SandboxWorkflowImpl.class);
  /** Worker configuration and the project's layer: local, quick, recorded in history. */
  private final OperatorActivities operator = Workflow.newLocalActivityStub(OperatorActivities.class,
      LocalActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(10))
          .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(3).build())
          .build());
  private final E2bCalls e2b = new E2bCalls();
  private final PrePauseHook prePause = new PrePauseHook();

  private final SandboxSpec spec;
  private final Lifecycle lc;
  private final SandboxMachine machine;
  private final Admission admission;
  private final EventOutbox outbox;
  private final StatusPublisher publisher;
  private Sleeper sleeper;

  private record Queued(int ticket, Request request, String reason) {}

  private final Deque<Queued> queue = new ArrayDeque<>();
  private final Map<Integer, Request.Answer> answers = new HashMap<>();
  private int lastTicket;
  /** Bumped by whatever should wake a sleeping loop: requests, policy changes, holds, events, a wake from pause. */
  private int wakeups;
  /** Version "economy": status in the memo, the project's layer read per run, the state attribute only at rest. */
  private boolean economy;

  @WorkflowInit
  public SandboxWorkflowImpl(SandboxSpec spec) {
    this.spec = spec;
    this.lc = spec.carried() != null ? spec.carried() : Lifecycle.track(spec, now());
    this.machine = new SandboxMachine(lc, this::moved);
    this.admission = new Admission(lc);
    this.outbox = new EventOutbox(lc, this::wake);
    this.publisher = new StatusPublisher(() -> lc.toStatus(now()));
  }

  @Override
  public SandboxStatus run(SandboxSpec ignored) {
    boolean fresh = machine.isFresh();
    economy = Workflow.getVersion("economy", Workflow.DEFAULT_VERSION, 1) >= 1;
    machine.use(economy ? Backstop.RIDING : Backstop.FIXED);
    if (fresh) {
      machine.tracked();
      if (!economy || !startedWithSearchAttributes()) { // set at start they cost nothing; an upsert is billed
        Workflow.upsertTypedSearchAttributes(Sandman.SA_STATE.valueSet(lc.state.name()),
            Sandman.SA_PROJECT_ID.valueSet(nullToEmpty(lc.projectId)), Sandman.SA_USER_ID.valueSet(nullToEmpty(lc.userId)),
            Sandman.SA_TEMPLATE.valueSet(nullToEmpty(lc.template)));
      }
      log.info("sandbox {} tracked (project {}, user {})", lc.sandboxId, lc.projectId, lc.userId);
    }
    boolean layered = Workflow.getVersion("operator-config", Workflow.DEFAULT_VERSION, 1) >= 1;
    machine.watchWork(Workflow.getVersion("work-aware", Workflow.DEFAULT_VERSION, 1) >= 1);
    sleeper = new Sleeper(Workflow.getVersion("keep-timers", Workflow.DEFAULT_VERSION, 1) >= 1);
    outbox.turnOn(layered);
    if (layered) {
      machine.configure(operator.operatorConfig());
      if (economy) {
        readProjectLayer();
      }
      if (fresh) {
        if (!economy) {
          joinProject();
        }
        outbox.emit(SandboxEvent.TRANSITION, null, Cause.TRACK, null);
      }
    }
    if (economy) {
      publisher.start(this::runIsFull);
    }
    Step look = machine.firstLook();
    if (look != null) {
      carryOut(look);
    }
    while (!machine.isKilled()) {
      outbox.pump();
      Queued queued = queue.poll();
      if (queued != null) {
        carryOut(machine.request(queued.request(), queued.reason(), now()));
        answer(queued);
      } else if (runIsFull()) {
        Workflow.await(() -> !queue.isEmpty() || Workflow.isEveryHandlerFinished());
        if (queue.isEmpty()) {
          log.info("sandbox {} continues as new (run {})", lc.sandboxId, lc.runs + 1);
          Workflow.continueAsNew(spec.carrying(machine.continuing())); // the next run publishes in its first task
        }
      } else {
        carryOut(machine.next(now()));
      }
    }
    for (Queued left = queue.poll(); left != null; left = queue.poll()) {
      answer(left);
    }
    if (layered) {
      if (!economy) {
        leaveProject();
      }
      Instant giveUpAt = now().plus(DRAIN_EVENTS_FOR);
      while (!outbox.isEmpty() && now().isBefore(giveUpAt)) {
        outbox.pump();
        sleepUntil(giveUpAt);
      }
    }
    Workflow.await(Workflow::isEveryHandlerFinished);
    publisher.publish();
    return lc.toStatus(now());
  }

  /** How long after its idle deadline a sandbox's pause was asked of E2B (dashboards, alerts). */
  static final String PAUSE_LATENESS = "sandman_pause_lateness";

  private void carryOut(Step step) {
    switch (step.kind()) {
      case SLEEP -> sleepUntil(step.at());
      case WARN -> {
        machine.warned(step);
        outbox.emit(step.event(), null, step.cause(), step.at());
      }
      case NOTHING -> { }
      case CHECK_CPU -> machine.cpuRead(e2b.cpu(lc.sandboxId, machine.cpuWindowSeconds()), now());
      case ASK_BEFORE_PAUSE -> carryOut(machine.prePauseAnswered(step, prePause.ask(pausingEvent(step)), now()));
      default -> {
        if (step.kind() == Step.Kind.PAUSE && step.cause() == Cause.IDLE && lc.pauseDeadline() != null) {
          // not history: the SDK's metrics scope stays silent on replay
          Workflow.getMetricsScope().timer(PAUSE_LATENESS).record(
              com.uber.m3.util.Duration.ofMillis(Math.max(0, Duration.between(lc.pauseDeadline(), now()).toMillis())));
        }
        machine.calling(step, now());
        E2bCalls.Answer answer = e2b.call(step, lc.sandboxId, machine.backstopSeconds());
        if (answer.error() != null && !FailureType.SANDBOX_GONE.name().equals(answer.error().type())) {
          log.warn("sandbox {}: E2B {} failed ({}): {}", lc.sandboxId, answer.error().operation(),
              answer.error().type(), answer.error().message());
        }
        machine.answered(step, answer.view(), answer.error(), now());
      }
    }
  }

  private SandboxEvent pausingEvent(Step step) {
    Instant now = now();
    return new SandboxEvent(Workflow.randomUUID().toString(), SandboxEvent.PAUSING, lc.sandboxId, lc.projectId, lc.userId,
        lc.state, now, null, step.cause(), now.plus(machine.prePauseWait()));
  }

  /** Sleeps until {@code until} (or the next event delivery), or until something wakes the loop. */
  private void sleepUntil(Instant until) {
    publisher.publish();
    int seen = wakeups;
    sleeper.sleepUntil(Lifecycle.earliest(until, outbox.nextDeliveryAt()), () -> wakeups != seen || runIsFull());
  }

  private void wake() {
    wakeups++;
  }

  /** Everything a state change means outside the machine: the log, metrics, an event, search and memo. */
  private void moved(SandboxMachine.Move move) {
    Transition t = move.transition();
    log.info("sandbox {}: {} -> {} ({})", lc.sandboxId, t.from(), t.to(), t.cause().wireName());
    Workflow.getMetricsScope().counter("sandman_sandbox_running_seconds").inc(move.runningMillis() / 1000);
    Workflow.getMetricsScope().counter("sandman_sandbox_paused_seconds").inc(move.pausedMillis() / 1000);
    if (t.from() == t.to()) { // a pause put off: no state changed, nothing to index
      outbox.emit(SandboxEvent.PAUSE_DEFERRED, t.from(), t.cause(), lc.pauseDeadline());
      publisher.publish();
      return;
    }
    outbox.emit(SandboxEvent.TRANSITION, t.from(), t.cause(), null);
    if (!economy || t.to().isStable()) { // the attribute holds where a sandbox rests; the memo has the rest
      Workflow.upsertTypedSearchAttributes(Sandman.SA_STATE.valueSet(t.to().name()));
    }
    Workflow.getMetricsScope().tagged(Map.of("to", t.to().name(), "cause", t.cause().wireName()))
        .counter("sandman_transitions").inc(1);
    publisher.publish(); // readers see a transition in the workflow task that makes it
  }

  private boolean runIsFull() {
    return Workflow.getInfo().isContinueAsNewSuggested()
        || Workflow.getInfo().getHistoryLength() >= spec.eventsPerRun()
        || economy && Workflow.getInfo().getHistorySize() >= MAX_HISTORY_BYTES_PER_RUN;
  }

  private boolean startedWithSearchAttributes() {
    io.temporal.common.SearchAttributes given = Workflow.getTypedSearchAttributes();
    return Sandman.SEARCH_ATTRIBUTES.stream().allMatch(given::containsKey);
  }

  // ---- the project's layer ----------------------------------------------------------------

  private void readProjectLayer() {
    try {
      machine.projectLayer(operator.projectPolicy(lc.projectId));
    } catch (ActivityFailure e) {
      log.warn("sandbox {} could not read project {}'s policy: {}", lc.sandboxId, lc.projectId, e.getMessage());
    }
  }

  /** Runs without the economy version join their project's workflow, which pushes its layer to members. */
  private void joinProject() {
    try {
      operator.joinProject(lc.projectId, lc.sandboxId);
    } catch (ActivityFailure e) {
      log.warn("sandbox {} could not join project {}: {}", lc.sandboxId, lc.projectId, e.getMessage());
    }
  }

  private void leaveProject() {
    try {
      Workflow.newUntypedExternalWorkflowStub(Sandman.projectWorkflowId(lc.projectId)).signal(Sandman.SIGNAL_LEAVE, lc.sandboxId);
    } catch (RuntimeException e) {
      log.info("sandbox {}: project {} has no workflow to leave", lc.sandboxId, lc.projectId);
    }
  }

  // ---- updates ----------------------------------------------------------------------------

  private SandboxStatus submit(Request request, ChangeRequest change) {
    int ticket = ++lastTicket;
    queue.add(new Queued(ticket, request, change == null ? null : change.reason()));
    wake();
    Workflow.await(() -> answers.containsKey(ticket));
    Request.Answer answer = answers.remove(ticket);
    if (answer.failureType() != null) {
      throw ApplicationFailure.newNonRetryableFailure(answer.message(), answer.failureType());
    }
    return answer.status();
  }

  private void answer(Queued queued) {
    answers.put(queued.ticket(), machine.answer(queued.request(), now()));
  }

  /** A handler changed something the loop or readers care about. */
  private <T> T changed(T result) {
    wake();
    publisher.want();
    return result;
  }

  @Override
  public SandboxStatus pause(ChangeRequest request) {
    return submit(Request.PAUSE, request);
  }

  @Override
  public SandboxStatus resume(ChangeRequest request) {
    return submit(Request.RESUME, request);
  }

  @Override
  public SandboxStatus kill(ChangeRequest request) {
    return submit(Request.KILL, request);
  }

  @Override
  public SandboxStatus setPolicy(PolicyPatch patch) {
    machine.setPolicy(patch);
    log.info("sandbox {}: policy now {}", lc.sandboxId, lc.policy);
    return changed(lc.toStatus(now()));
  }

  @Override
  public void projectPolicy(Policy layer) {
    machine.projectLayer(layer);
    log.info("sandbox {}: project policy {}, effective {}", lc.sandboxId, lc.projectPolicy, lc.policy);
    changed(layer);
  }

  @Override
  public Hold hold(HoldRequest request) {
    Hold hold = machine.hold(Workflow.randomUUID().toString(), request, now());
    log.info("sandbox {}: hold {} until {} ({})", lc.sandboxId, hold.holdId(), hold.expiresAt(), request.reason());
    return changed(hold);
  }

  @Override
  public SandboxStatus release(String holdId) {
    machine.release(holdId);
    return changed(lc.toStatus(now()));
  }

  @Override
  public void activity(ActivitySignal signal) {
    if (machine.activity(signal == null ? null : signal.at(), now())) {
      wake();
    }
    publisher.want(); // readers see the new deadline even while the loop waits on E2B
  }

  /**
   * No version gate: the signal is new, so no recorded history holds one, and without it the machine's
   * steps are those of before.
   */
  @Override
  public void e2bNotice(E2bNotice notice) {
    if (notice != null && machine.noticed(notice.eventId())) {
      wake();
    }
  }

  @Override
  public SandboxStatus status() {
    return lc.toStatus(now());
  }

  // ---- validators: refusals are typed failures naming their field -------------------------

  @Override
  public void validatePause(ChangeRequest request) {
    Rejection.admit(() -> admission.checkChange(request));
  }

  @Override
  public void validateResume(ChangeRequest request) {
    Rejection.admit(() -> admission.checkChange(request));
  }

  @Override
  public void validateKill(ChangeRequest request) {
    Rejection.admit(() -> admission.checkChange(request));
  }

  @Override
  public void validateSetPolicy(PolicyPatch patch) {
    Rejection.admit(() -> admission.checkPolicy(patch));
  }

  @Override
  public void validateHold(HoldRequest request) {
    Rejection.admit(() -> admission.checkHold(request, now()));
  }

  @Override
  public void validateRelease(String holdId) {
    Rejection.admit(() -> admission.checkRelease(holdId, now()));
  }

  private static String nullToEmpty(String value) {
    return value == null ? "" : value;
  }

  private static Instant now() {
    return Instant.ofEpochMilli(Workflow.currentTimeMillis());
  }
}
