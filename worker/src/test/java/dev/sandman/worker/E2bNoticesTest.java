package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.workflows.Cause;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.E2bNotice;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandboxWorkflow;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** E2B's word on a sandbox reaches its workflow as a notice; the workflow asks E2B and believes the answer. */
class E2bNoticesTest {
  @Test
  void aResumeBehindTheBackRunsTheSandboxAgainOnceWithAFreshDeadline() {
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      String id = t.newSandbox();
      SandboxWorkflow w = t.track(id, Policy.defaults());
      w.pause(new ChangeRequest("lunch"));
      long calls = t.status(id).counters().e2bCalls();
      long looks = t.sim.count("get", id);
      w.e2bNotice(new E2bNotice("ev-own", "paused", t.now())); // Sandman's own pause, told back: a look, no change
      // the counter moves when the look starts; E2B's log when it has been asked
      t.awaitState(id, st -> st.counters().e2bCalls() == calls + 1 && t.sim.count("get", id) == looks + 1, Duration.ofMillis(50), 100);
      assertThat(t.status(id).state()).isEqualTo(SandboxState.PAUSED);
      assertThat(t.sim.connectAsApp(id)).isEqualTo(201);
      long describesBefore = t.sim.count("get", id);
      w.e2bNotice(new E2bNotice("ev-1", "resumed", t.now()));
      w.e2bNotice(new E2bNotice("ev-1", "resumed", t.now())); // delivered twice: taken once
      t.awaitState(id, st -> st.state() == SandboxState.RUNNING, Duration.ofMillis(100), 100);
      SandboxStatus s = t.status(id);
      assertThat(s.transitions().get(s.transitions().size() - 1).cause()).isEqualTo(Cause.E2B_RESUMED);
      assertThat(s.pauseDeadline()).isAfterOrEqualTo(s.stateSince().plus(Policy.defaults().idleTimeout()));
      assertThat(s.transitions().stream().filter(tr -> tr.to() == SandboxState.PAUSED)).hasSize(1);
      assertThat(t.sim.count("get", id) - describesBefore).as("one look for the two deliveries").isEqualTo(1);
      assertThat(t.sim.count("resume", id)).isZero();
    }
  }

  @Test
  void aKillFromE2bsDashboardEndsTheWorkflowAndANoticeForAKilledOneChangesNothing() {
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      String id = t.newSandbox();
      SandboxWorkflow w = t.track(id, Policy.defaults());
      assertThat(t.sim.killAsUser(id)).isEqualTo(204);
      w.e2bNotice(new E2bNotice("ev-k", "killed", t.now()));
      SandboxStatus end = t.result(id);
      assertThat(end.state()).isEqualTo(SandboxState.KILLED);
      assertThat(end.transitions().get(end.transitions().size() - 1).cause()).isEqualTo(Cause.SANDBOX_GONE);
    }
  }
}
