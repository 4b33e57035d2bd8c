package dev.sandman.workflows;

import io.temporal.workflow.Async;
import io.temporal.workflow.ExternalWorkflowStub;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;

/**
 * A project's policy layer, published in this workflow's memo: sandboxes read it when each run starts
 * (no billed Action, nothing sent here on track), and a change is pushed by one activity that finds the
 * project's open sandboxes through visibility and signals each. Runs without the economy version keep a
 * member list (joined by signal) and signal the members themselves.
 */
public class ProjectWorkflowImpl implements ProjectWorkflow {

  private static final int EVENTS_PER_RUN = 3000;
  private static final int PUSHES_AT_ONCE = 50;
  private final Logger log = Workflow.getLogger(ProjectWorkflowImpl.class);

  private ProjectState state;

  @io.temporal.workflow.WorkflowInit
  public ProjectWorkflowImpl(ProjectState initial) {
    state = new ProjectState(initial.projectId(), initial.policy(),
        initial.members() == null ? new TreeSet<>() : new TreeSet<>(initial.members()));
  }
  /** Sandboxes that still have to receive the current layer. */
  private final Set<String> toPush = new LinkedHashSet<>();
  private int pushRound;
  private int pushedRound;
  private int lastFailures;
  private boolean economy;
  /** Set once run() knows its version: an update in the first task waits for it. */
  private boolean started;
  private int lastMembers;

  /** One push may reach many sandboxes: a long attempt that heartbeats, retried until done. */
  private final OperatorActivities pushes = Workflow.newActivityStub(OperatorActivities.class,
      io.temporal.activity.ActivityOptions.newBuilder()
          .setStartToCloseTimeout(java.time.Duration.ofHours(1))
          .setHeartbeatTimeout(java.time.Duration.ofMinutes(2))
          .setRetryOptions(io.temporal.common.RetryOptions.newBuilder()
              .setInitialInterval(java.time.Duration.ofSeconds(5))
              .setMaximumInterval(java.time.Duration.ofMinutes(5))
              .build())
          .build());

  @Override
  public void run(ProjectState initial) {
    economy = Workflow.getVersion("economy", Workflow.DEFAULT_VERSION, 1) >= 1;
    started = true;
    if (economy) {
      runWithoutMembers();
      return;
    }
    while (true) {
      Workflow.await(() -> !toPush.isEmpty() || Workflow.getInfo().getHistoryLength() > EVENTS_PER_RUN
          || Workflow.getInfo().isContinueAsNewSuggested());
      if (!toPush.isEmpty()) {
        push();
        continue;
      }
      Workflow.await(() -> !toPush.isEmpty() || Workflow.isEveryHandlerFinished());
      if (toPush.isEmpty()) {
        Workflow.continueAsNew(state);
      }
    }
  }

  private void runWithoutMembers() {
    toPush.clear();
    publish();
    while (true) {
      Workflow.await(() -> pushedRound < pushRound || Workflow.getInfo().getHistoryLength() > EVENTS_PER_RUN
          || Workflow.getInfo().isContinueAsNewSuggested());
      if (pushedRound < pushRound) {
        int round = pushRound;
        ProjectPush push = pushes.pushProjectPolicy(state.projectId(), state.policy());
        lastMembers = push.members();
        lastFailures = push.failures();
        pushedRound = round;
        publish();
        continue;
      }
      Workflow.await(() -> pushedRound < pushRound || Workflow.isEveryHandlerFinished());
      if (pushedRound >= pushRound) {
        Workflow.continueAsNew(new ProjectState(state.projectId(), state.policy(), new TreeSet<>()));
      }
    }
  }

  private void publish() {
    Workflow.upsertMemo(java.util.Map.of(ProjectStatus.MEMO_KEY, status()));
  }

  /** Sends the layer to every waiting member, a batch at a time; members that are gone leave. */
  private void push() {
    int failures = 0;
    while (!toPush.isEmpty()) {
      List<String> batch = new ArrayList<>();
      for (String id : toPush) {
        batch.add(id);
        if (batch.size() == PUSHES_AT_ONCE) {
          break;
        }
      }
      batch.forEach(toPush::remove);
      Policy layer = state.policy() == null ? new Policy(null, null, null, null) : state.policy();
      List<Promise<Void>> sent = new ArrayList<>();
      for (String sandboxId : batch) {
        ExternalWorkflowStub sandbox = Workflow.newUntypedExternalWorkflowStub(Sandman.workflowId(sandboxId));
        sent.add(Async.procedure(() -> sandbox.signal(Sandman.SIGNAL_PROJECT_POLICY, layer)));
      }
      for (int i = 0; i < sent.size(); i++) {
        try {
          sent.get(i).get();
        } catch (RuntimeException gone) {
          failures++;
          state.members().remove(batch.get(i));
        }
      }
    }
    lastFailures = failures;
    pushedRound = pushRound; // every member now has the latest layer (a change mid-push re-queued them all)
  }

  @Override
  public void join(String sandboxId) {
    if (economy) {
      return; // a sandbox of an earlier version joining: it will be found through visibility
    }
    if (state.members().add(sandboxId) && state.policy() != null) {
      toPush.add(sandboxId);
    }
  }

  @Override
  public void leave(String sandboxId) {
    if (economy) {
      return;
    }
    state.members().remove(sandboxId);
    toPush.remove(sandboxId);
  }

  @Override
  public ProjectStatus setPolicy(Policy layer) {
    Workflow.await(() -> started); // the client starts the workflow and updates it at once
    Policy cleared = Policy.orNull(layer);
    state = new ProjectState(state.projectId(), cleared, state.members());
    int round = ++pushRound;
    if (economy) {
      publish(); // sandboxes tracked from now on read the new layer
    } else {
      toPush.addAll(state.members());
      if (toPush.isEmpty()) {
        pushedRound = round;
      }
    }
    log.info("project {}: policy now {}, pushing to {} sandboxes", state.projectId(), cleared, state.members().size());
    Workflow.await(() -> pushedRound >= round);
    return status();
  }

  @Override
  public void validateSetPolicy(Policy layer) {
    Rejection.admit(() -> Limits.layer(layer));
  }

  @Override
  public ProjectStatus status() {
    return new ProjectStatus(state.projectId(), state.policy(), economy ? lastMembers : state.members().size(), lastFailures);
  }
}
