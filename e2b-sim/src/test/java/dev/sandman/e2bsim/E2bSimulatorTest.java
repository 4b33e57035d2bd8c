package dev.sandman.e2bsim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The simulator behaves like E2B: lifecycle, end times, errors, pagination, faults. */
class E2bSimulatorTest {
  private static final String KEY = "e2b_sim_test";
  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-29T10:00:00Z"));
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private E2bSimulator sim;

  @BeforeEach
  void start() throws Exception {
    sim = new E2bSimulator(E2bSimulator.Options.defaults().withClock(now::get).withPauseMillisPerGiB(0)).start(0);
  }

  @AfterEach
  void stop() {
    sim.close();
  }

  private record Reply(int status, JsonNode body, HttpResponse<String> raw) {}

  private Reply call(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(sim.url() + path)).header("X-API-Key", KEY)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(response.statusCode(), response.body().isEmpty() ? null : json.readTree(response.body()), response);
  }

  private String create(String body) throws Exception {
    Reply reply = call("POST", "/sandboxes", body);
    assertThat(reply.status()).isEqualTo(201);
    return reply.body().get("sandboxID").asText();
  }

  @Test
  void pauseConnectAndKillLikeE2b() throws Exception {
    String id = create("{\"templateID\":\"base\",\"timeout\":300,\"autoPause\":true}");
    assertThat(call("GET", "/sandboxes/" + id, null).body().get("state").asText()).isEqualTo("running");
    assertThat(call("POST", "/sandboxes/" + id + "/pause", null).status()).isEqualTo(204);
    Reply again = call("POST", "/sandboxes/" + id + "/pause", null);
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.body().get("code").asInt()).isEqualTo(409);
    assertThat(again.body().get("message").asText()).isNotBlank();
    assertThat(call("POST", "/sandboxes/" + id + "/timeout", "{\"timeout\":60}").status()).isEqualTo(404);
    assertThat(call("POST", "/sandboxes/" + id + "/connect", "{}").status()).isEqualTo(400);
    assertThat(call("POST", "/sandboxes/" + id + "/connect", "{\"timeout\":60}").status()).isEqualTo(201);
    assertThat(call("POST", "/sandboxes/" + id + "/connect", "{\"timeout\":60}").status()).isEqualTo(200);
    assertThat(call("POST", "/sandboxes/" + id + "/resume", "{\"timeout\":60}").status()).isEqualTo(409);
    assertThat(call("DELETE", "/sandboxes/" + id, null).status()).isEqualTo(204);
    assertThat(call("DELETE", "/sandboxes/" + id, null).status()).isEqualTo(404);
    assertThat(call("POST", "/sandboxes/" + id + "/connect", "{\"timeout\":60}").status()).isEqualTo(404);
  }

  @Test
  void endTimesPauseOrKillAndTheRunningLengthIsCapped() throws Exception {
    String paused = create("{\"templateID\":\"base\",\"timeout\":60,\"autoPause\":true}");
    String killed = create("{\"templateID\":\"base\",\"timeout\":60}");
    now.set(now.get().plusSeconds(61));
    assertThat(sim.stateOf(paused)).isEqualTo("paused");
    assertThat(call("GET", "/sandboxes/" + killed, null).status()).isEqualTo(404);

    String capped = create("{\"templateID\":\"base\",\"timeout\":3600}");
    now.set(now.get().plus(Duration.ofHours(23)).plusSeconds(30 * 60));
    Reply tooLong = call("POST", "/sandboxes/" + capped + "/timeout", "{\"timeout\":3600}");
    // the sandbox expired meanwhile (timeout 1 h), so E2B no longer has it
    assertThat(tooLong.status()).isEqualTo(404);
    String longRunner = create("{\"templateID\":\"base\",\"timeout\":86000,\"autoPause\":true}");
    now.set(now.get().plus(Duration.ofHours(23)));
    assertThat(call("POST", "/sandboxes/" + longRunner + "/timeout", "{\"timeout\":7200}").body().get("message").asText())
        .isEqualTo("Max instance length exceeded");
    assertThat(call("POST", "/sandboxes", "{\"templateID\":\"base\",\"timeout\":100000}").status()).isEqualTo(400);
  }

  @Test
  void listV2FiltersByStateAndMetadataAndPaginates() throws Exception {
    for (int i = 0; i < 5; i++) {
      create("{\"templateID\":\"base\",\"timeout\":600,\"metadata\":{\"project\":\"p1\",\"i\":\"" + i + "\"}}");
    }
    String other = create("{\"templateID\":\"base\",\"timeout\":600,\"metadata\":{\"project\":\"p2\"}}");
    call("POST", "/sandboxes/" + other + "/pause", null);
    Reply page1 = call("GET", "/v2/sandboxes?metadata=project%3Dp1&limit=3", null);
    assertThat(page1.body()).hasSize(3);
    String token = page1.raw().headers().firstValue("X-Next-Token").orElseThrow();
    Reply page2 = call("GET", "/v2/sandboxes?metadata=project%3Dp1&limit=3&nextToken=" + token, null);
    assertThat(page2.body()).hasSize(2);
    assertThat(page2.raw().headers().firstValue("X-Next-Token")).isEmpty();
    assertThat(call("GET", "/v2/sandboxes?state=paused", null).body()).hasSize(1);
    assertThat(call("GET", "/v2/sandboxes?state=sleeping", null).status()).isEqualTo(400);
    assertThat(call("GET", "/v2/sandboxes?limit=1000", null).status()).isEqualTo(400);
  }

  @Test
  void badRequestsAndMissingKeysGetE2bErrors() throws Exception {
    assertThat(call("POST", "/sandboxes", "{\"timeout\":5}").status()).isEqualTo(400);
    assertThat(call("POST", "/sandboxes", "not json").status()).isEqualTo(400);
    assertThat(call("POST", "/sandboxes", "{\"templateID\":\"b\",\"timeout\":-1}").status()).isEqualTo(400);
    HttpResponse<String> noKey = http.send(HttpRequest.newBuilder(URI.create(sim.url() + "/v2/sandboxes")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(noKey.statusCode()).isEqualTo(401);
    assertThat(json.readTree(noKey.body()).get("code").asInt()).isEqualTo(401);
  }

  @Test
  void injectedFaultsAnswerAndAreCounted() throws Exception {
    String id = create("{\"templateID\":\"base\",\"timeout\":600}");
    sim.inject(Fault.rateLimited("pause", 1, 3));
    Reply limited = call("POST", "/sandboxes/" + id + "/pause", null);
    assertThat(limited.status()).isEqualTo(429);
    assertThat(limited.raw().headers().firstValue("Retry-After")).contains("3");
    assertThat(call("POST", "/sandboxes/" + id + "/pause", null).status()).isEqualTo(204);
    assertThat(sim.count("pause", id)).isEqualTo(2);
    assertThat(sim.successes("pause", id)).isEqualTo(1);

    // (a POST: the JDK client would silently retry an idempotent GET once)
    sim.inject(Fault.reset("connect", 1));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> call("POST", "/sandboxes/" + id + "/connect", "{\"timeout\":60}"))
        .isInstanceOf(java.io.IOException.class);
    assertThat(call("POST", "/sandboxes/" + id + "/connect", "{\"timeout\":60}").status()).isEqualTo(201);
    assertThat(sim.calls()).extracting(E2bSimulator.Call::status).contains(0);
  }

  @Test
  void pausesTakeTimeInProportionToMemory() throws Exception {
    try (E2bSimulator slow = new E2bSimulator(E2bSimulator.Options.defaults().withPauseMillisPerGiB(800)).start(0)) {
      String id = slow.createSandbox("base", Duration.ofMinutes(5), true, java.util.Map.of());
      long started = System.nanoTime();
      HttpResponse<String> paused = http.send(HttpRequest.newBuilder(URI.create(slow.url() + "/sandboxes/" + id + "/pause"))
          .header("X-API-Key", KEY).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(paused.statusCode()).isEqualTo(204);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(390)); // 512 MiB
    }
  }
}
