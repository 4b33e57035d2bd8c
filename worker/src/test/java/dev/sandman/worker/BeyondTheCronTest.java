package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.sandman.activities.WebhookActivities;
import dev.sandman.e2bsim.E2bSimulator;
import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.Hold;
import dev.sandman.workflows.HoldRequest;
import dev.sandman.workflows.OperatorConfig;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.PolicyPatch;
import dev.sandman.workflows.ProjectStatus;
import dev.sandman.workflows.ProjectWorkflow;
import dev.sandman.workflows.SandboxSpec;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Sandman;
import io.temporal.client.WorkflowUpdateException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Policy layers and limits, project policies, holds, warnings, webhook events, usage and cost. */
class BeyondTheCronTest {
  private static final String SECRET = "webhook-secret-for-tests-0123456789";

  private static OperatorConfig operator(Policy defaults, Duration maxIdle) {
    OperatorConfig s = OperatorConfig.standard();
    return new OperatorConfig(defaults, Duration.ofSeconds(30), maxIdle, Duration.ofDays(60), Duration.ofHours(4),
        Duration.ofMinutes(2), Duration.ofDays(1), false, 0.5);
  }

  @Test
  void theMostSpecificLayerWinsWithinTheOperatorsLimits() {
    OperatorConfig operator = operator(new Policy(Duration.ofMinutes(20), Duration.ofDays(7), null, null), Duration.ofHours(1));
    try (SandmanTestEnv t = new SandmanTestEnv(E2bSimulator.Options.defaults().withPauseMillisPerGiB(0), operator, List.of(), null)) {
      String plain = t.newSandbox();
      t.track(plain, null);
      t.sleep(Duration.ofSeconds(1));
      SandboxStatus status = t.status(plain);
      assertThat(status.policy().idleTimeout()).isEqualTo(Duration.ofMinutes(20)); // the operator's default
      assertThat(status.policy().pausedRetention()).isEqualTo(Duration.ofDays(7));

      // a project layer applies to its sandboxes at once, a sandbox layer over it
      String own = t.newSandbox();
      SandboxWorkflow ownWorkflow = t.track(SandboxSpec.of(own, "p1", "u1", new Policy(Duration.ofMinutes(45), null, null)));
      t.sleep(Duration.ofSeconds(1));
      ProjectWorkflow project = t.project("p1");
      ProjectStatus projectStatus = project.setPolicy(new Policy(Duration.ofMinutes(5), Duration.ofDays(2), null, null));
      assertThat(projectStatus.sandboxes()).isEqualTo(2);
      t.sleep(Duration.ofSeconds(1));
      assertThat(t.status(plain).policy().idleTimeout()).isEqualTo(Duration.ofMinutes(5));
      assertThat(t.status(plain).policy().pausedRetention()).isEqualTo(Duration.ofDays(2));
      assertThat(t.status(own).policy().idleTimeout()).isEqualTo(Duration.ofMinutes(45)); // its own layer wins
      assertThat(t.status(own).policy().pausedRetention()).isEqualTo(Duration.ofDays(2)); // inherited from the project

      // limits: a request beyond them is refused, and nothing above them is ever effective
      assertThatThrownBy(() -> ownWorkflow.setPolicy(PolicyPatch.idleTimeout(Duration.ofHours(3))))
          .isInstanceOf(WorkflowUpdateException.class).hasStackTraceContaining("operator limits");
      assertThatThrownBy(() -> ownWorkflow.setPolicy(PolicyPatch.idleTimeout(Duration.ofSeconds(5))))
          .isInstanceOf(WorkflowUpdateException.class).hasStackTraceContaining("operator limits");
      project.setPolicy(new Policy(Duration.ofDays(3), null, null, null)); // allowed as a layer, clamped when applied
      t.sleep(Duration.ofSeconds(1));
      assertThat(t.status(plain).policy().idleTimeout()).isEqualTo(Duration.ofHours(1));

      // a sandbox tracked later reads the project's layer when it starts
      String later = t.newSandbox();
      t.track(SandboxSpec.of(later, "p1", "u2", null));
      t.sleep(Duration.ofSeconds(1));
      assertThat(t.status(later).policy().idleTimeout()).isEqualTo(Duration.ofHours(1));
      assertThat(t.status(later).projectPolicy().idleTimeout()).isEqualTo(Duration.ofDays(3));

      // a change reaches the sandboxes open in the project, killed ones no longer count
      t.workflow(later).kill(ChangeRequest.none());
      t.result(later);
      assertThat(project.setPolicy(new Policy(Duration.ofMinutes(40), null, null, null)).sandboxes()).isEqualTo(2);
      t.sleep(Duration.ofSeconds(1));
      assertThat(t.status(plain).policy().idleTimeout()).isEqualTo(Duration.ofMinutes(40));
    }
  }

