package dev.sandman.http;

import dev.sandman.starter.TrackRequest;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.workflows.SandboxState;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every endpoint over real HTTP, against the test server, a worker and the E2B simulator. */
class HttpApiTest {
  private ApiHarness h;

  @BeforeEach
  void start() throws Exception {
    h = new ApiHarness();
  }

  @AfterEach
  void stop() {
    h.close();
  }

  @Test
  void aSandboxsWholeLifeThroughTheApi() throws Exception {
    String id = h.t.newSandbox();
    String body = "{\"sandboxId\":\"" + id + "\",\"projectId\":\"p1\",\"userId\":\"u1\",\"template\":\"base\","
        + "\"metadata\":{\"branch\":\"main\"},\"policy\":{\"idleTimeout\":\"PT1H\"}}";

    ApiHarness.Reply tracked = h.admin("POST", "/v1/sandboxes", body);
    assertThat(tracked.status()).isEqualTo(201);
    assertThat(tracked.text("state")).isEqualTo("RUNNING");
    assertThat(tracked.body().get("policy").get("idleTimeout").asText()).isEqualTo("PT1H");
    assertThat(tracked.body().get("policy").get("pausedRetention").asText()).isEqualTo("PT720H");
    assertThat(h.admin("POST", "/v1/sandboxes", body).status()).isEqualTo(200); // idempotent

    ApiHarness.Reply status = h.admin("GET", "/v1/sandboxes/" + id, null);
    assertThat(status.status()).isEqualTo(200);
    for (String field : new String[] {"sandboxId", "projectId", "userId", "template", "state", "lastActivityAt",
        "pauseDeadline", "policy", "counters", "transitions"}) {
      assertThat(status.body().has(field)).as(field).isTrue();
    }
    assertThat(Duration.between(Instant.parse(status.text("lastActivityAt")), Instant.parse(status.text("pauseDeadline"))))
        .isEqualTo(Duration.ofHours(1));

    assertThat(h.admin("POST", "/v1/sandboxes/" + id + "/activity", "{}").status()).isEqualTo(202);
    assertThat(h.admin("POST", "/v1/sandboxes/" + id + "/activity", null).status()).isEqualTo(202);

    ApiHarness.Reply paused = h.admin("POST", "/v1/sandboxes/" + id + "/pause", "{\"reason\":\"test\"}");
    assertThat(paused.status()).isEqualTo(200);
    assertThat(paused.text("state")).isEqualTo("PAUSED");
    assertThat(h.t.sim.stateOf(id)).isEqualTo("paused");

    ApiHarness.Reply resumed = h.admin("POST", "/v1/sandboxes/" + id + "/resume", null);
    assertThat(resumed.text("state")).isEqualTo("RUNNING");

    ApiHarness.Reply policy = h.admin("PUT", "/v1/sandboxes/" + id + "/policy", "{\"idleTimeout\":\"PT5M\",\"maxLifetime\":\"P2D\"}");
    assertThat(policy.status()).isEqualTo(200);
    assertThat(policy.body().get("policy").get("idleTimeout").asText()).isEqualTo("PT5M");
    assertThat(policy.text("killCause")).isEqualTo("lifetime");
    assertThat(h.admin("PUT", "/v1/sandboxes/" + id + "/policy", "{\"maxLifetime\":null}").body().get("policy").has("maxLifetime")).isFalse();

    ApiHarness.Reply killed = h.admin("DELETE", "/v1/sandboxes/" + id, null);
    assertThat(killed.status()).isEqualTo(200);
    assertThat(killed.text("state")).isEqualTo("KILLED");
    assertThat(h.t.sim.stateOf(id)).isNull();

    // the record stays: status answers KILLED, changes are conflicts, a second kill answers the same
    assertThat(h.admin("GET", "/v1/sandboxes/" + id, null).text("state")).isEqualTo("KILLED");
    ApiHarness.Reply again = h.admin("POST", "/v1/sandboxes/" + id + "/pause", null);
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.text("error")).isEqualTo("conflict");
    ApiHarness.Reply killedAgain = h.admin("DELETE", "/v1/sandboxes/" + id, null);
    assertThat(killedAgain.status()).isEqualTo(200);
    assertThat(killedAgain.text("state")).isEqualTo("KILLED");
    assertThat(h.admin("POST", "/v1/sandboxes/" + id + "/activity", null).status()).isEqualTo(409);
    assertThat(h.admin("GET", "/v1/sandboxes/not-tracked-1", null).status()).isEqualTo(404);
    assertThat(h.admin("POST", "/v1/sandboxes/not-tracked-1/activity", null).status()).isEqualTo(404);
  }

  @Test
  void createsASandboxThroughE2bWhenGivenATemplate() throws Exception {
    ApiHarness.Reply created = h.admin("POST", "/v1/sandboxes", "{\"projectId\":\"p1\",\"userId\":\"u1\",\"template\":\"nextjs\"}");
    assertThat(created.status()).isEqualTo(201);
    String id = created.text("sandboxId");
    assertThat(h.t.sim.stateOf(id)).isEqualTo("running");
    assertThat(created.text("template")).isEqualTo("nextjs");
    assertThat(h.t.sim.count("create", null)).isEqualTo(1);
  }

  @Test
  void listsByProjectUserAndStateWithPages() throws Exception {
    Set<String> p1 = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      String id = h.t.newSandbox();
      h.admin("POST", "/v1/sandboxes", h.trackBody(id, "p1", i % 2 == 0 ? "alice" : "bob"));
      p1.add(id);
    }
    String other = h.t.newSandbox();
    h.admin("POST", "/v1/sandboxes", h.trackBody(other, "p2", "alice"));
    h.admin("POST", "/v1/sandboxes/" + other + "/pause", null);

    Set<String> seen = new HashSet<>();
    String token = null;
    int pages = 0;
    do {
      ApiHarness.Reply page = h.admin("GET", "/v1/sandboxes?projectId=p1&pageSize=2" + (token == null ? "" : "&pageToken=" + token), null);
      assertThat(page.status()).isEqualTo(200);
      assertThat(page.text("source")).isEqualTo("scan"); // the Java test server answers no visibility queries
      page.body().get("items").forEach(item -> seen.add(item.get("sandboxId").asText()));
      token = page.body().get("nextPageToken") == null || page.body().get("nextPageToken").isNull() ? null : page.text("nextPageToken");
      pages++;
    } while (token != null);
    assertThat(seen).isEqualTo(p1);
    assertThat(pages).isEqualTo(3);

    ApiHarness.Reply alice = h.admin("GET", "/v1/sandboxes?userId=alice&pageSize=100", null);
    assertThat(alice.body().get("items")).hasSize(4);
    ApiHarness.Reply paused = h.admin("GET", "/v1/sandboxes?state=PAUSED", null);
    assertThat(paused.body().get("items")).hasSize(1);
    assertThat(paused.body().get("items").get(0).get("sandboxId").asText()).isEqualTo(other);
    assertThat(paused.body().get("items").get(0).get("state").asText()).isEqualTo("PAUSED");
  }

  @Test
  void theAuthMatrix() throws Exception {
    String alices = h.t.newSandbox();
    String bobs = h.t.newSandbox();
    h.admin("POST", "/v1/sandboxes", h.trackBody(alices, "p1", "alice"));
    h.admin("POST", "/v1/sandboxes", h.trackBody(bobs, "p1", "bob"));
    String path = "/v1/sandboxes/" + alices;

    assertThat(h.call("GET", path, null).status()).isEqualTo(401);
    assertThat(h.call("GET", path, null, "Authorization", "Bearer wrong").status()).isEqualTo(401);
    assertThat(h.call("GET", path, null, "Authorization", "Basic " + ApiHarness.ADMIN).status()).isEqualTo(401);
    assertThat(h.call("GET", path, null, "Authorization", "Bearer " + ApiHarness.APP).status()).isEqualTo(401); // no user
    assertThat(h.call("GET", path, null, "Authorization", "Bearer " + ApiHarness.ADMIN + "x").status()).isEqualTo(401);
    assertThat(h.call("GET", path, null, "Authorization", "Bearer " + ApiHarness.APP, "X-Sandman-User", "../x").status()).isEqualTo(400);

    assertThat(h.app("alice", "GET", path, null).status()).isEqualTo(200);
    // another user's sandbox answers as one never tracked: an app user cannot probe ids
    assertThat(h.app("bob", "GET", path, null).status()).isEqualTo(404);
    assertThat(h.app("bob", "GET", path, null).text("message")).isEqualTo(h.app("bob", "GET", "/v1/sandboxes/never-tracked-1", null).text("message").replace("never-tracked-1", alices));
    assertThat(h.app("bob", "POST", path + "/activity", null).status()).isEqualTo(404);
    assertThat(h.app("bob", "POST", path + "/pause", null).status()).isEqualTo(404);
    assertThat(h.app("bob", "DELETE", path, null).status()).isEqualTo(404);
    assertThat(h.app("bob", "PUT", path + "/policy", "{\"idleTimeout\":\"PT1M\"}").status()).isEqualTo(404);
    assertThat(h.app("bob", "POST", "/v1/sandboxes", h.trackBody(alices, "p1", "alice")).status()).isEqualTo(403);
    assertThat(h.app("bob", "POST", "/v1/sandboxes", h.trackBody(alices, "p1", "bob")).status()).isEqualTo(409);
    assertThat(h.app("bob", "GET", "/v1/sandboxes?userId=alice", null).status()).isEqualTo(403);
    assertThat(h.admin("GET", path, null).text("state")).isEqualTo("RUNNING"); // nothing changed

    ApiHarness.Reply bobsList = h.app("bob", "GET", "/v1/sandboxes", null);
    assertThat(bobsList.body().get("items")).hasSize(1);
    assertThat(bobsList.body().get("items").get(0).get("sandboxId").asText()).isEqualTo(bobs);

    assertThat(h.app("alice", "POST", path + "/pause", null).text("state")).isEqualTo("PAUSED");
    String mine = h.t.newSandbox();
    assertThat(h.app("alice", "POST", "/v1/sandboxes", "{\"sandboxId\":\"" + mine + "\",\"projectId\":\"p1\"}").status()).isEqualTo(201);
    assertThat(h.admin("GET", "/v1/sandboxes/" + mine, null).text("userId")).isEqualTo("alice");
    // health, spec and metrics need no token
    assertThat(h.call("GET", "/healthz", null).status()).isEqualTo(200);
    assertThat(h.call("GET", "/openapi.json", null).body().get("openapi").asText()).startsWith("3.");
    assertThat(h.call("GET", "/metrics", null).raw()).contains("sandman_http_requests");
  }

  @Test
  void badInputGetsAClearErrorAndChangesNothing() throws Exception {
    String id = h.t.newSandbox();
    h.admin("POST", "/v1/sandboxes", h.trackBody(id, "p1", "u1"));
    String before = h.admin("GET", "/v1/sandboxes/" + id, null).body().get("policy").toString();
    long signalsBefore = h.admin("GET", "/v1/sandboxes/" + id, null).body().get("counters").get("activitySignals").asLong();

    Object[][] cases = {
        {"POST", "/v1/sandboxes", "{\"sandboxId\": ", 400, "bad_json", null},
        {"POST", "/v1/sandboxes", "[1,2]", 400, "bad_json", null},
        {"POST", "/v1/sandboxes", "{\"sandboxId\":\"x1\",\"projectId\":\"p\",\"userId\":\"u\",\"color\":\"red\"}", 400, "unknown_field", "color"},
        {"POST", "/v1/sandboxes", "{\"sandboxId\":\"../../etc\",\"projectId\":\"p\",\"userId\":\"u\"}", 400, "invalid_argument", "sandboxId"},
        {"POST", "/v1/sandboxes", "{\"sandboxId\":\"x1\",\"projectId\":\"p\\n1\",\"userId\":\"u\"}", 400, "invalid_argument", "projectId"},
        {"POST", "/v1/sandboxes", "{\"sandboxId\":\"x1\",\"projectId\":5,\"userId\":\"u\"}", 400, "invalid_argument", "projectId"},
        {"POST", "/v1/sandboxes", "{\"sandboxId\":\"x1\",\"userId\":\"u\"}", 400, "invalid_argument", "projectId"},
        {"POST", "/v1/sandboxes", "{\"projectId\":\"p\",\"userId\":\"u\"}", 400, "invalid_argument", "sandboxId"},
        {"POST", "/v1/sandboxes", "{\"sandboxId\":\"x1\",\"projectId\":\"p\",\"userId\":\"u\",\"policy\":{\"idleTimeout\":\"PT-5M\"}}", 400, "invalid_argument", "policy.idleTimeout"},
        {"POST", "/v1/sandboxes", "{\"sandboxId\":\"x1\",\"projectId\":\"p\",\"userId\":\"u\",\"policy\":{\"idleTimeout\":\"10 minutes\"}}", 400, "invalid_argument", "idleTimeout"},
        {"POST", "/v1/sandboxes", "{\"sandboxId\":\"x1\",\"projectId\":\"p\",\"userId\":\"u\",\"policy\":{\"idleTimeout\":600}}", 400, "invalid_argument", "idleTimeout"},
        {"POST", "/v1/sandboxes", "{\"sandboxId\":\"x1\",\"projectId\":\"p\",\"userId\":\"u\",\"policy\":{\"pausedRetention\":\"P99999D\"}}", 400, "invalid_argument", "policy.pausedRetention"},
        {"POST", "/v1/sandboxes", "{\"sandboxId\":\"x1\",\"projectId\":\"p\",\"userId\":\"u\",\"policy\":{\"ttl\":\"PT1M\"}}", 400, "unknown_field", "policy.ttl"},
        {"POST", "/v1/sandboxes", "{\"sandboxId\":\"x1\",\"projectId\":\"p\",\"userId\":\"u\",\"metadata\":{\"k\":1}}", 400, "invalid_argument", "metadata.k"},
        {"PUT", "/v1/sandboxes/" + id + "/policy", "{\"idleTimeout\":\"PT0S\"}", 400, "invalid_argument", "policy.idleTimeout"},
        {"PUT", "/v1/sandboxes/" + id + "/policy", "{}", 400, "invalid_argument", null},
        {"PUT", "/v1/sandboxes/" + id + "/policy", "{\"idleTimeout\":\"P9999D\"}", 400, "invalid_argument", "policy.idleTimeout"},
        {"POST", "/v1/sandboxes/" + id + "/activity", "{\"at\":\"yesterday\"}", 400, "invalid_argument", "at"},
        {"POST", "/v1/sandboxes/" + id + "/activity", "{\"at\":\"+999999999-12-31T23:59:59Z\"}", 400, "invalid_argument", "at"},
        {"POST", "/v1/sandboxes/" + id + "/activity", "{\"at\":\"-999999999-01-01T00:00:00Z\"}", 400, "invalid_argument", "at"},
        {"POST", "/v1/sandboxes/" + id + "/activity", "{\"when\":\"now\"}", 400, "unknown_field", "when"},
        {"POST", "/v1/sandboxes/" + id + "/pause", "{\"reason\":\"" + "x".repeat(600) + "\"}", 400, "invalid_argument", "reason"},
        {"GET", "/v1/sandboxes/abc%2Fdef", null, 400, "invalid_argument", "sandboxId"},
        {"GET", "/v1/sandboxes?state=ASLEEP", null, 400, "invalid_argument", "state"},
        {"GET", "/v1/sandboxes?pageSize=0", null, 400, "invalid_argument", "pageSize"},
        {"GET", "/v1/sandboxes?pageSize=abc", null, 400, "invalid_argument", "pageSize"},
        {"GET", "/v1/sandboxes?pageToken=bm90LWEtdG9rZW4", null, 400, "invalid_argument", "pageToken"},
        {"GET", "/v1/sandboxes?color=red", null, 400, "unknown_parameter", "color"},
        {"GET", "/v1/sandboxes/" + id + "/explode", null, 404, "not_found", null},
        {"PATCH", "/v1/sandboxes/" + id, null, 405, "method_not_allowed", null},
        {"GET", "/v1/sandboxes/" + id + "/pause", null, 405, "method_not_allowed", null},
        {"POST", "/v1/sandboxes", "{\"sandboxId\":\"x1\",\"projectId\":\"p\",\"userId\":\"u\",\"metadata\":{\"k\":\"" + "v".repeat(70_000) + "\"}}", 413, "payload_too_large", null},
    };
    for (Object[] c : cases) {
      ApiHarness.Reply reply = h.admin((String) c[0], (String) c[1], (String) c[2]);
      String what = c[0] + " " + c[1] + " " + (c[2] == null ? "" : ((String) c[2]).substring(0, Math.min(80, ((String) c[2]).length())));
      assertThat(reply.status()).as(what).isEqualTo(c[3]);
      assertThat(reply.text("error")).as(what).isEqualTo(c[4]);
      assertThat(reply.text("message")).as(what).isNotBlank();
      if (c[5] != null) {
        assertThat(reply.text("field")).as(what).isEqualTo(c[5]);
      }
    }
    ApiHarness.Reply after = h.admin("GET", "/v1/sandboxes/" + id, null);
    assertThat(after.body().get("policy").toString()).isEqualTo(before);
    assertThat(after.body().get("counters").get("activitySignals").asLong()).isEqualTo(signalsBefore);
    assertThat(after.text("state")).isEqualTo("RUNNING");
    assertThat(h.admin("GET", "/v1/sandboxes/x1", null).status()).isEqualTo(404); // nothing was tracked
  }

  @Test
  void aBurstOfTouchesIsHeldAndSentAsOneSignalBeforeItIsDue() throws Exception {
    String id = h.t.newSandbox();
    h.admin("POST", "/v1/sandboxes", "{\"sandboxId\":\"" + id + "\",\"projectId\":\"p1\",\"userId\":\"u1\","
        + "\"policy\":{\"idleTimeout\":\"PT12S\"}}");
    int touches = 100;
    for (int i = 0; i < touches; i++) {
      assertThat(h.admin("POST", "/v1/sandboxes/" + id + "/activity", null).status()).isEqualTo(202);
    }
    ApiHarness.Reply held = h.admin("GET", "/v1/sandboxes/" + id, null);
    assertThat(held.body().get("counters").get("activitySignals").asLong()).isZero(); // nothing sent yet
    java.time.Instant lastTouch = java.time.Instant.parse(held.text("lastActivityAt")); // but this API shows it
    assertThat(lastTouch).isAfter(java.time.Instant.parse(held.text("trackedAt")));
    assertThat(java.time.Instant.parse(held.text("pauseDeadline"))).isEqualTo(lastTouch.plusSeconds(12));

    ApiHarness.Reply sent = held; // sent 3 to 4.5 s before it is due (a quarter of the span, and this process's spread)
    for (int i = 0; i < 60 && sent.body().get("counters").get("activitySignals").asLong() == 0; i++) {
      Thread.sleep(200);
      sent = h.admin("GET", "/v1/sandboxes/" + id, null);
    }
    assertThat(sent.body().get("counters").get("activitySignals").asLong()).isEqualTo(1);
    assertThat(sent.text("state")).isEqualTo("RUNNING");
    assertThat(h.t.memoStatus(id).lastActivityAt()).isEqualTo(lastTouch);
  }

  @Test
  void holdsProjectPoliciesAndTheReport() throws Exception {
    String id = h.t.newSandbox();
    h.admin("POST", "/v1/sandboxes", h.trackBody(id, "proj-r", "alice"));

    ApiHarness.Reply hold = h.app("alice", "POST", "/v1/sandboxes/" + id + "/holds", "{\"reason\":\"llm call\",\"ttl\":\"PT30M\"}");
    assertThat(hold.status()).isEqualTo(201);
    String holdId = hold.text("holdId");
    assertThat(Duration.between(Instant.parse(hold.text("createdAt")), Instant.parse(hold.text("expiresAt")))).isEqualTo(Duration.ofMinutes(30));
    ApiHarness.Reply capped = h.admin("POST", "/v1/sandboxes/" + id + "/holds", "{\"ttl\":\"P5D\"}");
    assertThat(Duration.between(Instant.parse(capped.text("createdAt")), Instant.parse(capped.text("expiresAt")))).isEqualTo(Duration.ofHours(2));
    ApiHarness.Reply status = h.admin("GET", "/v1/sandboxes/" + id, null);
    assertThat(status.body().get("holds")).hasSize(2);
    assertThat(status.text("pauseDeadline")).isEqualTo(capped.text("expiresAt"));
    assertThat(h.app("bob", "POST", "/v1/sandboxes/" + id + "/holds", "{\"ttl\":\"PT1M\"}").status()).isEqualTo(404);
    assertThat(h.admin("POST", "/v1/sandboxes/" + id + "/holds", "{\"reason\":\"x\"}").status()).isEqualTo(400);
    assertThat(h.admin("POST", "/v1/sandboxes/" + id + "/holds", "{\"ttl\":\"PT-1M\"}").status()).isEqualTo(400);
    assertThat(h.admin("DELETE", "/v1/sandboxes/" + id + "/holds/" + holdId, null).body().get("holds")).hasSize(1);
    assertThat(h.admin("DELETE", "/v1/sandboxes/" + id + "/holds/" + holdId, null).status()).isEqualTo(404);

    ApiHarness.Reply project = h.admin("PUT", "/v1/projects/proj-r/policy", "{\"idleTimeout\":\"PT7M\",\"pausedRetention\":\"P3D\"}");
    assertThat(project.status()).isEqualTo(200);
    assertThat(project.body().get("sandboxes").asInt()).isEqualTo(1);
    assertThat(h.admin("GET", "/v1/sandboxes/" + id, null).body().get("policy").get("idleTimeout").asText()).isEqualTo("PT7M");
    assertThat(h.app("alice", "PUT", "/v1/projects/proj-r/policy", "{\"idleTimeout\":\"PT1M\"}").status()).isEqualTo(403);
    assertThat(h.app("alice", "GET", "/v1/projects/proj-r/policy", null).body().get("policy").get("pausedRetention").asText()).isEqualTo("PT72H");
    assertThat(h.app("alice", "GET", "/v1/projects/proj-r/policy", null).body().has("sandboxes")).isFalse(); // other users' count
    assertThat(h.admin("GET", "/v1/projects/proj-r/policy", null).body().get("sandboxes").asInt()).isPositive();
    assertThat(h.admin("PUT", "/v1/projects/proj-r/policy", "{\"idleTimeout\":\"PT0S\"}").status()).isEqualTo(400);
    assertThat(h.admin("GET", "/v1/projects/nobody-yet/policy", null).body().get("sandboxes").asInt()).isZero();

    h.admin("POST", "/v1/sandboxes/" + id + "/pause", null);
    ApiHarness.Reply report = h.admin("GET", "/v1/report?projectId=proj-r", null);
    assertThat(report.status()).isEqualTo(200);
    assertThat(report.body().get("rows")).hasSize(1);
    assertThat(report.body().get("rows").get(0).get("userId").asText()).isEqualTo("alice");
    assertThat(report.body().get("total").get("paused").asInt()).isEqualTo(1);
    assertThat(h.app("bob", "GET", "/v1/report", null).body().get("rows")).isEmpty();
  }

  @Test
  void ensureRunningResumesAPausedSandbox() throws Exception {
    String id = h.t.newSandbox();
    h.client.track(TrackRequest.of(id, "p1", "u1"));
    h.client.pause(id, null);
    assertThat(h.client.ensureRunning(id).state()).isEqualTo(SandboxState.RUNNING);
    assertThat(h.client.ensureRunning(id).state()).isEqualTo(SandboxState.RUNNING);
    assertThat(h.t.sim.successes("connect", id)).isEqualTo(1);
  }

  @Test
  void aSandboxTrackedAgainForAnotherUserIsNoLongerTheFirstUsers() throws Exception {
    String id = h.t.newSandbox();
    assertThat(h.admin("POST", "/v1/sandboxes", h.trackBody(id, "p1", "alice")).status()).isEqualTo(201);
    assertThat(h.app("alice", "GET", "/v1/sandboxes/" + id, null).status()).isEqualTo(200); // alice has seen it as hers
    h.t.client.newUntypedWorkflowStub(dev.sandman.workflows.Sandman.workflowId(id)).terminate("an operator ended it");
    assertThat(h.admin("POST", "/v1/sandboxes", h.trackBody(id, "p1", "bob")).status()).isEqualTo(201);

    assertThat(h.app("alice", "POST", "/v1/sandboxes/" + id + "/pause", null).status()).isEqualTo(404);
    assertThat(h.app("alice", "DELETE", "/v1/sandboxes/" + id, null).status()).isEqualTo(404);
    assertThat(h.app("alice", "POST", "/v1/sandboxes/" + id + "/activity", null).status()).isEqualTo(404);
    assertThat(h.app("bob", "GET", "/v1/sandboxes/" + id, null).text("state")).isEqualTo("RUNNING");
  }

  @Test
  void aPauseRecordsItsReasonAndASecondKillAnswersTheSame() throws Exception {
    String id = h.t.newSandbox();
    h.admin("POST", "/v1/sandboxes", h.trackBody(id, "p1", "u1"));
    ApiHarness.Reply paused = h.admin("POST", "/v1/sandboxes/" + id + "/pause", "{\"reason\":\"lunch break\"}");
    com.fasterxml.jackson.databind.JsonNode transitions = paused.body().get("transitions");
    assertThat(transitions.get(transitions.size() - 1).get("reason").asText()).isEqualTo("lunch break");
    assertThat(h.admin("DELETE", "/v1/sandboxes/" + id, "{\"reason\":\"done\"}").status()).isEqualTo(200);
    ApiHarness.Reply again = h.admin("DELETE", "/v1/sandboxes/" + id, null);
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.text("state")).isEqualTo("KILLED");
  }

  @Test
  void trackingASandboxE2bDoesNotKnowIsNotFound() throws Exception {
    ApiHarness.Reply reply = h.admin("POST", "/v1/sandboxes", h.trackBody("sim-never-created-1", "p1", "u1"));
    assertThat(reply.status()).isEqualTo(404);
    assertThat(reply.text("message")).contains("E2B does not know sandbox sim-never-created-1");
  }
}
