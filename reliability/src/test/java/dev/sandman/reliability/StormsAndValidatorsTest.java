package dev.sandman.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandman.reliability.Matrix.Outcome;
import dev.sandman.worker.SandmanTestEnv;
import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.HoldRequest;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.PolicyPatch;
import dev.sandman.workflows.SandboxSpec;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandboxWorkflow;
import io.temporal.api.enums.v1.EventType;
import io.temporal.client.WorkflowUpdateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Signal storms far past one run's limits, many sandboxes at once, and update validators. */
class StormsAndValidatorsTest {
  private SandmanTestEnv t;

  @BeforeEach
  void start() {
    t = new SandmanTestEnv();
  }

  @AfterEach
  void stop() {
    t.close();
  }

  @Test
  void twentyThousandSignalsToOneSandbox() {
    Matrix.check("Storms", "20,000 activity signals to one sandbox, in bursts", "signal storm (twice the server's 10,000 per run)",
        "every signal counted; continue-as-new keeps each run far under 10,000 signals and 10,240 events", () -> {
      String id = t.newSandbox();
      SandboxWorkflow workflow = t.track(SandboxSpec.of(id, "p1", "u1", Policy.defaults()));
      int signals = 20_000;
      ExecutorService senders = Executors.newFixedThreadPool(8);
      try {
        for (int burst = 0; burst < 20; burst++) {
          List<CompletableFuture<Void>> sent = new ArrayList<>();
          for (int i = 0; i < 1000; i++) {
            sent.add(CompletableFuture.runAsync(() -> t.signalActivity(workflow), senders));
          }
          sent.forEach(CompletableFuture::join);
          t.sleep(Duration.ofSeconds(2)); // the gap between bursts lets a full run continue as new
        }
      } finally {
        senders.shutdown();
      }
      t.sleep(Duration.ofSeconds(1));
      SandboxStatus status = t.status(id);
      assertThat(status.counters().activitySignals()).isEqualTo(signals);
      assertThat(status.counters().runs()).isGreaterThan(2);
      long lastRunEvents = t.history(id).getEvents().size();
      assertThat(lastRunEvents).isLessThan(10_240);
      assertThat(status.state()).isEqualTo(SandboxState.RUNNING);
      return new Outcome(status.counters().activitySignals() + " of " + signals + " counted over " + status.counters().runs()
          + " runs; current run " + lastRunEvents + " events", 1, signals, signals - (int) status.counters().activitySignals());
    });
  }

  @Test
  void aThousandSandboxesTouchedAtOnce() {
    Matrix.check("Storms", "1,000 sandboxes tracked, then all touched at once", "1,000 concurrent signals to 1,000 workflows",
        "every sandbox counts its signal; idle ones pause once each afterwards", () -> {
      int sandboxes = 1000;
      List<String> ids = t.trackNew(sandboxes, Policy.defaults());
      ExecutorService senders = Executors.newFixedThreadPool(16);
      try {
        ids.stream().map(t::workflow).map(w -> CompletableFuture.runAsync(() -> w.activity(ActivitySignal.now()), senders)).toList()
            .forEach(CompletableFuture::join);
      } finally {
        senders.shutdown();
      }
      t.sleep(Duration.ofMinutes(11));
      int lost = 0;
      int paused = 0;
      for (String id : ids) {
        SandboxStatus status = t.status(id);
        if (status.counters().activitySignals() != 1) {
          lost++;
        }
        if (status.state() == SandboxState.PAUSED && t.sim.count("pause", id) == 1) {
          paused++;
        }
      }
      assertThat(paused).isEqualTo(sandboxes);
      return new Outcome(sandboxes - lost + " of " + sandboxes + " signals counted; " + paused + " paused once each", sandboxes, sandboxes, lost);
    });
  }

  @Test
  void updateValidatorsRejectImpossibleRequestsWithoutTouchingHistory() {
    Matrix.check("Bad input", "update validators: impossible requests to the workflow itself", "negative and absurd durations, kill of a killed sandbox, unknown hold",
        "each rejected before it reaches history; state unchanged", () -> {
      String id = t.newSandbox();
      SandboxWorkflow workflow = t.track(id, Policy.defaults());
      t.sleep(Duration.ofSeconds(1));
      long before = t.history(id).getEvents().size();
      List<Consumer<SandboxWorkflow>> bad = List.of(
          w -> w.setPolicy(PolicyPatch.idleTimeout(Duration.ofMinutes(-5))),
          w -> w.setPolicy(PolicyPatch.idleTimeout(Duration.ZERO)),
          w -> w.setPolicy(PolicyPatch.idleTimeout(Duration.ofDays(100_000))),
          w -> w.setPolicy(new PolicyPatch(null, null, null, null)),
          w -> w.hold(new HoldRequest("x", Duration.ofSeconds(-1))),
          w -> w.hold(new HoldRequest("y".repeat(600), Duration.ofMinutes(5))),
          w -> w.release("no-such-hold"),
          w -> w.pause(new ChangeRequest("z".repeat(600))));
      for (int i = 0; i < bad.size(); i++) {
        Consumer<SandboxWorkflow> request = bad.get(i);
        assertThatThrownBy(() -> request.accept(workflow)).as("bad request #" + i).isInstanceOf(WorkflowUpdateException.class);
      }
      long after = t.history(id).getEvents().stream().filter(e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED).count();
      assertThat(after).isZero();
      workflow.kill(ChangeRequest.none());
      // a killed sandbox's workflow has completed: a second kill is refused by the validator or, once closed, by the server
      assertThatThrownBy(() -> workflow.kill(ChangeRequest.none()))
          .isInstanceOfAny(WorkflowUpdateException.class, io.temporal.client.WorkflowNotFoundException.class);
      SandboxStatus status = t.status(id);
      assertThat(status.state()).isEqualTo(SandboxState.KILLED);
      assertThat(status.policy().idleTimeout()).isEqualTo(Duration.ofMinutes(10));
      return new Outcome(bad.size() + 1 + " requests rejected by validators; 0 updates accepted into history (" + before + " events before)", 1, bad.size() + 1, 0);
    });
  }
}
