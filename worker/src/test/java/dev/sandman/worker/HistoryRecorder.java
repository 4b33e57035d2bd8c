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

  private static void write(SandmanTestEnv t, String sandboxId, String name) throws IOException {
    Files.writeString(DIR.resolve(VERSION + "-" + name), t.history(sandboxId).toJson(true));
  }
}
