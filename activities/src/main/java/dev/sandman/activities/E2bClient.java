package dev.sandman.activities;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandman.workflows.SandmanJson;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * E2B's control-plane API, the calls Sandman makes. Every failure is an {@link E2bException}
 * carrying the HTTP status (0 when no answer came) and E2B's message. The API key is sent in
 * {@code X-API-Key} and never logged.
 */
public class E2bClient {
  private static final Logger log = LoggerFactory.getLogger(E2bClient.class);
  private static final MediaType JSON = MediaType.get("application/json");
  private static final ObjectMapper MAPPER = SandmanJson.mapper();

  /** Told of every call's outcome: operation, HTTP status (0 when none) and duration. */
  public interface Listener {
    void onCall(String operation, int status, Duration took);
  }

  /** One page of GET /v2/sandboxes; {@code nextToken} is null on the last page. */
  public record Page(List<E2bSandbox> sandboxes, String nextToken) {}

  /** The answer of connect: {@code resumed} is true when a paused sandbox was resumed (201). */
  public record Connected(E2bSandbox sandbox, boolean resumed) {}

  private final E2bConfig config;
  private final HttpUrl base;
  private final OkHttpClient http;
  private final OkHttpClient pauseHttp;
  private final Listener listener;

  public E2bClient(E2bConfig config) {
    this(config, (operation, status, took) -> {});
  }

  public E2bClient(E2bConfig config, Listener listener) {
    this.config = config;
    this.base = HttpUrl.get(config.baseUrl());
    this.http =
        new OkHttpClient.Builder()
            .connectTimeout(Duration.ofSeconds(10))
            .readTimeout(config.requestTimeout())
            .writeTimeout(Duration.ofSeconds(30))
            .callTimeout(config.requestTimeout().plusSeconds(15))
            .retryOnConnectionFailure(false) // Temporal retries, with backoff and a budget
            // pooled connections are dropped before a server or load balancer drops them (a stale one
            // failed the next call after two quiet minutes)
            .connectionPool(new okhttp3.ConnectionPool(5, 20, java.util.concurrent.TimeUnit.SECONDS))
            .followRedirects(false) // a redirect would carry the API key to another host
            .followSslRedirects(false)
            .build();
    this.pauseHttp =
        http.newBuilder()
            .readTimeout(config.pauseTimeout())
            .callTimeout(config.pauseTimeout().plusSeconds(15))
            .build();
    this.listener = listener;
  }

  public E2bConfig config() {
    return config;
  }

  public E2bSandbox create(NewSandbox request) {
    return read(send("create", http, post(url("sandboxes"), request), 201), E2bSandbox.class);
  }

  public E2bSandbox get(String sandboxId) {
    return read(send("get", http, new Request.Builder().url(url("sandboxes", sandboxId)).get(), 200), E2bSandbox.class);
  }

  /** Pauses; returns false when E2B says 409 (already paused, or not pausable right now). */
  public boolean pause(String sandboxId) {
    try {
      send("pause", pauseHttp, post(url("sandboxes", sandboxId, "pause"), Map.of()), 204);
      return true;
    } catch (E2bException e) {
      if (e.isConflict()) {
        return false;
      }
      throw e;
    }
  }

  public Connected connect(String sandboxId, long timeoutSeconds) {
    Response response = sendRaw("connect", http, post(url("sandboxes", sandboxId, "connect"), Map.of("timeout", timeoutSeconds)));
    try (response) {
      int code = response.code();
      if (code != 200 && code != 201) {
        throw failure("connect", response);
      }
      return new Connected(read(bodyOf(response), E2bSandbox.class), code == 201);
    }
  }

  /** Kills; returns false when there was nothing to kill (404). */
  public boolean kill(String sandboxId) {
    try {
      send("kill", http, new Request.Builder().url(url("sandboxes", sandboxId)).delete(), 204);
      return true;
    } catch (E2bException e) {
      if (e.isNotFound()) {
        return false;
      }
      throw e;
    }
  }

  public void setTimeout(String sandboxId, long timeoutSeconds) {
    send("timeout", http, post(url("sandboxes", sandboxId, "timeout"), Map.of("timeout", timeoutSeconds)), 204);
  }

  /** One of E2B's metric samples (every ~5 s); the fields Sandman reads. */
  @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
  public record Metric(@com.fasterxml.jackson.annotation.JsonProperty("timestampUnix") long timestampUnix,
      @com.fasterxml.jackson.annotation.JsonProperty("cpuUsedPct") double cpuUsedPct) {}

  /** GET /sandboxes/{id}/metrics between two Unix times (seconds). */
  public List<Metric> metrics(String sandboxId, long startUnix, long endUnix) {
    HttpUrl url = url("sandboxes", sandboxId, "metrics").newBuilder()
        .addQueryParameter("start", Long.toString(startUnix))
        .addQueryParameter("end", Long.toString(endUnix))
        .build();
    return read(send("metrics", http, new Request.Builder().url(url).get(), 200), new TypeReference<List<Metric>>() {});
  }

