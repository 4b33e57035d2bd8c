package dev.sandman.bench;

import dev.sandman.devserver.TestServerLockLog;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandman.activities.E2bClient;
import dev.sandman.activities.E2bConfig;
import dev.sandman.activities.E2bSandboxActivities;
import dev.sandman.e2bsim.E2bSimulator;
import dev.sandman.worker.SandmanWorker;
import dev.sandman.worker.WorkerOperatorActivities;
import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.OperatorConfig;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxSpec;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Sandman;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/** Part 3 of the benchmarks: one sandbox's history over a simulated week, by event type. */
final class HistoryBench {
  private HistoryBench() {}

  static void write(Path out, String command, String machine, ObjectNode summary) throws Exception {
    TestEnvironmentOptions.Builder options = BenchMain.testEnvironment();
    try (TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance(options.build())) {
      TestServerLockLog.bound(env);
      E2bSimulator sim = new E2bSimulator(E2bSimulator.Options.defaults().withPauseMillisPerGiB(0)
          .withClock(() -> Instant.ofEpochMilli(env.currentTimeMillis()))).start(0);
      E2bClient e2b = new E2bClient(E2bConfig.of(sim.url(), "e2b_bench"));
      Worker worker = env.newWorker("history");
      java.time.Clock clock = new dev.sandman.worker.SuppliedClock(env::currentTimeMillis);
      SandmanWorker.register(worker, new E2bSandboxActivities(e2b, clock),
          new WorkerOperatorActivities(OperatorConfig.standard(), env.getWorkflowClient(), "history"), event -> { });
      env.start();
      WorkflowClient client = env.getWorkflowClient();

      // an hour of continuous activity: an app signal every 30 s (what the coalescing client sends at most is one per second)
      String busy = sim.createSandbox("base", Duration.ofMinutes(15), true, Map.of());
      SandboxWorkflow busyWorkflow = start(client, busy);
      env.sleep(Duration.ofSeconds(5));
      long before = client.fetchHistory(Sandman.workflowId(busy)).getEvents().size();
      long e2bBefore = sim.count("timeout", busy) + sim.count("get", busy);
      for (int i = 0; i < 120; i++) {
        env.sleep(Duration.ofSeconds(30));
        busyWorkflow.activity(ActivitySignal.now());
      }
      long perHour = client.fetchHistory(Sandman.workflowId(busy)).getEvents().size() - before;
      long e2bPerHour = sim.count("timeout", busy) + sim.count("get", busy) - e2bBefore;

      // one idle cycle: idle to pause, then activity to resume
      env.sleep(Duration.ofMinutes(11));
      long beforeCycle = client.fetchHistory(Sandman.workflowId(busy)).getEvents().size();
      long e2bBeforeCycle = sim.calls().stream().filter(c -> busy.equals(c.sandboxId())).count();
      busyWorkflow.activity(ActivitySignal.now());
      env.sleep(Duration.ofSeconds(2));
      env.sleep(Duration.ofMinutes(11));
      long perCycle = client.fetchHistory(Sandman.workflowId(busy)).getEvents().size() - beforeCycle;
      long e2bPerCycle = sim.calls().stream().filter(c -> busy.equals(c.sandboxId())).count() - e2bBeforeCycle;
      busyWorkflow.kill(ChangeRequest.none());
      sim.close();

      int eventsPerRun = SandboxSpec.DEFAULT_MAX_EVENTS_PER_RUN;
      StringBuilder md = new StringBuilder();
      md.append("# What Sandman costs Temporal\n\n")
          .append(BenchMain.provenance(command, machine))
          .append("| measure | value |\n|---|---|\n")
          .append(String.format("| history events per sandbox-hour of continuous activity (a signal every 30 s) | %d (%.1f per signal) |%n", perHour, perHour / 120.0))
          .append(String.format("| history events per idle cycle (timer fires, pause, activity, resume) | %d |%n", perCycle))
          .append(String.format("| history events per run before continue-as-new | %d (about %d signals) |%n", eventsPerRun, eventsPerRun / 4))
          .append(String.format("| E2B calls per sandbox-hour of activity (backstop timeout refreshes) | %d |%n", e2bPerHour))
          .append(String.format("| E2B calls per idle cycle (pause + connect) | %d |%n", e2bPerCycle))
          .append("\nA signal costs one SIGNALED event plus one workflow task (3 events) and starts no timer: the one idle timer\n")
          .append("fires once per idle-timeout span and recomputes the deadline. The real server's limits (10,000 signals and\n")
          .append("51,200 events per run) are never approached: a run continues as new after 3,000 events.\n");
      Files.writeString(out.resolve("history.md"), md.toString());
      System.out.println(md);
      summary.put("history_events_per_active_hour", perHour);
      summary.put("history_events_per_idle_cycle", perCycle);
      summary.put("e2b_calls_per_active_hour", e2bPerHour);
    }
  }

  private static SandboxWorkflow start(WorkflowClient client, String id) {
    SandboxWorkflow workflow = client.newWorkflowStub(SandboxWorkflow.class,
        WorkflowOptions.newBuilder().setWorkflowId(Sandman.workflowId(id)).setTaskQueue("history").build());
    WorkflowClient.start(workflow::run, SandboxSpec.of(id, "bench", "u", Policy.defaults()));
    return workflow;
  }
}
