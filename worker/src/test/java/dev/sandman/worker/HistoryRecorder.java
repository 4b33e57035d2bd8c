package dev.sandman.worker;

import dev.sandman.e2bsim.Fault;
import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.PolicyPatch;
import dev.sandman.workflows.SandboxSpec;
import dev.sandman.workflows.SandboxWorkflow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Records the histories that {@link ReplayTest} replays. Runs only when asked:
 * {@code mvn -pl worker test -Dtest=HistoryRecorder -Dsandman.recordHistories=true}. Record anew
 * (and commit the files) only when a workflow change is deliberately incompatible and gated: bump
 * {@link #VERSION} to the name of the new version gate, so the histories of every older version stay
 * and keep being replayed.
 */
class HistoryRecorder {
  static final Path DIR = Path.of("src/test/resources/histories");
  /** The newest version gate of {@code SandboxWorkflowImpl}; prefixes the files recorded with it. */
  static final String VERSION = "economy";

  @Test
  void record() throws IOException {
    Assumptions.assumeTrue(Boolean.getBoolean("sandman.recordHistories"), "set -Dsandman.recordHistories=true");
    Files.createDirectories(DIR);
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      // idle pause, resume by activity, policy change, explicit pause/resume, kill
      String a = t.newSandbox();
      SandboxWorkflow wa = t.track(a, Policy.defaults());
      t.sleep(Duration.ofMinutes(3));
      wa.activity(ActivitySignal.now());
      t.sleep(Duration.ofMinutes(11));
      wa.activity(ActivitySignal.now());
      t.awaitState(a, s -> s.counters().resumes() == 1, Duration.ofMillis(200), 50);
      wa.setPolicy(PolicyPatch.idleTimeout(Duration.ofMinutes(5)));
      wa.pause(new ChangeRequest("recorded"));
      wa.resume(ChangeRequest.none());
      wa.kill(ChangeRequest.none());
      t.result(a);
      write(t, a, "idle-resume-kill.json");

      // continue-as-new after a burst of signals, then retention
      String b = t.newSandbox();
      SandboxWorkflow wb = t.track(SandboxSpec.of(b, "p", "u", new Policy(Duration.ofMinutes(10), Duration.ofDays(1), null)).withMaxEventsPerRun(150));
      for (int i = 0; i < 200; i++) {
        wb.activity(ActivitySignal.now());
      }
      t.sleep(Duration.ofMinutes(11));
      t.sleep(Duration.ofDays(2));
      t.result(b);
      write(t, b, "continued-retention.json");

      // E2B errors and a sandbox that vanishes
      String c = t.newSandbox();
      t.sim.inject(Fault.status("pause", 403, 1));
      t.track(c, Policy.defaults());
      t.sleep(Duration.ofMinutes(10));
      t.awaitState(c, s -> s.lastError() != null, Duration.ofSeconds(1), 30);
      t.sim.vanish(c);
      t.sleep(Duration.ofMinutes(2));
      t.result(c);
      write(t, c, "e2b-errors-gone.json");
    }
  }

  /** Layers, holds, warnings and webhook events with failing deliveries: the paths that need operator config. */
  @Test
  void recordLayered() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("sandman.recordHistories"), "set -Dsandman.recordHistories=true");
    Files.createDirectories(DIR);
    java.util.concurrent.atomic.AtomicInteger deliveries = new java.util.concurrent.atomic.AtomicInteger();
    com.sun.net.httpserver.HttpServer receiver = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress("127.0.0.1", 0), 16);
    receiver.createContext("/hook", exchange -> {
      exchange.getRequestBody().readAllBytes();
      exchange.sendResponseHeaders(deliveries.incrementAndGet() <= 3 ? 503 : 204, -1); // the first three fail
      exchange.close();
    });
    receiver.start();
    dev.sandman.workflows.OperatorConfig operator = new dev.sandman.workflows.OperatorConfig(Policy.defaults(),
        Duration.ofSeconds(1), Duration.ofDays(7), Duration.ofDays(3650), Duration.ofDays(1), Duration.ofMinutes(2),
        Duration.ofHours(1), true, 0.109);
    try (SandmanTestEnv t = new SandmanTestEnv(dev.sandman.e2bsim.E2bSimulator.Options.defaults(), operator,
        java.util.List.of("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook"), "history-recorder-secret-0123456789")) {
      t.project("layered").setPolicy(new Policy(Duration.ofMinutes(5), Duration.ofHours(3), null));
      String d = t.newSandbox();
      SandboxWorkflow wd = t.track(SandboxSpec.of(d, "layered", "u", new Policy(null, Duration.ofHours(2), null)));
      dev.sandman.workflows.Hold first = wd.hold(new dev.sandman.workflows.HoldRequest("build", Duration.ofMinutes(30)));
      t.sleep(Duration.ofMinutes(1));
      wd.release(first.holdId());
      wd.hold(new dev.sandman.workflows.HoldRequest("agent", Duration.ofMinutes(20)));
      t.sleep(Duration.ofMinutes(26)); // the hold ends, a pause warning, the idle pause
      t.awaitState(d, s -> s.state() == dev.sandman.workflows.SandboxState.PAUSED, Duration.ofSeconds(1), 30);
      wd.activity(ActivitySignal.now());
      t.awaitState(d, s -> s.state() == dev.sandman.workflows.SandboxState.RUNNING, Duration.ofSeconds(1), 30);
      wd.setPolicy(PolicyPatch.idleTimeout(Duration.ofMinutes(3)));
      wd.pause(new ChangeRequest("recorded"));
      t.sleep(Duration.ofHours(3)); // a kill warning, then the retention kill
      t.result(d);
      t.sleep(Duration.ofHours(1)); // the outbox drains
      write(t, d, "layered-holds-warnings.json");
    } finally {
      receiver.stop(0);
    }
  }

  /**
   * E2B's notices: one of Sandman's own pause told back (the workflow looks and finds it paused), a
   * resume behind its back (running again, cause e2b-resumed), a notice given twice, and a kill from
   * E2B's dashboard (killed, sandbox-gone).
   */
  @Test
  void recordNotices() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("sandman.recordHistories"), "set -Dsandman.recordHistories=true");
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      String e = t.newSandbox();
      SandboxWorkflow we = t.track(e, Policy.defaults());
      we.pause(new ChangeRequest("recorded"));
      we.e2bNotice(new dev.sandman.workflows.E2bNotice("ev-1", "paused", t.now()));
      t.sim.connectAsApp(e);
      we.e2bNotice(new dev.sandman.workflows.E2bNotice("ev-2", "resumed", t.now()));
      we.e2bNotice(new dev.sandman.workflows.E2bNotice("ev-2", "resumed", t.now()));
      t.awaitState(e, s -> s.state() == dev.sandman.workflows.SandboxState.RUNNING, Duration.ofMillis(200), 50);
      t.sim.killAsUser(e);
      we.e2bNotice(new dev.sandman.workflows.E2bNotice("ev-3", "killed", t.now()));
      t.result(e);
      Files.writeString(DIR.resolve("notices-e2b-resumed-killed.json"), t.history(e).toJson(true));
    }
  }

  /**
   * Version "work-aware": a busy sandbox's pause put off (busy), then the pre-pause hook's 409 (put off
   * once) and its 204 before the pause; and one sweep.
   */
  @Test
  void recordWorkAware() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("sandman.recordHistories"), "set -Dsandman.recordHistories=true");
    String secret = "hook-secret-0123456789";
    try (HookReceiver app = new HookReceiver(secret);
         SandmanTestEnv t = SandmanTestEnv.withPrePauseHook(app.url(), secret,
             new dev.sandman.workflows.OperatorConfig.PrePause(Duration.ofSeconds(30), Duration.ofMinutes(5)))) {
      app.answer(409, 0).answer(204, 0);
      String id = t.newSandbox();
      t.sim.setCpu(id, 90);
      SandboxWorkflow w = t.track(id, new Policy(Duration.ofMinutes(1), null, null, null, 50, Duration.ofHours(1)));
      t.sleep(Duration.ofSeconds(70));
      t.awaitState(id, s -> s.transitions().stream().anyMatch(tr -> tr.cause() == dev.sandman.workflows.Cause.BUSY),
          Duration.ofMillis(100), 50);
      t.sim.setCpu(id, 1);
      t.sleep(Duration.ofMinutes(7));
      t.awaitState(id, s -> s.state() == dev.sandman.workflows.SandboxState.PAUSED, Duration.ofMillis(200), 50);
      w.kill(ChangeRequest.none());
      t.result(id);
      Files.writeString(DIR.resolve("work-aware-busy-pre-pause.json"), t.history(id).toJson(true));
      t.sim.createSandbox("base", Duration.ofMinutes(5), true, java.util.Map.of("projectId", "p9"));
      t.sleep(Duration.ofMinutes(11));
      t.sweep(new dev.sandman.workflows.SweepOrder("adopt", java.util.Map.of(), false, null));
      var sweeps = t.env.getWorkflowServiceStubs().blockingStub().listClosedWorkflowExecutions(
          io.temporal.api.workflowservice.v1.ListClosedWorkflowExecutionsRequest.newBuilder()
              .setNamespace(t.client.getOptions().getNamespace()).build()).getExecutionsList().stream()
          .filter(e -> e.getType().getName().equals(dev.sandman.workflows.Sandman.SWEEP_WORKFLOW_TYPE)).toList();
      Files.writeString(DIR.resolve("sweep-adopt.json"),
          t.client.fetchHistory(sweeps.get(0).getExecution().getWorkflowId()).toJson(true));
    }
  }

  /** A create: E2B's create, the track, and a create whose track is refused and undone. */
  @Test
  void recordCreate() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("sandman.recordHistories"), "set -Dsandman.recordHistories=true");
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      dev.sandman.workflows.CreateSandboxWorkflow create = t.client.newWorkflowStub(
          dev.sandman.workflows.CreateSandboxWorkflow.class, io.temporal.client.WorkflowOptions.newBuilder()
              .setWorkflowId("create-recorded").setTaskQueue(SandmanTestEnv.TASK_QUEUE).build());
      String made = create.create(new dev.sandman.workflows.CreateSpec("base", "p", "u", null, null, null));
      t.workflow(made).kill(ChangeRequest.none());
      t.result(made);
      Files.writeString(DIR.resolve("create-sandbox.json"), t.client.fetchHistory("create-recorded").toJson(true));
    }
  }

  private static void write(SandmanTestEnv t, String sandboxId, String name) throws IOException {
    Files.writeString(DIR.resolve(VERSION + "-" + name), t.history(sandboxId).toJson(true));
  }
}
