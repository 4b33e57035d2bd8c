package dev.sandman.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** E2B's lifecycle webhooks, sent by the simulator as E2B sends them, into the HTTP API and on to the workflows. */
class E2bEventsTest {
  private ApiHarness h;

  @BeforeEach
  void start() throws Exception {
    h = new ApiHarness();
  }

  @AfterEach
  void stop() {
    h.close();
  }

  private String track(String user) throws Exception {
    String id = h.t.newSandbox();
    assertThat(h.admin("POST", "/v1/sandboxes", h.trackBody(id, "p1", user)).status()).isEqualTo(201);
    return id;
  }

  private void webhooksOn() {
    h.t.sim.registerWebhook("http://127.0.0.1:" + h.api.port() + "/v1/e2b/events", ApiHarness.E2B_WEBHOOK_SECRET);
  }

  private static void waitFor(String what, BooleanSupplier done) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!done.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(until);
      Thread.sleep(20);
    }
  }

  private String state(String id) {
    try {
      return h.admin("GET", "/v1/sandboxes/" + id, null).text("state");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aSandboxResumedBehindSandmansBackIsRunningAgainWithAFreshIdleDeadline() throws Exception {
    String id = track("u1");
    assertThat(h.admin("POST", "/v1/sandboxes/" + id + "/pause", null).text("state")).isEqualTo("PAUSED");
    webhooksOn();
    long before = System.nanoTime();
    assertThat(h.t.sim.connectAsApp(id)).isEqualTo(201); // the app's E2B SDK connects: E2B resumes it
    waitFor("RUNNING again", () -> state(id).equals("RUNNING"));
    System.out.printf("E2B's resume reached the workflow in %d ms%n", Duration.ofNanos(System.nanoTime() - before).toMillis());
    ApiHarness.Reply status = h.admin("GET", "/v1/sandboxes/" + id, null);
    var last = status.body().get("transitions").get(status.body().get("transitions").size() - 1);
    assertThat(last.get("cause").asText()).isEqualTo("e2b-resumed");
    assertThat(Instant.parse(status.text("pauseDeadline"))).isAfter(Instant.parse(status.text("stateSince")).plus(Duration.ofMinutes(9)));
    assertThat(h.t.sim.count("resume", id)).as("Sandman resumed nothing itself").isZero();
  }

  @Test
  void aSandboxKilledFromE2bsDashboardIsKilledHereToo() throws Exception {
    String id = track("u1");
    webhooksOn();
    assertThat(h.t.sim.killAsUser(id)).isEqualTo(204);
    waitFor("KILLED", () -> "KILLED".equals(state(id)));
    ApiHarness.Reply status = h.admin("GET", "/v1/sandboxes/" + id, null);
    var last = status.body().get("transitions").get(status.body().get("transitions").size() - 1);
    assertThat(last.get("cause").asText()).isEqualTo("sandbox-gone");
  }

  @Test
  void aSandboxCreatedInE2bWithSandmansMetadataIsTrackedAndOneOfSandmansOwnCreatesIsLeftToIt() throws Exception {
    webhooksOn();
    String theirs = h.t.sim.createSandbox("base", Duration.ofMinutes(10), true,
        java.util.Map.of("sandmanProjectId", "p9", "sandmanUserId", "u9", "branch", "main"));
    waitFor("tracked", () -> {
      try {
        return h.admin("GET", "/v1/sandboxes/" + theirs, null).status() == 200;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    ApiHarness.Reply status = h.admin("GET", "/v1/sandboxes/" + theirs, null);
    assertThat(status.text("projectId")).isEqualTo("p9");
    assertThat(status.text("userId")).isEqualTo("u9");
    assertThat(status.body().get("metadata").get("branch").asText()).isEqualTo("main");
    String plain = h.t.sim.createSandbox("base", Duration.ofMinutes(10), true, java.util.Map.of("branch", "main"));
    String ours = h.t.sim.createSandbox("base", Duration.ofMinutes(10), true,
        java.util.Map.of("sandmanProjectId", "p9", "sandmanUserId", "u9", "sandmanCreateId", "create-1"));
    Thread.sleep(1000);
    assertThat(h.admin("GET", "/v1/sandboxes/" + plain, null).status()).isEqualTo(404);
    assertThat(h.admin("GET", "/v1/sandboxes/" + ours, null).status()).as("left to Sandman's own create").isEqualTo(404);
  }

  private ApiHarness.Reply send(String body, String signature) throws Exception {
    return h.call("POST", "/v1/e2b/events", body, "e2b-signature-version", "v1", "e2b-signature", signature,
        "e2b-webhook-id", "w1", "e2b-delivery-id", "d1");
  }

  private static String event(String id, String type, String sandboxId, Instant at) {
    return "{\"version\":\"v1\",\"id\":\"" + id + "\",\"type\":\"sandbox.lifecycle." + type + "\",\"eventData\":null,"
        + "\"sandboxId\":\"" + sandboxId + "\",\"sandboxTeamId\":\"t\",\"sandboxTemplateId\":\"base\",\"timestamp\":\"" + at + "\"}";
  }

  private static String sign(String body) {
    return E2bEvents.sign(ApiHarness.E2B_WEBHOOK_SECRET.getBytes(StandardCharsets.UTF_8), body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void forgedStaleAndRepeatedEventsChangeNothing() throws Exception {
    String id = track("u1");
    String paused = event("ev-1", "paused", id, Instant.now());
    assertThat(send(paused, sign(paused) + "x").status()).isEqualTo(401);
    assertThat(send(paused, E2bEvents.sign("another-secret".getBytes(StandardCharsets.UTF_8), paused.getBytes(StandardCharsets.UTF_8))).status())
        .isEqualTo(401);
    assertThat(h.call("POST", "/v1/e2b/events", paused).status()).isEqualTo(401);
    String stale = event("ev-2", "killed", id, Instant.now().minus(Duration.ofHours(1)));
    assertThat(send(stale, sign(stale)).status()).isEqualTo(401);
    assertThat(state(id)).isEqualTo("RUNNING");
    // E2B says paused while it runs: the workflow asks E2B, which says running, so nothing changes
    ApiHarness.Reply first = send(paused, sign(paused));
    assertThat(first.status()).isEqualTo(202);
    assertThat(first.text("outcome")).isEqualTo("signalled");
    assertThat(send(paused, sign(paused)).text("outcome")).isEqualTo("duplicate");
    Thread.sleep(500);
    assertThat(state(id)).isEqualTo("RUNNING");
    String untracked = event("ev-3", "resumed", "never-tracked", Instant.now());
    assertThat(send(untracked, sign(untracked)).text("outcome")).isEqualTo("untracked");
  }
}
