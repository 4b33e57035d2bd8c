package dev.sandman.e2bsim;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * E2B's lifecycle webhooks as E2B sends them: registered with {@code POST /events/webhooks}
 * ({@code {name, url, enabled, events, signatureSecret}}), delivered as a JSON POST with
 * {@code e2b-webhook-id}, {@code e2b-delivery-id}, {@code e2b-signature-version: v1} and
 * {@code e2b-signature} (base64 of SHA-256 over the secret followed by the raw body, {@code =} removed),
 * one delivery per event and webhook, retried a few times while the receiver fails.
 */
final class SimWebhooks {
  record Webhook(String id, String name, String url, boolean enabled, List<String> events, String signatureSecret) {}

  /** One delivery attempt and how the receiver answered (0: not reached). */
  record Delivery(String eventId, String type, String sandboxId, String url, int status) {}

  private final ObjectMapper json;
  private final Map<String, Webhook> webhooks = new ConcurrentHashMap<>();
  private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final ExecutorService senders = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "e2b-sim-webhooks");
    t.setDaemon(true);
    return t;
  });

  SimWebhooks(ObjectMapper json) {
    this.json = json;
  }

  Webhook register(String name, String url, boolean enabled, List<String> events, String secret) {
    Webhook webhook = new Webhook(UUID.randomUUID().toString(), name, url, enabled, List.copyOf(events), secret);
    webhooks.put(webhook.id(), webhook);
    return webhook;
  }

  List<Map<String, Object>> list() {
    List<Map<String, Object>> shown = new ArrayList<>();
    webhooks.values().forEach(w -> shown.add(Map.of("id", w.id(), "name", w.name(), "url", w.url(), "enabled", w.enabled(),
        "events", w.events())));
    return shown;
  }

  boolean remove(String id) {
    return webhooks.remove(id) != null;
  }

  List<Delivery> deliveries() {
    return List.copyOf(deliveries);
  }

  /** Sends {@code sandbox.lifecycle.<change>} for the sandbox to every enabled webhook that wants it. */
  void emit(String change, SimSandbox sandbox, Instant at) {
    String type = "sandbox.lifecycle." + change;
    String eventId = UUID.randomUUID().toString();
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("version", "v1");
    event.put("id", eventId);
    event.put("type", type);
    event.put("eventData", sandbox.metadata.isEmpty() ? null : Map.of("sandbox_metadata", sandbox.metadata));
    event.put("sandboxBuildId", "sim-build-" + sandbox.templateId);
    event.put("sandboxExecutionId", sandbox.sandboxId + "-" + sandbox.startedAt.toEpochMilli());
    event.put("sandboxId", sandbox.sandboxId);
    event.put("sandboxTeamId", "sim-team");
    event.put("sandboxTemplateId", sandbox.templateId);
    event.put("timestamp", at.toString());
    byte[] body;
    try {
      body = json.writeValueAsBytes(event);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    for (Webhook webhook : webhooks.values()) {
      if (webhook.enabled() && (webhook.events().isEmpty() || webhook.events().contains(type))) {
        senders.execute(() -> deliver(webhook, eventId, type, sandbox.sandboxId, body));
      }
    }
  }

  private void deliver(Webhook webhook, String eventId, String type, String sandboxId, byte[] body) {
    for (int attempt = 1; attempt <= 3; attempt++) {
      int status = 0;
      try {
        HttpRequest request = HttpRequest.newBuilder(URI.create(webhook.url())).timeout(Duration.ofSeconds(5))
            .header("Content-Type", "application/json")
            .header("e2b-webhook-id", webhook.id())
            .header("e2b-delivery-id", UUID.randomUUID().toString())
            .header("e2b-signature-version", "v1")
            .header("e2b-signature", signature(webhook.signatureSecret(), body))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (java.io.IOException e) {
        // not reached: tried again
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      deliveries.add(new Delivery(eventId, type, sandboxId, webhook.url(), status));
      if (status >= 200 && status < 300) {
        return;
      }
      try {
        Thread.sleep(200L * attempt);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** E2B's signature: base64 of SHA-256 over secret + body, without the trailing padding. */
  static String signature(String secret, byte[] body) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(secret.getBytes(StandardCharsets.UTF_8));
      sha.update(body);
      return Base64.getEncoder().encodeToString(sha.digest()).replaceAll("=+$", "");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
