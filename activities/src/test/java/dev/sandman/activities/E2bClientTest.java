package dev.sandman.activities;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandman.workflows.E2bView;
import dev.sandman.workflows.FailureType;
import io.temporal.failure.ApplicationFailure;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The E2B client and the activities over real HTTP, status code by status code. */
class E2bClientTest {
  private static final String KEY = "e2b_secret_key_do_not_log_0123456789";
  private MockWebServer server;
  private E2bClient client;
  private E2bSandboxActivities activities;

  @BeforeEach
  void start() throws Exception {
    server = new MockWebServer();
    server.start();
    client = new E2bClient(E2bConfig.of(server.url("/").toString(), KEY).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(3)));
    activities = new E2bSandboxActivities(client);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private void answer(int code, String body) {
    MockResponse.Builder response = new MockResponse.Builder().code(code);
    if (body != null) {
      response.body(body).addHeader("Content-Type", "application/json");
    }
    server.enqueue(response.build());
  }

  private RecordedRequest taken() throws InterruptedException {
    return server.takeRequest(1, TimeUnit.SECONDS);
  }

  @Test
  void pauseSendsTheKeyAndSucceedsOn204() throws Exception {
    answer(204, null);
    assertThat(activities.pause("sb1").state()).isEqualTo(E2bView.PAUSED);
    RecordedRequest request = taken();
    assertThat(request.getMethod()).isEqualTo("POST");
    assertThat(request.getUrl().encodedPath()).isEqualTo("/sandboxes/sb1/pause");
    assertThat(request.getHeaders().get("X-API-Key")).isEqualTo(KEY);
  }

  @Test
  void pause409AlreadyPausedIsSuccessAfterAskingE2b() throws Exception {
    answer(409, "{\"code\":409,\"message\":\"Sandbox is already paused\"}");
    answer(200, detail("sb1", "paused"));
    assertThat(activities.pause("sb1").state()).isEqualTo(E2bView.PAUSED);
    assertThat(taken().getUrl().encodedPath()).isEqualTo("/sandboxes/sb1/pause");
    assertThat(taken().getMethod()).isEqualTo("GET");
  }

  @Test
  void pause409WhileStillRunningIsARetryableConflict() {
    answer(409, "{\"code\":409,\"message\":\"Sandbox is changing state\"}");
    answer(200, detail("sb1", "running"));
    ApplicationFailure failure = catchFailure(() -> activities.pause("sb1"));
    assertThat(failure.getType()).isEqualTo(FailureType.E2B_CONFLICT.name());
    assertThat(failure.isNonRetryable()).isFalse();
  }

  @ParameterizedTest(name = "{0} -> {1}, nonRetryable={2}")
  @CsvSource({
    "400, E2B_REJECTED, true",
    "401, E2B_REJECTED, true",
    "403, E2B_REJECTED, true",
    "404, SANDBOX_GONE, true",
    "429, E2B_RATE_LIMITED, false",
    "500, E2B_UNAVAILABLE, false",
    "502, E2B_UNAVAILABLE, false",
    "503, E2B_UNAVAILABLE, false",
    "504, E2B_UNAVAILABLE, false"
  })
  void statusCodesMapToFailureTypes(int code, String type, boolean nonRetryable) {
    answer(code, "{\"code\":" + code + ",\"message\":\"E2B says " + code + "\"}");
    ApplicationFailure failure = catchFailure(() -> activities.kill("sb1"));
    if (code == 404) {
      // kill of a sandbox that is not there: nothing to kill, which is success
      assertThat(failure).isNull();
      return;
    }
    assertThat(failure.getType()).isEqualTo(type);
    assertThat(failure.isNonRetryable()).isEqualTo(nonRetryable);
    assertThat(failure.getOriginalMessage()).contains("E2B says " + code).doesNotContain(KEY);
  }

  @Test
  void describe404IsSandboxGone() {
    answer(404, "{\"code\":404,\"message\":\"Sandbox not found\"}");
    ApplicationFailure failure = catchFailure(() -> activities.describe("sb1"));
    assertThat(failure.getType()).isEqualTo(FailureType.SANDBOX_GONE.name());
    assertThat(failure.isNonRetryable()).isTrue();
  }

