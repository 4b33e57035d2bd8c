package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import dev.sandman.activities.E2bClient;
import dev.sandman.activities.E2bException;
import dev.sandman.activities.NewSandbox;
import dev.sandman.e2bsim.E2bSimulator;
import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxWorkflow;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every request Sandman sends to E2B, and every answer the simulator gives, validated against E2B's
 * published OpenAPI document ({@code ../shared/reference/e2b-openapi.yml}, or E2B_OPENAPI_SPEC).
 */
class E2bContractTest {
  private static Path spec() {
    String configured = System.getenv("E2B_OPENAPI_SPEC");
    Path path = configured != null ? Path.of(configured) : Path.of("../../shared/reference/e2b-openapi.yml");
    Assumptions.assumeTrue(Files.isRegularFile(path), "E2B's OpenAPI document not found at " + path.toAbsolutePath());
    return path;
  }

  @Test
  void requestsAndAnswersFollowE2bsOpenApiDocument() throws Exception {
    OpenApiInteractionValidator validator =
        OpenApiInteractionValidator.createForSpecificationUrl(spec().toAbsolutePath().toUri().toString()).build();
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      t.sim.recordTraffic(true);

      // what the workflow's activities send: describe, timeout, pause, connect, kill
      String id = t.newSandbox();
      SandboxWorkflow workflow = t.track(id, Policy.defaults());
      t.sleep(Duration.ofMinutes(11));
      workflow.activity(ActivitySignal.now());
      t.awaitState(id, s -> s.state() == SandboxState.RUNNING, Duration.ofMillis(200), 50);
      t.sim.autoPauseNow(id);
      workflow.pause(ChangeRequest.none()); // 409, then a get
      workflow.kill(ChangeRequest.none());

      // what the client sends for create and list, and E2B's documented error answers
      E2bClient e2b = t.e2b;
      String created = e2b.create(new NewSandbox("base", 600, true, Map.of("project", "p 1"), null)).sandboxId();
      e2b.list(List.of("running", "paused"), Map.of("project", "p 1"), 10, null);
      e2b.pause(created);
      e2b.pause(created); // 409
      expect404(() -> e2b.setTimeout(created, 60)); // paused: 404
      e2b.connect(created, 300); // 201
      e2b.connect(created, 300); // 200
      e2b.setTimeout(created, 900);
      e2b.get(created);
      e2b.kill(created);
      expect404(() -> e2b.get(created));
      assertThat(e2b.kill(created)).isFalse(); // 404

      List<String> problems = new ArrayList<>();
      Set<String> covered = new TreeSet<>();
      for (E2bSimulator.Exchange exchange : t.sim.traffic()) {
        ValidationReport report = validator.validate(request(exchange), response(exchange));
        covered.add(exchange.method() + " " + exchange.path().replaceAll("^/sandboxes/[^/]+", "/sandboxes/{id}") + " " + exchange.status());
        for (ValidationReport.Message message : report.getMessages()) {
          if (message.getLevel() == ValidationReport.Level.ERROR) {
            problems.add(exchange.method() + " " + exchange.path() + " -> " + exchange.status() + ": " + message.getKey() + " " + message.getMessage());
          }
        }
      }
      assertThat(problems).isEmpty();
      assertThat(covered).contains(
          "GET /sandboxes/{id} 200", "POST /sandboxes/{id}/timeout 204", "POST /sandboxes/{id}/pause 204",
          "POST /sandboxes/{id}/pause 409", "POST /sandboxes/{id}/connect 201", "POST /sandboxes/{id}/connect 200",
          "DELETE /sandboxes/{id} 204", "DELETE /sandboxes/{id} 404", "GET /sandboxes/{id} 404",
          "POST /sandboxes 201", "GET /v2/sandboxes 200", "POST /sandboxes/{id}/timeout 404");
    }
  }

  private static void expect404(Runnable call) {
    try {
      call.run();
    } catch (E2bException e) {
      assertThat(e.status()).isEqualTo(404);
      return;
    }
    throw new AssertionError("expected a 404");
  }

  private static SimpleRequest request(E2bSimulator.Exchange exchange) {
    SimpleRequest.Builder builder = new SimpleRequest.Builder(Request.Method.valueOf(exchange.method()), exchange.path());
    exchange.requestHeaders().forEach(builder::withHeader);
    if (exchange.requestBody().length > 0) {
      builder.withBody(new String(exchange.requestBody(), StandardCharsets.UTF_8));
    }
    if (exchange.rawQuery() != null) {
      for (String pair : exchange.rawQuery().split("&")) {
        int eq = pair.indexOf('=');
        builder.withQueryParam(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return builder.build();
  }

  private static SimpleResponse response(E2bSimulator.Exchange exchange) {
    SimpleResponse.Builder builder = SimpleResponse.Builder.status(exchange.status());
    exchange.responseHeaders().forEach(builder::withHeader);
    if (exchange.responseBody().length > 0) {
      builder.withContentType("application/json").withBody(new String(exchange.responseBody(), StandardCharsets.UTF_8));
    }
    return builder.build();
  }
}