  /** GET /v2/sandboxes filtered by states ("running", "paused") and metadata key=value pairs. */
  public Page list(List<String> states, Map<String, String> metadata, int limit, String nextToken) {
    HttpUrl.Builder url = url("v2", "sandboxes").newBuilder();
    if (states != null && !states.isEmpty()) {
      url.addQueryParameter("state", String.join(",", states));
    }
    if (metadata != null && !metadata.isEmpty()) {
      StringJoiner query = new StringJoiner("&");
      metadata.forEach((k, v) -> query.add(encode(k) + "=" + encode(v)));
      url.addQueryParameter("metadata", query.toString());
    }
    url.addQueryParameter("limit", Integer.toString(limit));
    if (nextToken != null) {
      url.addQueryParameter("nextToken", nextToken);
    }
    Response response = sendRaw("list", http, new Request.Builder().url(url.build()).get());
    try (response) {
      if (response.code() != 200) {
        throw failure("list", response);
      }
      List<E2bSandbox> sandboxes = read(bodyOf(response), new TypeReference<>() {});
      return new Page(sandboxes, response.header("X-Next-Token"));
    }
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private HttpUrl url(String... segments) {
    HttpUrl.Builder builder = base.newBuilder();
    for (String segment : segments) {
      builder.addPathSegment(segment);
    }
    return builder.build();
  }

  private static Request.Builder post(HttpUrl url, Object body) {
    try {
      return new Request.Builder().url(url).post(RequestBody.create(MAPPER.writeValueAsBytes(body), JSON));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode E2B request", e);
    }
  }

  private String send(String operation, OkHttpClient client, Request.Builder request, int expected) {
    Response response = sendRaw(operation, client, request);
    try (response) {
      if (response.code() != expected) {
        throw failure(operation, response);
      }
      return bodyOf(response);
    }
  }

  private Response sendRaw(String operation, OkHttpClient client, Request.Builder request) {
    if (config.hasApiKey()) {
      request.header("X-API-Key", config.apiKey());
    }
    request.header("Accept", "application/json");
    Request built = request.build();
    long started = System.nanoTime();
    try {
      Response response = client.newCall(built).execute();
      listener.onCall(operation, response.code(), Duration.ofNanos(System.nanoTime() - started));
      log.debug("E2B {} {} -> {}", built.method(), built.url().encodedPath(), response.code());
      return response;
    } catch (IOException e) {
      listener.onCall(operation, 0, Duration.ofNanos(System.nanoTime() - started));
      String what = e instanceof InterruptedIOException ? "timed out" : "failed";
      log.debug("E2B {} {} {}: {}", built.method(), built.url().encodedPath(), what, e.toString());
      throw new E2bException(0, "E2B " + operation + " " + what + ": " + e.getMessage(), null, e);
    }
  }

  private static String bodyOf(Response response) {
    try {
      return response.body().string();
    } catch (IOException e) {
      throw new E2bException(0, "E2B answer could not be read: " + e.getMessage(), null, e);
    }
  }

  private static E2bException failure(String operation, Response response) {
    String body = bodyOf(response);
    String message = body;
    try {
      JsonNode node = MAPPER.readTree(body);
      if (node != null && node.hasNonNull("message")) {
        message = node.get("message").asText();
      }
    } catch (IOException | RuntimeException ignored) {
      // not JSON: keep the raw (truncated) text
    }
    if (message == null || message.isBlank()) {
      message = "HTTP " + response.code();
    } else if (message.length() > 300) {
      message = message.substring(0, 300) + "...";
    }
    return new E2bException(
        response.code(),
        "E2B " + operation + " answered " + response.code() + ": " + message,
        retryAfter(response.header("Retry-After")),
        null);
  }

  /** Retry-After is either delta-seconds or an HTTP date. */
  static Duration retryAfter(String header) {
    if (header == null || header.isBlank()) {
      return null;
    }
    try {
      long seconds = Long.parseLong(header.trim());
      return seconds < 0 ? null : Duration.ofSeconds(seconds);
    } catch (NumberFormatException notSeconds) {
      try {
        Instant at = ZonedDateTime.parse(header.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        Duration wait = Duration.between(Instant.now(), at);
        return wait.isNegative() ? Duration.ZERO : wait;
      } catch (DateTimeParseException notADate) {
        return null;
      }
    }
  }

  private static <T> T read(String body, Class<T> type) {
    try {
      return MAPPER.readValue(body, type);
    } catch (IOException e) {
      throw new E2bException(0, "E2B answer is not the expected JSON: " + e.getMessage(), null, e);
    }
  }

  private static <T> T read(String body, TypeReference<T> type) {
    try {
      return MAPPER.readValue(body, type);
    } catch (IOException e) {
      throw new E2bException(0, "E2B answer is not the expected JSON: " + e.getMessage(), null, e);
    }
  }

  private static String encode(String value) {
    return java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8);
  }
}
