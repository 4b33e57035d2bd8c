package dev.sandman.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The app's side: HTTP to the API replicas in turn, as behind a load balancer; a request whose replica
 * does not answer goes to the next one (what a load balancer's retry does), and is counted.
 */
final class AppClient {
  static final ObjectMapper JSON = new ObjectMapper();
  private final List<String> apis;
  private final String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final AtomicInteger next = new AtomicInteger();
  final LongAdder failedOver = new LongAdder();
  final LongAdder failed = new LongAdder();

  /** {@code replica}: which API answered (its index; -1: none did). */
  record Answer(int status, JsonNode body, int replica) {}

  AppClient(List<String> apis, String token) {
    this.apis = apis;
    this.token = token;
  }

  /** Tracks the E2B sandbox {@code sandboxId}, or creates a new one (the durable create) when it is null. */
  Answer track(String sandboxId, String projectId, String idleTimeout) {
    var body = JSON.createObjectNode().put("projectId", projectId).put("userId", "user-" + Math.floorMod(next.get(), 97));
    if (sandboxId == null) {
      body.put("template", "base");
    } else {
      body.put("sandboxId", sandboxId);
    }
    body.set("policy", JSON.createObjectNode().put("idleTimeout", idleTimeout));
    return send("POST", "/v1/sandboxes", body.toString());
  }

  Answer touch(String sandboxId) {
    return send("POST", "/v1/sandboxes/" + sandboxId + "/activity", "{}");
  }

  Answer status(String sandboxId) {
    return send("GET", "/v1/sandboxes/" + sandboxId, null);
  }

  /** One request, to the replicas in turn until one answers; a 5xx counts as no answer. */
  Answer send(String method, String path, String body) {
    int first = Math.floorMod(next.getAndIncrement(), apis.size());
    for (int i = 0; i < apis.size(); i++) {
      int replica = (first + i) % apis.size();
      String api = apis.get(replica);
      try {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api + path)).timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + token).header("Content-Type", "application/json");
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() < 500) {
          if (i > 0) {
            failedOver.increment();
          }
          String text = response.body();
          return new Answer(response.statusCode(), text.isEmpty() ? null : JSON.readTree(text), replica);
        }
      } catch (IOException e) {
        // this replica is down: the next one
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    failed.increment();
    return new Answer(0, null, -1);
  }
}
