package dev.sandman.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.e2bsim.E2bSimulator;
import dev.sandman.reliability.Matrix.Outcome;
import dev.sandman.worker.SandmanTestEnv;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import io.temporal.api.enums.v1.EventType;
import io.temporal.worker.WorkerFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Several workers share one task queue. The 30 pauses are asked at once, each takes E2B a second and
 * each worker runs two E2B calls at a time, so no worker can take them all: a busy worker stops polling
 * and the queued calls go to the others' waiting polls (asked one at a time, instant pauses once all
 * went to one worker). Killing a worker mid-call is tested against the real server (the integration
 * tier): Temporal's Java test server neither times out a dead worker's sticky queue nor returns a task
 * whose long poll was cancelled, so a killed worker strands its workflows there.
 */
class WorkersTest {
  private SandmanTestEnv t;

  @BeforeEach
  void start() {
    t = SandmanTestEnv.withWorkersByHand(E2bSimulator.Options.defaults().withPauseMillisPerGiB(2000));
  }

  @AfterEach
  void stop() {
    t.close();
  }

  @Test
  void severalWorkersOnOneQueueShareTheLoad() {
    Matrix.check("Workers", "three workers on one task queue", "none",
        "each worker runs a share of the E2B calls; every sandbox ends paused once", () -> {
      List<WorkerFactory> workers = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        workers.add(t.startWorker("worker-" + i, 2));
      }
      int sandboxes = 30;
      List<String> ids = t.trackNew(sandboxes, Policy.defaults());
      ExecutorService apps = Executors.newFixedThreadPool(sandboxes);
      try {
        List<CompletableFuture<SandboxStatus>> pauses = ids.stream().map(t::workflow)
            .map(w -> CompletableFuture.supplyAsync(() -> w.pause(ChangeRequest.none()), apps)).toList();
        pauses.forEach(p -> assertThat(p.join().state()).isEqualTo(SandboxState.PAUSED));
      } finally {
        apps.shutdownNow();
      }
      Map<String, Integer> byWorker = new HashMap<>();
      for (String id : ids) {
        assertThat(t.sim.successes("pause", id)).isEqualTo(1);
        t.history(id).getEvents().stream()
            .filter(e -> e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
            .forEach(e -> byWorker.merge(e.getActivityTaskStartedEventAttributes().getIdentity(), 1, Integer::sum));
      }
      assertThat(byWorker.keySet()).hasSize(3);
      workers.forEach(WorkerFactory::shutdown);
      return new Outcome("30 sandboxes paused once each; E2B calls by worker " + new java.util.TreeMap<>(byWorker), sandboxes, 0, 0);
    });
  }
}
