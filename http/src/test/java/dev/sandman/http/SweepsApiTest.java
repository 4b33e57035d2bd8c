package dev.sandman.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** POST /v1/sweeps (the by-hand sweep an operator migrates with) and the work-aware policy fields, over HTTP. */
class SweepsApiTest {
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
  void anOperatorAdoptsTheSandboxesOfACronTableByMetadataAfterADryRun() throws Exception {
    String fromCron = h.t.sim.createSandbox("base", Duration.ofHours(1), true, Map.of("app", "seed", "userId", "u7", "projectId", "p7"));
    String other = h.t.sim.createSandbox("base", Duration.ofHours(1), true, Map.of("app", "other"));
    h.t.sleep(Duration.ofMinutes(11));

    ApiHarness.Reply dry = h.admin("POST", "/v1/sweeps", "{\"orphans\":\"adopt\",\"metadata\":{\"app\":\"seed\"},\"dryRun\":true}");
    assertThat(dry.status()).isEqualTo(200);
    assertThat(dry.body().get("items").get(0).get("outcome").asText()).isEqualTo("would-adopt");
    assertThat(dry.body().get("e2bListed").asInt()).isEqualTo(1);
    assertThat(h.admin("GET", "/v1/sandboxes/" + fromCron, null).status()).isEqualTo(404);

    ApiHarness.Reply done = h.admin("POST", "/v1/sweeps", "{\"orphans\":\"adopt\",\"metadata\":{\"app\":\"seed\"}}");
    assertThat(done.body().get("adopted").asInt()).isEqualTo(1);
    ApiHarness.Reply adopted = h.admin("GET", "/v1/sandboxes/" + fromCron, null);
    assertThat(adopted.status()).isEqualTo(200);
    assertThat(adopted.text("projectId")).isEqualTo("p7");
    assertThat(adopted.text("userId")).isEqualTo("u7");
    assertThat(h.admin("GET", "/v1/sandboxes/" + other, null).status()).isEqualTo(404);
  }

  @Test
  void onlyTheAdminSweepsAndABadOrderIsRefusedNamingItsField() throws Exception {
    assertThat(h.app("u1", "POST", "/v1/sweeps", "{}").status()).isEqualTo(403);
    ApiHarness.Reply bad = h.admin("POST", "/v1/sweeps", "{\"orphans\":\"delete\"}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.raw()).contains("orphans");
    assertThat(h.admin("POST", "/v1/sweeps", "{\"grace\":\"-PT1M\"}").status()).isEqualTo(400);
    assertThat(h.admin("POST", "/v1/sweeps", "{\"everything\":true}").status()).isEqualTo(400);
    assertThat(h.t.sim.count("list", null)).as("nothing asked of E2B").isZero();
  }

  @Test
  void theBusyPolicyIsSetCheckedAndShown() throws Exception {
    String id = h.t.newSandbox();
    assertThat(h.admin("POST", "/v1/sandboxes", h.trackBody(id, "p1", "u1")).status()).isEqualTo(201);
    ApiHarness.Reply tooHigh = h.admin("PUT", "/v1/sandboxes/" + id + "/policy", "{\"busyCpuPercent\":150}");
    assertThat(tooHigh.status()).isEqualTo(400);
    assertThat(tooHigh.raw()).contains("busyCpuPercent");
    assertThat(h.admin("PUT", "/v1/sandboxes/" + id + "/policy", "{\"busyCpuPercent\":\"high\"}").status()).isEqualTo(400);
    ApiHarness.Reply set = h.admin("PUT", "/v1/sandboxes/" + id + "/policy", "{\"busyCpuPercent\":40,\"maxBusy\":\"PT45M\"}");
    assertThat(set.status()).isEqualTo(200);
    assertThat(set.body().get("policy").get("busyCpuPercent").asInt()).isEqualTo(40);
    assertThat(set.body().get("policy").get("maxBusy").asText()).isEqualTo("PT45M");
  }
}
