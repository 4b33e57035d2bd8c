package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandman.e2bsim.Fault;
import dev.sandman.workflows.Cause;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SweepOrder;
import dev.sandman.workflows.SweepReport;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The sweep holds E2B's list against the tracked sandboxes: what differs is reconciled through a notice,
 * what E2B lost ends, and orphans are adopted, killed or reported, a grace period after they started.
 */
class SweepTest {
  private static Cause causeOfLast(SandboxStatus status) {
    return status.transitions().get(status.transitions().size() - 1).cause();
  }

  private static SweepReport.Item item(SweepReport report, String sandboxId) {
    return report.items().stream().filter(i -> i.sandboxId().equals(sandboxId)).findFirst().orElseThrow();
  }

  @Test
  void aSweepAdoptsOldOrphansLeavesYoungOnesAndReconcilesWhatE2bChangedOrLost() {
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      String orphan = t.sim.createSandbox("base", Duration.ofHours(12), true,
          Map.of("projectId", "p9", "userId", "u9", "branch", "main", "sandmanCreateId", "create-x"));
      String tracked = t.newSandbox();
      String autoPaused = t.newSandbox();
      String lost = t.newSandbox();
      for (String id : new String[] {tracked, autoPaused, lost}) {
        t.track(id, new Policy(Duration.ofHours(1), null, null));
      }
      t.sleep(Duration.ofMinutes(11)); // the orphan is past the 10-minute grace
      String young = t.sim.createSandbox("base", Duration.ofHours(12), true, Map.of("projectId", "p9"));
      t.sim.autoPauseNow(autoPaused); // E2B's own timeout, which no call of Sandman's saw
      t.sim.vanish(lost);

      SweepReport report = t.sweep(new SweepOrder(SweepOrder.ADOPT, Map.of(), false, null));

      assertThat(report.e2bListed()).isEqualTo(4);
      assertThat(report.tracked()).isEqualTo(3);
      assertThat(report.orphans()).isEqualTo(2);
      assertThat(report.adopted()).isEqualTo(1);
      assertThat(report.young()).isEqualTo(1);
      assertThat(report.reconciled()).isEqualTo(1);
      assertThat(report.missing()).isEqualTo(1);
      assertThat(item(report, young).outcome()).isEqualTo("young");

      t.awaitState(orphan, s -> s.state() == SandboxState.RUNNING, Duration.ofMillis(100), 50);
      SandboxStatus adopted = t.status(orphan);
      assertThat(adopted.projectId()).isEqualTo("p9");
      assertThat(adopted.userId()).isEqualTo("u9");
      assertThat(adopted.metadata()).containsEntry("branch", "main").doesNotContainKey("sandmanCreateId");
      t.awaitState(autoPaused, s -> s.state() == SandboxState.PAUSED, Duration.ofMillis(100), 50);
      assertThat(causeOfLast(t.status(autoPaused))).isEqualTo(Cause.RECONCILE);
      SandboxStatus end = t.result(lost);
      assertThat(end.state()).isEqualTo(SandboxState.KILLED);
      assertThat(causeOfLast(end)).isEqualTo(Cause.SANDBOX_GONE);
      assertThat(t.status(tracked).state()).isEqualTo(SandboxState.RUNNING);
      assertThat(t.sim.stateOf(young)).isEqualTo("running");

      SweepReport again = t.sweep(new SweepOrder(SweepOrder.ADOPT, Map.of(), false, null));
      // the adopted orphan is tracked now (the young one may have aged past its grace while the test waited)
      assertThat(again.items()).extracting(SweepReport.Item::sandboxId).doesNotContain(orphan, autoPaused, tracked);
      assertThat(again.reconciled() + again.missing()).isZero();
    }
  }

  @Test
  void aKillSweepKillsOnlyOrphansPastTheirGraceAndADryRunChangesNothing() {
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      String old = t.sim.createSandbox("base", Duration.ofHours(12), true, Map.of("team", "a"));
      String other = t.sim.createSandbox("base", Duration.ofHours(12), true, Map.of("team", "b"));
      String tracked = t.newSandbox();
      t.track(tracked, Policy.defaults());
      t.sleep(Duration.ofMinutes(3));
      String young = t.sim.createSandbox("base", Duration.ofHours(12), true, Map.of("team", "a"));

      SweepReport dry = t.sweep(new SweepOrder(SweepOrder.KILL, Map.of("team", "a"), true, Duration.ofMinutes(2)));
      assertThat(item(dry, old).outcome()).isEqualTo("would-kill");
      assertThat(dry.killed()).isZero();
      assertThat(t.sim.stateOf(old)).isEqualTo("running");
      assertThat(dry.items()).extracting(SweepReport.Item::sandboxId).doesNotContain(other); // filtered by metadata

      SweepReport done = t.sweep(new SweepOrder(SweepOrder.KILL, Map.of("team", "a"), false, Duration.ofMinutes(2)));
      assertThat(done.killed()).isEqualTo(1);
      assertThat(done.missing()).as("a filtered list says nothing of what is missing").isZero();
      assertThat(t.sim.stateOf(old)).isNull();
      assertThat(t.sim.stateOf(young)).isEqualTo("running");
      assertThat(t.sim.stateOf(other)).isEqualTo("running");
      assertThat(t.sim.stateOf(tracked)).isEqualTo("running");
    }
  }

  @Test
  void e2bsRateLimitIsWaitedOutPageByPageAndAPersistentOneFailsTheAttemptForTemporalToRetry() {
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      for (int i = 0; i < 250; i++) {
        t.sim.createSandbox("base", Duration.ofHours(12), true, Map.of());
      }
      FleetSweep direct = new FleetSweep(t.e2b, t.client, spec -> true, SandmanTestEnv.SWEEP, t.testClock());
      t.sim.inject(Fault.rateLimited("list", 2, 1));
      long started = System.nanoTime();
      SweepReport waited = direct.sweep(SweepOrder.scheduled());
      assertThat(waited.e2bListed()).isEqualTo(250);
      assertThat(waited.e2bPages()).isEqualTo(3);
      assertThat(waited.rateLimited()).isEqualTo(2);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).as("waited as E2B asked").isGreaterThan(Duration.ofMillis(1900));

      t.sim.inject(Fault.rateLimited("list", FleetSweep.WAITS_PER_PAGE + 1, 0));
      assertThatThrownBy(() -> direct.sweep(SweepOrder.scheduled()))
          .isInstanceOfSatisfying(ApplicationFailure.class, failure -> assertThat(failure.getType()).isEqualTo("E2B_RATE_LIMITED"));

      t.sim.inject(Fault.rateLimited("list", FleetSweep.WAITS_PER_PAGE + 1, 0));
      SweepReport retried = t.sweep(SweepOrder.scheduled()); // the workflow's retry sweeps again
      assertThat(retried.e2bListed()).isEqualTo(250);
      assertThat(t.sim.answers("list", null)).contains(429);
    }
  }

  @Test
  void aSandboxWhoseWorkflowWasTerminatedByHandIsAdoptedAgain() {
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      String id = t.newSandbox();
      t.track(id, new Policy(Duration.ofHours(1), null, null));
      t.awaitState(id, s -> s.counters().e2bCalls() >= 1, Duration.ofMillis(100), 50);
      t.untyped(id).terminate("terminated from the Temporal UI by mistake");
      SweepReport report = t.sweep(new SweepOrder(SweepOrder.ADOPT, Map.of(), false, Duration.ZERO));
      assertThat(item(report, id).outcome()).isEqualTo("adopted");
      assertThat(t.status(id).state()).isEqualTo(SandboxState.RUNNING);
      assertThat(t.sim.stateOf(id)).isEqualTo("running");
    }
  }

  @Test
  void anOrderForAnUnknownActionIsRefusedWithoutRetries() {
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      assertThatThrownBy(() -> t.sweep(new SweepOrder("delete", Map.of(), false, null)))
          .hasStackTraceContaining("orphans must be report, adopt or kill");
      assertThat(t.sim.count("list", null)).isZero();
    }
  }
}
