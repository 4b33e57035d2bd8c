package dev.sandman.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandman.workflows.SandmanJson;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Short-lived tokens an app's backend hands to a browser: one user's, optionally one sandbox's, to read
 * (and, with {@code touch}, report activity), until they expire. {@code sbt1.<claims>.<HMAC-SHA256>},
 * signed with the first of the configured secrets and checked against any of them, so a secret is
 * rotated by adding the new one first and dropping the old one: every token it signed stops working.
 */
public final class BrowserTokens {
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(15);
  public static final Duration MAX_TTL = Duration.ofHours(1);
  public static final int MIN_SECRET_LENGTH = 32;
  private static final String PREFIX = "sbt1.";
  private static final ObjectMapper JSON = SandmanJson.mapper();

  /** What a token grants; read-only unless {@code touch}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Claims(@JsonProperty("u") String userId, @JsonProperty("s") String sandboxId,
      @JsonProperty("t") boolean touch, @JsonProperty("exp") long expiresAt) {}

  private final List<byte[]> secrets;
  private final Clock clock;

  public BrowserTokens(List<String> secrets, Clock clock) {
    if (secrets.isEmpty()) {
      throw new IllegalArgumentException("no secret for browser tokens");
    }
    for (String secret : secrets) {
      if (secret.length() < MIN_SECRET_LENGTH) {
        throw new IllegalArgumentException("a browser token secret must be at least " + MIN_SECRET_LENGTH + " characters");
      }
    }
    this.secrets = secrets.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
    this.clock = clock;
  }

  /** A token for {@code userId} (and {@code sandboxId} when not null), valid for {@code ttl}. */
  public String mint(String userId, String sandboxId, boolean touch, Duration ttl) {
    Claims claims = new Claims(userId, sandboxId, touch, clock.instant().plus(ttl).getEpochSecond());
    try {
      String body = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(claims));
      return body + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sign(secrets.get(0), body));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static boolean looksLikeOne(String token) {
    return token.startsWith(PREFIX);
  }

  /** The claims of a token signed with one of the secrets and not expired, else a 401. */
  Claims verify(String token) {
    int dot = token.lastIndexOf('.');
    if (dot <= PREFIX.length()) {
      throw invalid();
    }
    String body = token.substring(0, dot);
    byte[] signature;
    try {
      signature = Base64.getUrlDecoder().decode(token.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      throw invalid();
    }
    boolean signed = false;
    for (byte[] secret : secrets) {
      signed |= MessageDigest.isEqual(sign(secret, body), signature);
    }
    if (!signed) {
      throw invalid();
    }
    Claims claims;
    try {
      claims = JSON.readValue(Base64.getUrlDecoder().decode(body.substring(PREFIX.length())), Claims.class);
    } catch (java.io.IOException | IllegalArgumentException e) {
      throw invalid();
    }
    if (claims.userId() == null || !Instant.ofEpochSecond(claims.expiresAt()).isAfter(clock.instant())) {
      throw new ApiException(401, "unauthorized", "the browser token has expired: ask the app for a new one", null);
    }
    return claims;
  }

  private static ApiException invalid() {
    return new ApiException(401, "unauthorized", "invalid token", null);
  }

  private static byte[] sign(byte[] secret, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac.doFinal(body.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }
}
