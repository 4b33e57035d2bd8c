package dev.sandman.activities;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sandman.workflows.PrePauseActivities;
import dev.sandman.workflows.PrePauseAnswer;
import dev.sandman.workflows.SandboxEvent;
import dev.sandman.workflows.SandmanJson;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs {@code sandbox.pausing} to the operator's hook URL, signed as events are
 * ({@code X-Sandman-Signature}), and waits for its answer until the event's deadline: 2xx is ok, 409
 * asks for time, anything else (or nothing) is a failure the pause goes ahead after.
 */
public final class PrePauseHookActivities implements PrePauseActivities {
  private static final Logger log = LoggerFactory.getLogger(PrePauseHookActivities.class);

  private final String url;
  private final byte[] secret;
  private final Clock clock;
  private final OkHttpClient http;

  public PrePauseHookActivities(String url, String secret, Clock clock) {
    this.url = url;
    this.secret = secret.getBytes(StandardCharsets.UTF_8);
    this.clock = clock;
    this.http = new OkHttpClient.Builder()
        .connectTimeout(Duration.ofSeconds(5))
        // one ask per pause: a pooled connection the app's server has since closed would fail it, so none is kept
        .connectionPool(new okhttp3.ConnectionPool(0, 1, java.util.concurrent.TimeUnit.SECONDS))
        .retryOnConnectionFailure(false)
        .followRedirects(false) // a redirect would re-post the signed event to another host
        .followSslRedirects(false)
        .build();
  }

  @Override
  public PrePauseAnswer ask(SandboxEvent pausing) {
    byte[] body;
    try {
      body = SandmanJson.mapper().writeValueAsBytes(pausing);
    } catch (JsonProcessingException e) {
      return PrePauseAnswer.reply(PrePauseAnswer.FAILED, "event cannot be encoded");
    }
    Duration wait = Duration.between(clock.instant(), pausing.deadline());
    if (wait.isNegative() || wait.isZero()) {
      return PrePauseAnswer.reply(PrePauseAnswer.TIMEOUT, "asked after its deadline"); // a retry after the wait ran out
    }
    Request request = WebhookActivities.signedPost(url, secret, clock.instant().getEpochSecond(), pausing, body);
    OkHttpClient bounded = http.newBuilder().callTimeout(wait).readTimeout(wait).build();
    try (Response response = bounded.newCall(request).execute()) {
      int code = response.code();
      log.info("sandbox {}: pre-pause hook answered {}", pausing.sandboxId(), code);
      if (response.isSuccessful()) {
        return PrePauseAnswer.reply(PrePauseAnswer.OK, "answered " + code);
      }
      return PrePauseAnswer.reply(code == 409 ? PrePauseAnswer.DEFERRED : PrePauseAnswer.FAILED, "answered " + code);
    } catch (InterruptedIOException e) {
      long seconds = Duration.between(pausing.at(), pausing.deadline()).toSeconds();
      log.info("sandbox {}: pre-pause hook gave no answer in {} s", pausing.sandboxId(), seconds);
      return PrePauseAnswer.reply(PrePauseAnswer.TIMEOUT, "no answer in " + seconds + " s");
    } catch (IOException e) {
      log.info("sandbox {}: pre-pause hook unreachable: {}", pausing.sandboxId(), e.getMessage());
      return PrePauseAnswer.reply(PrePauseAnswer.FAILED, "unreachable: " + e.getMessage());
    }
  }
}
