package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The worker's probes: alive while it polls, ready only while Temporal answers too. */
class HttpEndpointsTest {
  private static int status(HttpEndpoints http, String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  @Test
  void readinessFollowsTemporalAndLivenessTheWorker() throws Exception {
    AtomicBoolean temporalAnswers = new AtomicBoolean(true);
    try (HttpEndpoints http = new HttpEndpoints("127.0.0.1", 0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        () -> true, temporalAnswers::get)) {
      assertThat(status(http, "/healthz")).isEqualTo(200);
      assertThat(status(http, "/readyz")).isEqualTo(200);
      temporalAnswers.set(false);
      assertThat(status(http, "/readyz")).isEqualTo(503);
      assertThat(status(http, "/healthz")).isEqualTo(200);
    }
  }

  @Test
  void aTemporalThatIsNotThereIsNotReachable() {
    io.temporal.serviceclient.WorkflowServiceStubs nowhere = io.temporal.serviceclient.WorkflowServiceStubs.newServiceStubs(
        io.temporal.serviceclient.WorkflowServiceStubsOptions.newBuilder().setTarget("127.0.0.1:1").build());
    try (SandmanTestEnv t = new SandmanTestEnv()) {
      assertThat(dev.sandman.workflows.Executions.reachable(t.env.getWorkflowServiceStubs(), Duration.ofSeconds(2))).isTrue();
      assertThat(dev.sandman.workflows.Executions.reachable(nowhere, Duration.ofSeconds(2))).isFalse();
    } finally {
      nowhere.shutdownNow();
    }
  }
}
