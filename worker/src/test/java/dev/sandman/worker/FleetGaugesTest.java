package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxState;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fleet gauges count the open sandboxes by the state they published, and those past their pause deadline. */
class FleetGaugesTest {
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
  void sandboxesAreCountedByStateAndOverdueOnesSeparately() {
    Policy tenMinutes = Policy.defaults();
    List<String> running = t.trackNew(2, tenMinutes);
    String paused = t.trackNew(1, new Policy(Duration.ofMinutes(1), Duration.ofDays(1), null)).get(0);
    t.sleep(Duration.ofMinutes(3));
    t.awaitState(paused, s -> s.state() == SandboxState.PAUSED, Duration.ofSeconds(1), 30);
    assertThat(t.status(running.get(0)).state()).isEqualTo(SandboxState.RUNNING);

    PrometheusMeterRegistry registry = Metrics.newRegistry();
    FleetGauges now = new FleetGauges(t.client.getWorkflowServiceStubs(), t.client.getOptions().getNamespace(),
        registry, t.testClock());
    now.count();
    assertThat(gauge(registry, "RUNNING")).isEqualTo(2);
    assertThat(gauge(registry, "PAUSED")).isEqualTo(1);
    assertThat(registry.get("sandman_sandboxes_overdue").gauge().value()).isZero();

    // seen from half an hour later, the two running sandboxes are 20 minutes past their deadlines (a stuck worker)
    PrometheusMeterRegistry later = Metrics.newRegistry();
    new FleetGauges(t.client.getWorkflowServiceStubs(), t.client.getOptions().getNamespace(), later,
        Clock.fixed(t.now().plus(Duration.ofMinutes(30)), ZoneOffset.UTC)).count();
    assertThat(later.get("sandman_sandboxes_overdue").gauge().value()).isEqualTo(2);
    assertThat(later.scrape()).contains("sandman_sandboxes{state=\"RUNNING\"} 2.0", "sandman_sandboxes_overdue 2.0");
  }

  private static double gauge(PrometheusMeterRegistry registry, String state) {
    return registry.get("sandman_sandboxes").tag("state", state).gauge().value();
  }
}
