package dev.sandman.activities;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sandman.workflows.EventActivities;
import dev.sandman.workflows.SandboxEvent;
import dev.sandman.workflows.SandmanJson;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs each event as JSON to every configured URL with
 * {@code X-Sandman-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">}. Fails (so the
 * workflow retries later) unless every URL answers 2xx; receivers dedupe by the event's id.
 */
public class WebhookActivities implements EventActivities {
  private static final Logger log = LoggerFactory.getLogger(WebhookActivities.class);
  private static final MediaType JSON = MediaType.get("application/json");

  /** Told of every delivery attempt per URL: ok or not. */
  public interface Listener {
    void onDelivery(String type, boolean ok);
  }

  private final List<String> urls;
  /** Each URL's own signing secret (the same one for all when the operator set one). */
  private final List<byte[]> secrets;
  private final OkHttpClient http;
  private final Clock clock;
  private final Listener listener;

  public WebhookActivities(List<String> urls, String secret, Clock clock, Listener listener) {
    this(urls, java.util.Collections.nCopies(urls.size(), secret), clock, listener);
  }

  /** With one secret per URL, in order: a receiver cannot replay what it got to another. */
  public WebhookActivities(List<String> urls, List<String> secrets, Clock clock, Listener listener) {
    if (secrets.size() != urls.size()) {
      throw new IllegalArgumentException("one webhook secret per URL");
    }
    this.urls = List.copyOf(urls);
    this.secrets = secrets.stream().map(secret -> secret.getBytes(StandardCharsets.UTF_8)).toList();
    this.clock = clock;
    this.listener = listener;
    this.http = new OkHttpClient.Builder()
        .connectTimeout(Duration.ofSeconds(5))
        .readTimeout(Duration.ofSeconds(10))
        .callTimeout(Duration.ofSeconds(20))
        .retryOnConnectionFailure(false)
        .followRedirects(false) // a redirect would re-post the signed event to another host
        .followSslRedirects(false)
        .build();
  }

  @Override
  public void deliver(SandboxEvent event) {
    byte[] body;
    try {
      body = SandmanJson.mapper().writeValueAsBytes(event);
    } catch (JsonProcessingException e) {
      throw ApplicationFailure.newNonRetryableFailure("event cannot be encoded: " + e.getMessage(), "EVENT_ENCODING");
    }
    long t = clock.instant().getEpochSecond();
    for (int i = 0; i < urls.size(); i++) {
      String url = urls.get(i);
      Request request = signedPost(url, secrets.get(i), t, event, body);
      try (Response response = http.newCall(request).execute()) {
        boolean ok = response.isSuccessful();
        listener.onDelivery(event.type(), ok);
        if (!ok) {
          throw ApplicationFailure.newFailure("webhook " + redact(url) + " answered " + response.code(), "WEBHOOK_FAILED");
        }
      } catch (IOException e) {
        listener.onDelivery(event.type(), false);
        throw ApplicationFailure.newFailure("webhook " + redact(url) + " unreachable: " + e.getMessage(), "WEBHOOK_FAILED");
      }
    }
    log.debug("event {} {} delivered to {} endpoint(s)", event.type(), event.id(), urls.size());
  }

  /** The POST of {@code event} (encoded as {@code body}) to {@code url}, signed at Unix second {@code t}: every event and the pre-pause hook. */
  static Request signedPost(String url, byte[] secret, long t, SandboxEvent event, byte[] body) {
    return new Request.Builder().url(url)
        .header("X-Sandman-Signature", "t=" + t + ",v1=" + sign(secret, t, body))
        .header("X-Sandman-Event-Id", event.id())
        .header("X-Sandman-Event-Type", event.type())
        .post(RequestBody.create(body, JSON))
        .build();
  }

  /** hex(HMAC-SHA256(secret, "<t>.<body>")). */
  public static String sign(byte[] secret, long t, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      mac.update((t + ".").getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** URLs may carry credentials in their query: log scheme, host and path only. */
  static String redact(String url) {
    okhttp3.HttpUrl parsed = okhttp3.HttpUrl.parse(url);
    return parsed == null ? "<invalid url>" : parsed.scheme() + "://" + parsed.host() + ":" + parsed.port() + parsed.encodedPath();
  }
}