  @Test
  void holdsKeepASandboxAwakeStackExpireAndAreCapped() {
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      String id = t.newSandbox();
      SandboxWorkflow workflow = t.track(id, Policy.defaults());
      t.sleep(Duration.ofMinutes(5));
      Hold build = workflow.hold(new HoldRequest("npm install", Duration.ofMinutes(30)));
      Hold llm = workflow.hold(new HoldRequest("waiting for the model", Duration.ofMinutes(20)));
      Hold forgotten = workflow.hold(new HoldRequest("forgotten", Duration.ofDays(5)));
      assertThat(Duration.between(forgotten.createdAt(), forgotten.expiresAt())).isEqualTo(Duration.ofHours(2)); // maxHold
      assertThat(t.status(id).holds()).hasSize(3);

      workflow.release(forgotten.holdId());
      assertThat(t.status(id).pauseDeadline()).isEqualTo(build.expiresAt());
      t.sleep(Duration.ofMinutes(29)); // no activity at all, but held
      assertThat(t.status(id).state()).isEqualTo(SandboxState.RUNNING);
      t.sleep(Duration.ofMinutes(2));
      SandboxStatus paused = t.status(id);
      assertThat(paused.state()).isEqualTo(SandboxState.PAUSED);
      assertThat(paused.holds()).isEmpty();
      assertThat(t.sim.count("pause", id)).isEqualTo(1);

      // a hold on a paused sandbox wakes it
      workflow.hold(new HoldRequest("background build", Duration.ofMinutes(15)));
      t.awaitState(id, s -> s.state() == SandboxState.RUNNING, Duration.ofMillis(200), 50);
      assertThatThrownBy(() -> workflow.release("no-such-hold")).isInstanceOf(WorkflowUpdateException.class);
      assertThatThrownBy(() -> workflow.hold(new HoldRequest("x", Duration.ofSeconds(-1)))).isInstanceOf(WorkflowUpdateException.class);
      assertThat(llm.reason()).isEqualTo("waiting for the model");
    }
  }

  @Test
  void transitionsAndWarningsArePostedSignedAndADeadEndpointLosesNothing() throws Exception {
    List<JsonNode> received = new CopyOnWriteArrayList<>();
    Set<String> ids = ConcurrentHashMap.newKeySet();
    AtomicBoolean down = new AtomicBoolean(false);
    ObjectMapper json = new ObjectMapper();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    receiver.createContext("/hook", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      String signature = exchange.getRequestHeaders().getFirst("X-Sandman-Signature");
      long t = Long.parseLong(signature.substring(2, signature.indexOf(',')));
      boolean valid = signature.endsWith("v1=" + WebhookActivities.sign(SECRET.getBytes(StandardCharsets.UTF_8), t, body));
      int status = down.get() ? 503 : valid ? 204 : 401;
      if (status == 204) {
        JsonNode event = json.readTree(body);
        if (ids.add(event.get("id").asText())) { // receivers dedupe by id
          received.add(event);
        }
      }
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    });
    receiver.start();
    String url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
    try (SandmanTestEnv t = new SandmanTestEnv(E2bSimulator.Options.defaults().withPauseMillisPerGiB(0),
        OperatorConfig.standard(), List.of(url), SECRET)) {
      String id = t.newSandbox();
      SandboxWorkflow workflow = t.track(id, new Policy(Duration.ofMinutes(10), Duration.ofMinutes(30), null));
      t.sleep(Duration.ofMinutes(9)); // the warning is 2 minutes before the deadline
      waitFor(() -> received.stream().anyMatch(e -> e.get("type").asText().equals("sandbox.pause_warning")));
      JsonNode warning = received.stream().filter(e -> e.get("type").asText().equals("sandbox.pause_warning")).findFirst().orElseThrow();
      assertThat(warning.get("sandboxId").asText()).isEqualTo(id);
      assertThat(warning.get("deadline").asText()).isEqualTo(t.status(id).pauseDeadline().toString());
      assertThat(t.status(id).state()).isEqualTo(SandboxState.RUNNING);

      down.set(true); // the endpoint dies; the state machine does not wait for it
      t.sleep(Duration.ofMinutes(2));
      assertThat(t.status(id).state()).isEqualTo(SandboxState.PAUSED);
      assertThat(t.status(id).eventsPending()).isGreaterThan(0);
      down.set(false);
      t.sleep(Duration.ofMinutes(31)); // retries with backoff deliver the backlog; the retention kill follows
      waitFor(() -> received.stream().anyMatch(e -> e.get("state").asText().equals("KILLED")));

      List<String> transitions = received.stream().filter(e -> e.get("type").asText().equals("sandbox.transition"))
          .map(e -> e.get("state").asText()).toList();
      // nothing lost; a backlog is delivered in parallel, so arrival order is not promised (receivers order by "at")
      assertThat(transitions).contains("RUNNING", "PAUSING", "PAUSED", "KILLED");
      assertThat(received).anyMatch(e -> e.get("type").asText().equals("sandbox.kill_warning"));
      received.forEach(e -> assertThat(e.fieldNames()).toIterable().contains("id", "type", "sandboxId", "projectId", "userId", "state", "at"));
      SandboxStatus result = t.result(id);
      assertThat(result.eventsPending()).isZero();
    } finally {
      receiver.stop(0);
    }
  }

  @Test
  void runningAndPausedTimeAndTheirCost() {
    OperatorConfig operator = operator(Policy.defaults(), Duration.ofDays(1));
    try (SandmanTestEnv t = new SandmanTestEnv(E2bSimulator.Options.defaults().withPauseMillisPerGiB(0), operator, List.of(), null)) {
      String id = t.newSandbox();
      SandboxWorkflow workflow = t.track(id, Policy.defaults());
      t.sleep(Duration.ofMinutes(50));
      workflow.activity(ActivitySignal.now()); // running 50 min? no: paused after 10
      t.awaitState(id, s -> s.state() == SandboxState.RUNNING, Duration.ofMillis(200), 50);
      SandboxStatus status = t.status(id);
      assertThat(status.usage().runningSeconds()).isBetween(600L, 620L);
      assertThat(status.usage().pausedSeconds()).isBetween(2390L, 2410L);
      assertThat(status.usage().pricePerHour()).isEqualTo(0.5);
      assertThat(status.usage().estimatedCost()).isCloseTo(600 / 3600.0 * 0.5, org.assertj.core.data.Offset.offset(0.01));
      assertThat(status.usage().savedByPausing()).isCloseTo(2400 / 3600.0 * 0.5, org.assertj.core.data.Offset.offset(0.01));
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
    for (int i = 0; i < 200 && !condition.getAsBoolean(); i++) {
      Thread.sleep(50);
    }
    assertThat(condition.getAsBoolean()).as("condition reached within 10 s").isTrue();
  }
}
