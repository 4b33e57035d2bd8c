package dev.sandman.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandman.http.Wire.Reply;
import dev.sandman.starter.SandmanClient;
import dev.sandman.starter.Validation;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /v1/e2b/events}: E2B's lifecycle webhooks. Authenticated by E2B's signature (base64 of
 * SHA-256 over a configured secret and the raw body), not by a token. E2B signs no time, so an event is
 * taken only while fresh ({@link #FRESH}) and once per id (this replica remembers the last ids; the
 * workflow remembers its own); a stale, forged or unsigned one is 401 and changes nothing.
 */
final class E2bEvents {
  static final Duration FRESH = Duration.ofMinutes(10);
  private static final int REMEMBERED = 10_000;
  private static final Set<String> TYPES = Set.of("created", "updated", "paused", "resumed", "killed");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SandmanClient client;
  private final List<byte[]> secrets;
  private final Clock clock;
  private final Map<String, Boolean> seen = java.util.Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > REMEMBERED;
    }
  });

  E2bEvents(SandmanClient client, List<String> secrets, Clock clock) {
    this.client = client;
    this.secrets = secrets.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
    this.clock = clock;
  }

  Reply receive(Call call) {
    if (secrets.isEmpty()) {
      throw new ApiException(409, "conflict", "E2B webhooks are off on this server: set SANDMAN_E2B_WEBHOOK_SECRET", null);
    }
    String signature = call.header("e2b-signature");
    if (signature == null || !"v1".equals(call.header("e2b-signature-version")) || !signedByUs(signature.trim(), call.body())) {
      throw new ApiException(401, "unauthorized", "missing or invalid e2b-signature", "e2b-signature");
    }
    JsonNode event;
    try {
      event = JSON.readTree(call.body());
    } catch (java.io.IOException e) {
      throw ApiException.badRequest("bad_json", "the event is not JSON", null);
    }
    String id = text(event, "id");
    String type = text(event, "type");
    String sandboxId = text(event, "sandboxId");
    Instant at;
    try {
      at = Instant.parse(text(event, "timestamp"));
    } catch (RuntimeException e) {
      throw ApiException.badRequest("invalid_argument", "timestamp must be an RFC 3339 time", "timestamp");
    }
    Instant now = clock.instant();
    if (at.isBefore(now.minus(FRESH)) || at.isAfter(now.plus(Duration.ofMinutes(1)))) {
      throw new ApiException(401, "unauthorized", "the event is not fresh (" + at + "): a replay is refused", "timestamp");
    }
    if (!type.startsWith("sandbox.lifecycle.") || !TYPES.contains(type.substring("sandbox.lifecycle.".length()))) {
      return Reply.json(202, Map.of("accepted", true, "outcome", "ignored: " + Body.printable(type)));
    }
    Validation.sandboxId(sandboxId);
    if (seen.putIfAbsent(id, Boolean.TRUE) != null) {
      return Reply.json(200, Map.of("accepted", true, "outcome", "duplicate"));
    }
    try {
      SandmanClient.NoticeOutcome outcome = client.noticeE2b(sandboxId, id, type.substring("sandbox.lifecycle.".length()), at,
          event.path("sandboxTemplateId").isTextual() ? event.get("sandboxTemplateId").asText() : null, metadata(event));
      return Reply.json(202, Map.of("accepted", true, "outcome", outcome.name().toLowerCase(java.util.Locale.ROOT)));
    } catch (RuntimeException e) {
      seen.remove(id); // not taken: E2B's redelivery may try again
      throw e;
    }
  }

  /** {@code eventData.sandbox_metadata}, its string values; null when there is none. */
  private static Map<String, String> metadata(JsonNode event) {
    JsonNode given = event.path("eventData").path("sandbox_metadata");
    if (!given.isObject()) {
      return null;
    }
    Map<String, String> metadata = new java.util.TreeMap<>();
    given.fields().forEachRemaining(f -> {
      if (f.getValue().isTextual()) {
        metadata.put(f.getKey(), f.getValue().asText());
      }
    });
    return metadata;
  }

  private static String text(JsonNode event, String field) {
    JsonNode value = event.get(field);
    if (value == null || !value.isTextual() || value.asText().isEmpty() || value.asText().length() > 200) {
      throw ApiException.badRequest("invalid_argument", field + " is required", field);
    }
    return value.asText();
  }

  private boolean signedByUs(String signature, byte[] body) {
    byte[] given = signature.getBytes(StandardCharsets.UTF_8);
    boolean ok = false;
    for (byte[] secret : secrets) {
      ok |= MessageDigest.isEqual(sign(secret, body).getBytes(StandardCharsets.UTF_8), given);
    }
    return ok;
  }

  /** E2B's signature: base64 of SHA-256 over secret + body, the trailing {@code =} removed. */
  static String sign(byte[] secret, byte[] body) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(secret);
      sha.update(body);
      return Base64.getEncoder().encodeToString(sha.digest()).replaceAll("=+$", "");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
