package dev.sandman.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandman.activities.E2bConfig;
import dev.sandman.worker.Env;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sandman e2b-webhook register --url URL}: asks E2B to send its lifecycle events to Sandman's API. */
@Command(name = "e2b-webhook", description = "Register Sandman's receiver (POST /v1/e2b/events) with E2B's lifecycle webhooks.",
    subcommands = {E2bWebhookCommand.Register.class})
final class E2bWebhookCommand {
  static final List<String> EVENTS = List.of("sandbox.lifecycle.created", "sandbox.lifecycle.updated", "sandbox.lifecycle.paused",
      "sandbox.lifecycle.resumed", "sandbox.lifecycle.killed");

  @Command(name = "register", description = "E2B_API_KEY and SANDMAN_E2B_WEBHOOK_SECRET from the environment.")
  static final class Register implements Callable<Integer> {
    @Option(names = "--url", required = true, paramLabel = "URL", description = "where E2B reaches the API, e.g. https://sandman.example.com/v1/e2b/events")
    String url;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "sandman")
    String name;

    @Override
    public Integer call() throws Exception {
      Env env = Env.system();
      String secret = env.get("SANDMAN_E2B_WEBHOOK_SECRET", null);
      if (secret == null || secret.length() < 16) {
        throw new Env.ConfigException("set SANDMAN_E2B_WEBHOOK_SECRET (16+ characters) here and on the API: E2B signs with it");
      }
      if (!url.startsWith("https://") && !url.startsWith("http://127.0.0.1") && !url.startsWith("http://localhost")) {
        throw new Env.ConfigException("--url must be https (E2B posts signed events to it)");
      }
      E2bConfig e2b = E2bConfig.fromEnv(env.asMap());
      byte[] body = new ObjectMapper().writeValueAsBytes(Map.of("name", name, "url", url, "enabled", true, "events", EVENTS,
          "signatureSecret", secret));
      HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(e2b.baseUrl() + "/events/webhooks"))
          .timeout(Duration.ofSeconds(30)).header("X-API-Key", e2b.apiKey()).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
      if (answer.statusCode() / 100 != 2) {
        System.err.println("sandman: E2B refused the webhook (" + answer.statusCode() + "): " + answer.body());
        return SandmanCli.FAILED;
      }
      System.out.println("registered with E2B: " + answer.body());
      return SandmanCli.OK;
    }
  }
}
