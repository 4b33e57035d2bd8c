package dev.sandman.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The console's files (served without a token, under a policy that allows no inline script), and readiness. */
class ConsoleTest {
  private ApiHarness h;

  @BeforeEach
  void start() throws Exception {
    h = new ApiHarness();
  }

  @AfterEach
  void stop() {
    h.close();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return h.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.api.port() + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void thePageAndItsFilesAreServedUnderAStrictPolicy() throws Exception {
    HttpResponse<String> page = get("/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
    assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue(Console.POLICY);
    assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    assertThat(page.body()).contains("<script src=\"/console.js\" defer></script>").doesNotContain("<script>").doesNotContain("style=");
    assertThat(get("/console.js").headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/javascript"));
    assertThat(get("/console.css").statusCode()).isEqualTo(200);
    assertThat(get("/console.map").statusCode()).isEqualTo(404);
  }

  @Test
  void readinessSaysWhetherTemporalAnswers() throws Exception {
    HttpResponse<String> ready = get("/readyz");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("\"ready\"");
    io.temporal.serviceclient.WorkflowServiceStubs nowhere = io.temporal.serviceclient.WorkflowServiceStubs.newServiceStubs(
        io.temporal.serviceclient.WorkflowServiceStubsOptions.newBuilder().setTarget("127.0.0.1:1").build());
    try (dev.sandman.starter.SandmanClient lost = new dev.sandman.starter.SandmanClient(
        io.temporal.client.WorkflowClient.newInstance(nowhere), dev.sandman.starter.SandmanClient.Options.defaults());
         HttpApi api = h.start(lost, java.util.List.of())) {
      long started = System.nanoTime();
      HttpResponse<String> notReady = h.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/readyz")).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(notReady.statusCode()).isEqualTo(503);
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).isLessThan(java.time.Duration.ofSeconds(5));
      assertThat(h.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/healthz")).GET().build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).as("alive all the same").isEqualTo(200);
    } finally {
      nowhere.shutdownNow();
    }
  }

  @Test
  void theScriptNeverPutsApiDataIntoMarkup() throws Exception {
    String script = get("/console.js").body();
    assertThat(script).doesNotContain("innerHTML").doesNotContain("outerHTML").doesNotContain("insertAdjacentHTML")
        .doesNotContain("document.write").doesNotContain("eval(");
  }
}