  @Test
  void rateLimitHonoursRetryAfterSecondsAndDates() {
    server.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "7").body("{\"code\":429,\"message\":\"slow down\"}").build());
    assertThat(catchFailure(() -> activities.describe("sb1")).getNextRetryDelay()).isEqualTo(Duration.ofSeconds(7));
    server.enqueue(new MockResponse.Builder().code(429).body("{\"code\":429,\"message\":\"slow down\"}").build());
    assertThat(catchFailure(() -> activities.describe("sb1")).getNextRetryDelay()).isNull();
    assertThat(E2bClient.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).isEqualTo(Duration.ZERO);
    assertThat(E2bClient.retryAfter("nonsense")).isNull();
  }

  @Test
  void aSlowAnswerPastTheClientTimeoutIsRetryable() {
    server.enqueue(new MockResponse.Builder().code(200).body(detail("sb1", "running")).headersDelay(3, TimeUnit.SECONDS).build());
    ApplicationFailure failure = catchFailure(() -> activities.describe("sb1"));
    assertThat(failure.getType()).isEqualTo(FailureType.E2B_UNAVAILABLE.name());
    assertThat(failure.isNonRetryable()).isFalse();
    assertThat(failure.getOriginalMessage()).contains("timed out");
  }

  @Test
  void pausesGetTheLongerTimeout() {
    server.enqueue(new MockResponse.Builder().code(204).headersDelay(2500, TimeUnit.MILLISECONDS).build());
    assertThat(activities.pause("sb1").state()).isEqualTo(E2bView.PAUSED); // request timeout 2 s, pause 3 s
  }

  @Test
  void aNonJsonErrorBodyIsKeptAsText() {
    server.enqueue(new MockResponse.Builder().code(502).body("<html>Bad Gateway</html>").build());
    ApplicationFailure failure = catchFailure(() -> activities.describe("sb1"));
    assertThat(failure.getType()).isEqualTo(FailureType.E2B_UNAVAILABLE.name());
    assertThat(failure.getOriginalMessage()).contains("502", "Bad Gateway");
  }

  @Test
  void connectReportsResumedAndComputesTheEndTime() throws Exception {
    answer(201, sandbox("sb1"));
    Instant before = Instant.now();
    E2bView view = activities.connect("sb1", 600);
    assertThat(view.state()).isEqualTo(E2bView.RUNNING);
    assertThat(view.endAt()).isBetween(before.plusSeconds(600), Instant.now().plusSeconds(600));
    assertThat(taken().getBody().utf8()).isEqualTo("{\"timeout\":600}");
    answer(200, sandbox("sb1"));
    assertThat(client.connect("sb1", 60).resumed()).isFalse();
  }

  @Test
  void connect404IsSandboxGoneAnd409IsRetryable() {
    answer(404, "{\"code\":404,\"message\":\"Paused sandbox sb1 not found\"}");
    assertThat(catchFailure(() -> activities.connect("sb1", 60)).getType()).isEqualTo(FailureType.SANDBOX_GONE.name());
    answer(409, "{\"code\":409,\"message\":\"being killed\"}");
    assertThat(catchFailure(() -> activities.connect("sb1", 60)).isNonRetryable()).isFalse();
  }

  @Test
  void setTimeout404AsksWhetherPausedOrGone() throws Exception {
    answer(404, "{\"code\":404,\"message\":\"not running\"}");
    answer(200, detail("sb1", "paused"));
    assertThat(activities.setTimeout("sb1", 60).state()).isEqualTo(E2bView.PAUSED);

    answer(404, "{\"code\":404,\"message\":\"not running\"}");
    answer(404, "{\"code\":404,\"message\":\"not found\"}");
    assertThat(catchFailure(() -> activities.setTimeout("sb1", 60)).getType()).isEqualTo(FailureType.SANDBOX_GONE.name());
  }

  @Test
  void setTimeoutMaxLengthExceededIsRejected() {
    answer(400, "{\"code\":400,\"message\":\"Max instance length exceeded\"}");
    ApplicationFailure failure = catchFailure(() -> activities.setTimeout("sb1", 999999));
    assertThat(failure.getType()).isEqualTo(FailureType.E2B_REJECTED.name());
    assertThat(failure.getOriginalMessage()).contains("Max instance length exceeded");
  }

  @Test
  void createAndListSpeakE2bsFields() throws Exception {
    answer(201, sandbox("sbNew"));
    E2bSandbox created = client.create(new NewSandbox("base", 900, true, Map.of("project", "p1"), null));
    assertThat(created.sandboxId()).isEqualTo("sbNew");
    String body = taken().getBody().utf8();
    assertThat(body).contains("\"templateID\":\"base\"", "\"timeout\":900", "\"autoPause\":true", "\"metadata\":{\"project\":\"p1\"}");

    server.enqueue(new MockResponse.Builder().code(200).addHeader("X-Next-Token", "abc")
        .body("[" + detail("a", "running") + "," + detail("b", "paused") + "]").build());
    E2bClient.Page page = client.list(List.of("running", "paused"), Map.of("project", "p 1"), 50, null);
    assertThat(page.sandboxes()).extracting(E2bSandbox::state).containsExactly("running", "paused");
    assertThat(page.nextToken()).isEqualTo("abc");
    RecordedRequest request = taken();
    assertThat(request.getUrl().encodedPath()).isEqualTo("/v2/sandboxes");
    assertThat(request.getUrl().queryParameter("state")).isEqualTo("running,paused");
    assertThat(request.getUrl().queryParameter("metadata")).isEqualTo("project=p+1");
    assertThat(request.getUrl().queryParameter("limit")).isEqualTo("50");
  }

  @Test
  void idsAreEncodedIntoThePath() throws Exception {
    answer(204, null);
    activities.kill("../etc/passwd");
    assertThat(taken().getUrl().encodedPath()).isEqualTo("/sandboxes/..%2Fetc%2Fpasswd");
  }

  @Test
  void theApiKeyNeverAppearsInLogsOrConfigText() {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured));
    try {
      answer(401, "{\"code\":401,\"message\":\"Invalid API key\"}");
      catchFailure(() -> activities.describe("sb1"));
    } finally {
      System.setOut(original);
    }
    assertThat(captured.toString()).doesNotContain(KEY);
    assertThat(client.config().toString()).doesNotContain(KEY).contains("<set>");
  }

  @Test
  void baseUrlFollowsTheOfficialSdks() {
    assertThat(E2bConfig.fromEnv(Map.of()).baseUrl()).isEqualTo("https://api.e2b.app");
    assertThat(E2bConfig.fromEnv(Map.of("E2B_DOMAIN", "e2b.example.com")).baseUrl()).isEqualTo("https://api.e2b.example.com");
    assertThat(E2bConfig.fromEnv(Map.of("E2B_DOMAIN", "x.dev", "E2B_API_URL", "http://127.0.0.1:3000/")).baseUrl())
        .isEqualTo("http://127.0.0.1:3000");
    assertThatThrownBy(() -> E2bConfig.of(" ", null)).isInstanceOf(IllegalArgumentException.class);
  }

  private static ApplicationFailure catchFailure(Runnable call) {
    try {
      call.run();
      return null;
    } catch (ApplicationFailure failure) {
      return failure;
    }
  }

  private static String sandbox(String id) {
    return "{\"templateID\":\"base\",\"sandboxID\":\"" + id + "\",\"clientID\":\"c\",\"envdVersion\":\"0.2.0\"}";
  }

  private static String detail(String id, String state) {
    return "{\"templateID\":\"base\",\"sandboxID\":\"" + id + "\",\"clientID\":\"c\",\"envdVersion\":\"0.2.0\","
        + "\"startedAt\":\"2026-01-01T00:00:00Z\",\"endAt\":\"2026-01-01T00:10:00Z\",\"cpuCount\":2,\"memoryMB\":512,"
        + "\"diskSizeMB\":1024,\"state\":\"" + state + "\",\"metadata\":{}}";
  }

  @Test
  void aRedirectIsRefusedAndTheKeyNeverLeavesForAnotherHost() throws Exception {
    try (MockWebServer elsewhere = new MockWebServer()) {
      elsewhere.start();
      server.enqueue(new MockResponse.Builder().code(307).addHeader("Location", elsewhere.url("/sandboxes/sb1").toString()).build());
      assertThatThrownBy(() -> activities.describe("sb1")).isInstanceOfSatisfying(ApplicationFailure.class, failure -> {
        assertThat(failure.getType()).isEqualTo(FailureType.E2B_REJECTED.name());
        assertThat(failure.isNonRetryable()).isTrue();
      });
      assertThat(elsewhere.getRequestCount()).isZero();
    }
  }

  @Test
  void aWebhookRedirectIsAFailedDeliveryNotARepost() throws Exception {
    try (MockWebServer elsewhere = new MockWebServer()) {
      elsewhere.start();
      server.enqueue(new MockResponse.Builder().code(308).addHeader("Location", elsewhere.url("/steal").toString()).build());
      WebhookActivities hooks = new WebhookActivities(List.of(server.url("/hook").toString()), List.of("s".repeat(16)),
          java.time.Clock.systemUTC(), (type, ok) -> {});
      dev.sandman.workflows.SandboxEvent event = new dev.sandman.workflows.SandboxEvent("e1", dev.sandman.workflows.SandboxEvent.TRANSITION,
          "sb1", "p", "u", dev.sandman.workflows.SandboxState.PAUSED, Instant.now(), null, null, null);
      assertThatThrownBy(() -> hooks.deliver(event)).isInstanceOf(ApplicationFailure.class).hasMessageContaining("308");
      assertThat(elsewhere.getRequestCount()).isZero();
    }
  }
}
