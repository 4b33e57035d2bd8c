package dev.sandman.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandman.activities.E2bClient;
import dev.sandman.activities.E2bConfig;
import dev.sandman.activities.E2bSandboxActivities;
import dev.sandman.devserver.TestServerLockLog;
import dev.sandman.e2bsim.E2bSimulator;
import dev.sandman.worker.FleetSweep;
import dev.sandman.worker.SandmanWorker;
import dev.sandman.worker.SweepConfig;
import dev.sandman.worker.WorkerOperatorActivities;
import dev.sandman.workflows.OperatorConfig;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxSpec;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Sandman;
import dev.sandman.workflows.SweepOrder;
import dev.sandman.workflows.SweepReport;
import dev.sandman.workflows.SweepWorkflow;
import io.temporal.api.enums.v1.EventType;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The sweep over a large E2B fleet (the simulator, with E2B's documented rate limit on): how long it takes,
 * how it paginates and paces its E2B calls, and what it costs in Actions, for a steady-state sweep, one that
 * finds E2B changes Sandman did not make, and one that adopts thousands of orphans.
 */
final class SweepBench {
  private static final String QUEUE = "sweep-bench";

  private SweepBench() {}

  static void write(Path out, String command, String machine, ObjectNode summary, int fleet, int tracked) throws Exception {
    TestEnvironmentOptions.Builder options = BenchMain.testEnvironment().setUseTimeskipping(false);
    try (TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance(options.build());
         E2bSimulator sim = new E2bSimulator(E2bSimulator.Options.defaults().withPauseMillisPerGiB(0)).start(0)) {
      TestServerLockLog.bound(env);
      sim.limitRate(20_000, Duration.ofSeconds(30)); // E2B's lifecycle API limit per team
      E2bClient e2b = new E2bClient(E2bConfig.of(sim.url(), "e2b_bench"));
      WorkflowClient client = env.getWorkflowClient();
      Worker worker = env.newWorker(QUEUE, WorkerOptions.newBuilder().setMaxConcurrentActivityExecutionSize(200).build());
      WorkerOperatorActivities operator = new WorkerOperatorActivities(OperatorConfig.standard(), client, QUEUE);
      SweepConfig config = new SweepConfig(null, SweepOrder.REPORT, Duration.ZERO, List.of("projectId"), List.of("userId"),
          "adopted", "unknown", 20);
      SandmanWorker.register(worker, new E2bSandboxActivities(e2b), operator, event -> { }, event -> {
        throw new IllegalStateException("no hook");
      }, new FleetSweep(e2b, client, operator::track, config, Clock.systemUTC()));
      env.start();

      System.out.printf("sweep: %d sandboxes in the simulated E2B, %d of them tracked%n", fleet, tracked);
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < fleet; i++) {
        ids.add(sim.createSandbox("base", Duration.ofHours(12), true, Map.of("projectId", "p" + (i % 50), "userId", "u" + (i % 700))));
      }
      for (String id : ids.subList(0, tracked)) {
        SandboxWorkflow workflow = client.newWorkflowStub(SandboxWorkflow.class,
            WorkflowOptions.newBuilder().setWorkflowId(Sandman.workflowId(id)).setTaskQueue(QUEUE).build());
        WorkflowClient.start(workflow::run, SandboxSpec.of(id, "bench", "u", new Policy(Duration.ofHours(6), null, null)));
      }
      waitForFirstLooks(client, ids.subList(0, tracked));

      List<String[]> rows = new ArrayList<>();
      sim.clearCalls();
      SweepReport steady = sweep(client, SweepOrder.scheduled());
      rows.add(row("steady state (report): nothing differs", steady, sim, client));
      int changed = Math.max(1, tracked / 10);
      for (String id : ids.subList(0, changed)) {
        sim.autoPauseNow(id); // E2B's own timeout, unseen
      }
      for (String id : ids.subList(changed, changed + changed / 2)) {
        sim.vanish(id);
      }
      sim.clearCalls();
      SweepReport drift = sweep(client, SweepOrder.scheduled());
      rows.add(row("E2B changed " + (changed + changed / 2) + " tracked sandboxes behind Sandman's back", drift, sim, client));
      sim.limitRate(50, Duration.ofSeconds(10)); // the app spends most of the team's budget
      sim.clearCalls();
      SweepReport tight = sweep(client, SweepOrder.scheduled());
      rows.add(row("steady, E2B's limit squeezed to 50 requests per 10 s", tight, sim, client));
      sim.limitRate(20_000, Duration.ofSeconds(30));
      sim.clearCalls();
      SweepReport adopt = sweep(client, new SweepOrder(SweepOrder.ADOPT, Map.of(), false, Duration.ZERO));
      rows.add(row("adopt every orphan (the migration from a cron table)", adopt, sim, client));

      StringBuilder md = new StringBuilder("# The sweep over a large E2B fleet\n\n")
          .append(BenchMain.provenance(command, machine))
          .append(String.format("%,d sandboxes in the E2B simulator (its rate limit set to E2B's: 20,000 requests per 30 s), %,d of them%n"
              + "tracked; Temporal's Java test server in process. The sweep lists E2B 100 sandboxes a page, paced at 20 requests/s%n"
              + "(SANDMAN_SWEEP_E2B_RATE), and reads the open workflows from Temporal's listing (no billed Action).%n%n", fleet, tracked))
          .append("| sweep | wall time | E2B pages | E2B requests (list requests: most in any 1 s / 30 s) | 429s waited out | reconciled / missing / adopted | Actions of the sweep | Actions it caused |\n")
          .append("|---|---|---|---|---|---|---|---|\n");
      for (String[] r : rows) {
        md.append("| ").append(String.join(" | ", r)).append(" |\n");
      }
      md.append("\nE2B requests: every call E2B saw during the sweep, the list pages and what the sweep caused (each notice's\n")
          .append("look, each adopted sandbox's first look).\n")
          .append("Actions of the sweep: its workflow start and its one activity (a retry would add one). Actions it caused: a notice\n")
          .append("(1 signal) and the workflow's look at E2B (1 activity) per difference, a workflow start per adoption (the adopted\n")
          .append("sandbox's own first look and memo follow, as for any track). Run every 5 minutes (SANDMAN_SWEEP_EVERY), a steady\n")
          .append("fleet costs 12 sweeps x 2 = 24 Actions an hour for the whole deployment, about $0.0012 at list price, whatever its size.\n");
      Files.writeString(out.resolve("sweep.md"), md.toString());
      System.out.println(md);
      summary.put("sweep_fleet", fleet);
      summary.put("sweep_steady_seconds", seconds(steady));
      summary.put("sweep_steady_actions", 2);
      summary.put("sweep_adopt_seconds", seconds(adopt));
      summary.put("sweep_adopted", adopt.adopted());
    }
  }

  private static SweepReport sweep(WorkflowClient client, SweepOrder order) {
    SweepWorkflow sweep = client.newWorkflowStub(SweepWorkflow.class, WorkflowOptions.newBuilder()
        .setWorkflowId(Sandman.SWEEP_BY_HAND_PREFIX + java.util.UUID.randomUUID()).setTaskQueue(QUEUE).build());
    return sweep.run(order);
  }

  private static String[] row(String what, SweepReport report, E2bSimulator sim, WorkflowClient client) {
    List<Instant> listCalls = sim.calls().stream().filter(c -> c.operation().equals("list")).map(E2bSimulator.Call::at).toList();
    int caused = 2 * (report.reconciled() + report.missing()) + report.adopted();
    return new String[] {what, String.format("%.1f s", seconds(report)), Integer.toString(report.e2bPages()),
        String.format("%d (%d / %d)", sim.calls().size(), maxIn(listCalls, Duration.ofSeconds(1)), maxIn(listCalls, Duration.ofSeconds(30))),
        Integer.toString(report.rateLimited()), report.reconciled() + " / " + report.missing() + " / " + report.adopted(), "2", Integer.toString(caused)};
  }

  private static int maxIn(List<Instant> times, Duration window) {
    int best = 0;
    for (int i = 0, j = 0; i < times.size(); i++) {
      while (Duration.between(times.get(j), times.get(i)).compareTo(window) >= 0) {
        j++;
      }
      best = Math.max(best, i - j + 1);
    }
    return best;
  }

  private static double seconds(SweepReport report) {
    return Duration.between(report.startedAt(), report.finishedAt()).toMillis() / 1000.0;
  }

  /** Each tracked workflow asks E2B once when it starts; the sweep is measured after those calls. */
  private static void waitForFirstLooks(WorkflowClient client, List<String> ids) throws InterruptedException {
    for (String id : ids) {
      for (int i = 0; i < 600 && client.fetchHistory(Sandman.workflowId(id)).getEvents().stream()
          .noneMatch(e -> e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED); i++) {
        Thread.sleep(20);
      }
    }
  }
}
