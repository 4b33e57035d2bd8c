package dev.sandman.http;

import dev.sandman.starter.SandmanClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandman.http.HttpApi;
import dev.sandman.worker.SandmanTestEnv;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The test server, a worker, the E2B simulator, a client and the HTTP API on a free port. */
public final class ApiHarness implements AutoCloseable {
  public static final String ADMIN = "admin-token-for-tests-0123456789";
  public static final String APP = "app-token-for-tests-0123456789";

  public final SandmanTestEnv t;
  public final SandmanClient client;
  public final HttpApi api;
  public final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  public final ObjectMapper json = new ObjectMapper();

  public static final String BROWSER_SECRET = "browser-secret-for-tests-0123456789abcdef";
  public static final String ORIGIN = "https://app.example.com";
  public static final String E2B_WEBHOOK_SECRET = "e2b-webhook-secret-for-tests-0123456789";

  public ApiHarness() throws Exception {
    t = new SandmanTestEnv();
    client = new SandmanClient(t.client, SandmanClient.Options.defaults().withTaskQueue(SandmanTestEnv.TASK_QUEUE));
    api = start(client, java.util.List.of(BROWSER_SECRET));
  }

  /** Another API replica on the same Temporal, with browser token secrets of its own. */
  public HttpApi start(SandmanClient with, java.util.List<String> secrets) throws java.io.IOException {
    return HttpApi.start(with, new HttpApi.Config("127.0.0.1", 0, ADMIN, APP, HttpApi.Config.DEFAULT_MAX_BODY)
        .withBrowsers(secrets, java.util.List.of(ORIGIN)).withE2bWebhooks(java.util.List.of(E2B_WEBHOOK_SECRET)), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  public record Reply(int status, JsonNode body, String raw) {
    public String text(String field) {
      return body == null || body.get(field) == null ? null : body.get(field).asText();
    }
  }

  public Reply admin(String method, String path, String body) throws Exception {
    return call(method, path, body, "Authorization", "Bearer " + ADMIN);
  }

  public Reply app(String user, String method, String path, String body) throws Exception {
    return call(method, path, body, "Authorization", "Bearer " + APP, "X-Sandman-User", user);
  }

  public Reply call(String method, String path, String body, String... headers) throws Exception {
    return call(api.port(), method, path, body, headers);
  }

  public Reply call(int port, String method, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null && !java.util.Arrays.asList(headers).contains("Content-Type")) {
      request.header("Content-Type", "application/json");
    }
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode node = null;
    try {
      node = response.body().isEmpty() ? null : json.readTree(response.body());
    } catch (Exception notJson) {
      // metrics are text
    }
    return new Reply(response.statusCode(), node, response.body());
  }

  public String trackBody(String sandboxId, String project, String user) {
    return "{\"sandboxId\":\"" + sandboxId + "\",\"projectId\":\"" + project + "\",\"userId\":\"" + user + "\"}";
  }

  @Override
  public void close() {
    api.close();
    client.close();
    t.close();
  }
}
