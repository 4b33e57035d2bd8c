package dev.sandman.starter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandman.workflows.CreateSpec;
import dev.sandman.workflows.Sandman;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandmanJson;
import dev.sandman.worker.SandmanTestEnv;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SandmanClientTest {
  @Test
  void aCreateThatCannotReachTemporalCreatesNothing() throws Exception {
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      WorkflowServiceStubs nowhere = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder()
          .setTarget("127.0.0.1:1").setRpcTimeout(Duration.ofSeconds(1)).build());
      WorkflowClient unreachable = WorkflowClient.newInstance(nowhere,
          WorkflowClientOptions.newBuilder().setDataConverter(SandmanJson.dataConverter()).build());
      try (SandmanClient client = new SandmanClient(unreachable, SandmanClient.Options.defaults())) {
        assertThatThrownBy(() -> client.create(new TrackRequest(null, "p1", "u1", "base", null, null)))
            .isInstanceOfSatisfying(SandmanException.class, e -> assertThat(e.kind()).isEqualTo(SandmanException.Kind.UNAVAILABLE));
      } finally {
        nowhere.shutdownNow();
      }
      assertThat(t.sim.count("create", null)).isZero();
    }
  }

  @Test
  void aCreateIsTrackedDurablyAndTheSameCreateIdAnswersTheSameSandbox() throws Exception {
    try (SandmanTestEnv t = new SandmanTestEnv();
        SandmanClient client = new SandmanClient(t.client, SandmanClient.Options.defaults().withTaskQueue(SandmanTestEnv.TASK_QUEUE))) {
      TrackRequest request = new TrackRequest(null, "p1", "u1", "base", Map.of("app", "ide"), null);
      TrackResult first = client.create(request, "order-17");
      TrackResult again = client.create(request, "order-17");
      assertThat(again.status().sandboxId()).isEqualTo(first.status().sandboxId());
      assertThat(t.sim.successes("create", null)).isEqualTo(1);
      assertThat(client.status(first.status().sandboxId()).state()).isEqualTo(SandboxState.RUNNING);
      assertThat(first.status().metadata()).containsEntry("app", "ide");
      assertThatThrownBy(() -> client.create(new TrackRequest(null, "p1", "u1", "no-such-template!", null, null)))
          .isInstanceOfSatisfying(SandmanException.class, e -> assertThat(e.field()).isEqualTo("template"));
    }
  }

  /** Completes at once: a finished workflow under a sandbox's id refuses a new track of that id. */
  @WorkflowInterface
  public interface Finished {
    @WorkflowMethod
    void run();
  }

  public static class FinishedImpl implements Finished {
    @Override
    public void run() {}
  }

  @Test
  void aSandboxWhoseTrackIsRefusedIsKilledAgainByItsCreate() throws Exception {
    try (SandmanTestEnv t = new SandmanTestEnv();
        SandmanClient client = new SandmanClient(t.client, SandmanClient.Options.defaults().withTaskQueue(SandmanTestEnv.TASK_QUEUE))) {
      // E2B already holds this create's sandbox (as after a crash), and its workflow id is taken for good
      String made = t.sim.createSandbox("base", Duration.ofMinutes(30), true, Map.of(CreateSpec.META_CREATE, "create-order-18"));
      WorkerFactory factory = WorkerFactory.newInstance(t.client);
      factory.newWorker("finished").registerWorkflowImplementationTypes(FinishedImpl.class);
      factory.start();
      try {
        t.client.newWorkflowStub(Finished.class, WorkflowOptions.newBuilder()
            .setWorkflowId(Sandman.workflowId(made)).setTaskQueue("finished").build()).run();
      } finally {
        factory.shutdownNow();
      }
      assertThatThrownBy(() -> client.create(new TrackRequest(null, "p1", "u1", "base", null, null), "order-18"))
          .isInstanceOfSatisfying(SandmanException.class, e -> {
            assertThat(e.kind()).isEqualTo(SandmanException.Kind.CONFLICT);
            assertThat(e.getMessage()).contains("killed again");
          });
      assertThat(t.sim.successes("create", null)).isZero(); // the create found its sandbox instead of making another
      assertThat(t.sim.successes("kill", made)).isEqualTo(1);
      assertThat(t.sim.size()).isZero(); // no orphan left running
    }
  }

  @Test
  void heldTouchesNeverLetAnActiveSandboxPause() throws Exception {
    try (SandmanTestEnv t = new SandmanTestEnv();
        SandmanClient client = new SandmanClient(t.client,
            SandmanClient.Options.defaults().withTaskQueue(SandmanTestEnv.TASK_QUEUE))) {
      String id = t.newSandbox();
      // idle timeout 2 s: activity is held until two thirds of a second before it is due (a third of the span)
      client.track(TrackRequest.of(id, "p1", "u1").withPolicy(new Policy(Duration.ofSeconds(2), null, null)));
      long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
      int touches = 0;
      while (System.nanoTime() < until) {
        client.touch(id);
        touches++;
        Thread.sleep(20);
      }
      SandboxStatus active = client.status(id);
      assertThat(active.state()).isEqualTo(SandboxState.RUNNING);
      assertThat(active.counters().pauses()).isZero();
      assertThat(active.counters().activitySignals()).isBetween(3L, 8L).isLessThan(touches / 20);
      assertThat(t.sim.count("pause", id)).isZero();

      Thread.sleep(3500); // the user left
      assertThat(client.status(id).state()).isEqualTo(SandboxState.PAUSED);
    }
  }

  @Test
  void aHeldTouchShowsAtOnceInThisClientsReadsAndInAnothersOnceItIsSent() throws Exception {
    try (SandmanTestEnv t = new SandmanTestEnv();
        SandmanClient api = new SandmanClient(t.client, SandmanClient.Options.defaults().withTaskQueue(SandmanTestEnv.TASK_QUEUE));
        SandmanClient otherReplica = new SandmanClient(t.client, SandmanClient.Options.defaults().withTaskQueue(SandmanTestEnv.TASK_QUEUE))) {
      String id = t.newSandbox();
      SandboxStatus tracked = api.track(TrackRequest.of(id, "p1", "u1")).status();
      Thread.sleep(1100);
      api.touch(id);
      SandboxStatus mine = api.status(id);
      assertThat(mine.lastActivityAt()).isAfter(tracked.lastActivityAt());
      assertThat(mine.pauseDeadline()).isEqualTo(mine.lastActivityAt().plus(Duration.ofMinutes(10)));
      assertThat(t.memoStatus(id).lastActivityAt()).isEqualTo(tracked.lastActivityAt()); // held: nothing sent yet
      assertThat(otherReplica.status(id).lastActivityAt()).isEqualTo(tracked.lastActivityAt());
      assertThat(t.memoStatus(id).counters().activitySignals()).isZero();

      api.close(); // a process that stops sends what it holds
      SandboxStatus seen = null;
      for (int i = 0; i < 50; i++) {
        seen = otherReplica.status(id);
        if (seen.lastActivityAt().equals(mine.lastActivityAt())) {
          break;
        }
        Thread.sleep(20);
      }
      assertThat(seen.lastActivityAt()).isEqualTo(mine.lastActivityAt());
      assertThat(seen.counters().activitySignals()).isEqualTo(1);
    }
  }

  @Test
  void listFallsBackToScanningOnTheTestServerAndSaysSo() throws Exception {
    try (SandmanTestEnv t = new SandmanTestEnv();
        SandmanClient client = new SandmanClient(t.client, SandmanClient.Options.defaults().withTaskQueue(SandmanTestEnv.TASK_QUEUE))) {
      String id = t.newSandbox();
      client.track(TrackRequest.of(id, "p1", "u1"));
      ListPage page = client.list(ListQuery.all().withProject("p1"));
      assertThat(page.source()).isEqualTo("scan");
      assertThat(page.items()).extracting(SandboxSummary::sandboxId).containsExactly(id);
      assertThat(SandmanClient.visibilityQuery(ListQuery.all().withProject("p1").withState(SandboxState.PAUSED)))
          .isEqualTo("WorkflowType = 'SandboxWorkflow' AND ExecutionStatus != 'ContinuedAsNew'"
              + " AND SandboxProjectId = 'p1' AND SandboxState = 'PAUSED'");
      assertThat(SandmanClient.visibilityQuery(ListQuery.all().withState(SandboxState.PAUSING)))
          .endsWith(" AND SandboxState IN ('RUNNING', 'PAUSING')");
      assertThatThrownBy(() -> client.list(ListQuery.all().withProject("p'1"))).isInstanceOf(SandmanException.class);
    }
  }
}
