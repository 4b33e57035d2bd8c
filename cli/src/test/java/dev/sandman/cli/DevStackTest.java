package dev.sandman.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandman.worker.Env;
import dev.sandman.workflows.Policy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Dev mode's stack as a newcomer uses it: HTTP with a short idle timeout, and the CLI against its Temporal. */
class DevStackTest {
  private static final String ADMIN = "dev-stack-admin-token-0123456789";
  private static DevStack stack;
  private static final HttpClient http = HttpClient.newHttpClient();
  private static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    stack = DevStack.start(new Env(Map.of()), new DevStack.Settings("127.0.0.1", freePort(), 0, 0,
        new Policy(Duration.ofSeconds(2), null, null), ADMIN, "dev-stack-app-token-0123456789"));
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private JsonNode api(String method, String path, String body) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(stack.httpUrl() + path))
        .header("Authorization", "Bearer " + ADMIN)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
    return json.readTree(response.body());
  }

  private String awaitState(String id, String state) throws Exception {
    String seen = null;
    for (int i = 0; i < 80 && !state.equals(seen); i++) {
      seen = api("GET", "/v1/sandboxes/" + id, null).get("state").asText();
      Thread.sleep(100);
    }
    return seen;
  }

  @Test
  void anIdleSandboxPausesAndActivityWakesIt() throws Exception {
    String id = stack.sim.createSandbox("base", Duration.ofMinutes(10), true, Map.of());
    JsonNode tracked = api("POST", "/v1/sandboxes", "{\"sandboxId\":\"" + id + "\",\"projectId\":\"demo\",\"userId\":\"me\"}");
    assertThat(tracked.get("policy").get("idleTimeout").asText()).isEqualTo("PT2S"); // the dev default
    assertThat(awaitState(id, "PAUSED")).isEqualTo("PAUSED");
    assertThat(stack.sim.stateOf(id)).isEqualTo("paused");
    api("POST", "/v1/sandboxes/" + id + "/activity", null);
    assertThat(awaitState(id, "RUNNING")).isEqualTo("RUNNING");
    assertThat(stack.sim.stateOf(id)).isEqualTo("running");
  }

  private record Run(int code, String out, String err) {}

  private Run cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = SandmanCli.run(new Env(Map.of("TEMPORAL_ADDRESS", stack.temporalAddress())),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), args);
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void theCliDrivesASandboxWithTablesJsonAndExitCodes() throws Exception {
    String id = stack.sim.createSandbox("base", Duration.ofMinutes(10), true, Map.of());
    Run tracked = cli("track", id, "--project", "cli-demo", "--user", "me", "--idle-timeout", "PT1H", "--meta", "branch=main");
    assertThat(tracked.code()).as(tracked.err()).isZero();
    assertThat(tracked.out()).contains("tracking " + id, "RUNNING");
    assertThat(cli("track", id, "--project", "cli-demo", "--user", "me").out()).contains("already tracked");

    Run status = cli("--json", "status", id);
    assertThat(status.code()).isZero();
    JsonNode node = json.readTree(status.out());
    assertThat(node.get("state").asText()).isEqualTo("RUNNING");
    assertThat(node.get("metadata").get("branch").asText()).isEqualTo("main");

    assertThat(cli("touch", id).code()).isZero();
    assertThat(cli("list", "--project", "cli-demo").out()).contains(id, "RUNNING", "SANDBOX");
    Run paused = cli("pause", id, "--reason", "from the cli");
    assertThat(paused.code()).isZero();
    assertThat(paused.out()).contains("PAUSED", "request");
    assertThat(cli("policy", id, "--idle-timeout", "PT30M").out()).contains("idle 30m");
    assertThat(cli("resume", id).out()).contains("RUNNING");
    assertThat(cli("kill", id).code()).isZero();
    assertThat(cli("kill", id).code()).as("a second kill succeeds: kill is idempotent").isZero();

    assertThat(cli("pause", id).code()).isEqualTo(SandmanCli.CONFLICT);
    Run unknown = cli("status", "never-tracked");
    assertThat(unknown.code()).isEqualTo(SandmanCli.NOT_FOUND);
    assertThat(unknown.err()).contains("not tracked");
    assertThat(cli("track", id).code()).isEqualTo(SandmanCli.BAD_INPUT); // --project and --user missing
    assertThat(cli("policy", id).code()).isEqualTo(SandmanCli.BAD_INPUT);
    assertThat(cli("policy", id, "--idle-timeout", "ten minutes").code()).isEqualTo(SandmanCli.BAD_INPUT);
    assertThat(cli("track", "../etc", "--project", "p", "--user", "u").code()).isEqualTo(SandmanCli.BAD_INPUT);
    assertThat(cli("touch", id, "--at", "yesterday").code()).isEqualTo(SandmanCli.BAD_INPUT);
    assertThat(cli("list", "--page-size", "0").code()).isEqualTo(SandmanCli.BAD_INPUT);
  }
}
