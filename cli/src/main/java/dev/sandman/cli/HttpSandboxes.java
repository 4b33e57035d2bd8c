package dev.sandman.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandman.starter.ListPage;
import dev.sandman.starter.ListQuery;
import dev.sandman.starter.Report;
import dev.sandman.starter.SandmanException;
import dev.sandman.starter.Sandboxes;
import dev.sandman.starter.StatusEvent;
import dev.sandman.starter.StatusListener;
import dev.sandman.starter.Subscription;
import dev.sandman.starter.TrackRequest;
import dev.sandman.starter.TrackResult;
import dev.sandman.workflows.Hold;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.PolicyPatch;
import dev.sandman.workflows.ProjectStatus;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandmanJson;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import dev.sandman.workflows.SweepOrder;
import dev.sandman.workflows.SweepReport;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The CLI's commands over Sandman's HTTP API (SANDMAN_URL and a token, or a running dev stack): no
 * Temporal connection to open, so a command answers in a fraction of the time.
 */
final class HttpSandboxes implements Sandboxes {
  private static final ObjectMapper JSON = SandmanJson.mapper();

  private final String url;
  private final String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  HttpSandboxes(String url, String token) {
    this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.token = token;
  }

  String url() {
    return url;
  }

  @Override
  public TrackResult track(TrackRequest request) {
    return trackOrCreate(request);
  }

  @Override
  public TrackResult create(TrackRequest request) {
    return trackOrCreate(request);
  }

  private TrackResult trackOrCreate(TrackRequest request) {
    HttpResponse<String> answer = send("POST", "/v1/sandboxes", fields("sandboxId", request.sandboxId(), "projectId",
        request.projectId(), "userId", request.userId(), "template", request.template(), "metadata", request.metadata(),
        "policy", request.policy()));
    return new TrackResult(read(answer, SandboxStatus.class), answer.statusCode() == 201);
  }

  @Override
  public void touch(String sandboxId, Instant at) {
    send("POST", "/v1/sandboxes/" + path(sandboxId) + "/activity", fields("at", at));
  }

  @Override
  public SandboxStatus status(String sandboxId) {
    return read(send("GET", "/v1/sandboxes/" + path(sandboxId), null), SandboxStatus.class);
  }

  @Override
  public ListPage list(ListQuery query) {
    return read(send("GET", "/v1/sandboxes" + query(fields("projectId", query.projectId(), "userId", query.userId(), "state",
        query.state(), "pageSize", query.pageSize(), "pageToken", query.pageToken())), null), ListPage.class);
  }

  @Override
  public SandboxStatus pause(String sandboxId, String reason) {
    return read(send("POST", "/v1/sandboxes/" + path(sandboxId) + "/pause", fields("reason", reason)), SandboxStatus.class);
  }

  @Override
  public SandboxStatus resume(String sandboxId, String reason) {
    return read(send("POST", "/v1/sandboxes/" + path(sandboxId) + "/resume", fields("reason", reason)), SandboxStatus.class);
  }

  @Override
  public SandboxStatus kill(String sandboxId, String reason) {
    return read(send("DELETE", "/v1/sandboxes/" + path(sandboxId), fields("reason", reason)), SandboxStatus.class);
  }

  @Override
  public SandboxStatus setPolicy(String sandboxId, PolicyPatch patch) {
    return read(send("PUT", "/v1/sandboxes/" + path(sandboxId) + "/policy", fields("idleTimeout", patch.idleTimeout(),
        "pausedRetention", patch.pausedRetention(), "maxLifetime", patch.maxLifetime(), "clearMaxLifetime", patch.clearMaxLifetime(),
        "maxHold", patch.maxHold(), "busyCpuPercent", patch.busyCpuPercent(), "maxBusy", patch.maxBusy())), SandboxStatus.class);
  }

  @Override
  public Hold hold(String sandboxId, String reason, Duration ttl) {
    return read(send("POST", "/v1/sandboxes/" + path(sandboxId) + "/holds", fields("reason", reason, "ttl", ttl)), Hold.class);
  }

  @Override
  public SandboxStatus release(String sandboxId, String holdId) {
    return read(send("DELETE", "/v1/sandboxes/" + path(sandboxId) + "/holds/" + path(holdId), null), SandboxStatus.class);
  }

  @Override
  public ProjectStatus setProjectPolicy(String projectId, Policy layer) {
    String at = "/v1/projects/" + path(projectId) + "/policy";
    if (layer == null) {
      return read(send("DELETE", at, null), ProjectStatus.class);
    }
    return read(send("PUT", at, fields("idleTimeout", layer.idleTimeout(), "pausedRetention", layer.pausedRetention(),
        "maxLifetime", layer.maxLifetime(), "maxHold", layer.maxHold(), "busyCpuPercent", layer.busyCpuPercent(),
        "maxBusy", layer.maxBusy())), ProjectStatus.class);
  }

  @Override
  public ProjectStatus projectStatus(String projectId) {
    return read(send("GET", "/v1/projects/" + path(projectId) + "/policy", null), ProjectStatus.class);
  }

  @Override
  public Report report(ListQuery filter) {
    return read(send("GET", "/v1/report" + query(fields("projectId", filter.projectId(), "userId", filter.userId())), null),
        Report.class);
  }

  @Override
  public dev.sandman.starter.IdleAdvice advice(ListQuery filter, double waitCostPerHour) {
    return read(send("GET", "/v1/advice" + query(fields("projectId", filter.projectId(), "waitCostPerHour", waitCostPerHour)), null),
        dev.sandman.starter.IdleAdvice.class);
  }

  @Override
  public SweepReport sweep(SweepOrder order) {
    return read(send("POST", "/v1/sweeps", fields("orphans", order.orphans(), "metadata", order.metadata(), "dryRun", order.dryRun(),
        "grace", order.grace())), SweepReport.class);
  }

  /** Reads the stream on a thread of its own until it ends or the subscription is closed. */
  @Override
  public Subscription subscribe(String sandboxId, String lastEventId, StatusListener listener) {
    HttpRequest.Builder request = request("GET", "/v1/sandboxes/" + path(sandboxId) + "/events", null).timeout(Duration.ofDays(365));
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId);
    }
    HttpResponse<Stream<String>> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofLines());
    } catch (IOException e) {
      throw unavailable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable(e);
    }
    if (response.statusCode() == 204) {
      listener.onEnd(null);
      return () -> {};
    }
    if (response.statusCode() != 200) {
      String body = String.join("\n", (Iterable<String>) response.body()::iterator);
      throw failure(response.statusCode(), body);
    }
    Thread reader = new Thread(() -> readEvents(response.body(), listener), "sandman-watch");
    reader.setDaemon(true);
    reader.start();
    return () -> response.body().close();
  }

  private static void readEvents(Stream<String> lines, StatusListener listener) {
    String id = null;
    String type = StatusEvent.STATUS;
    StringBuilder data = new StringBuilder();
    try {
      for (String line : (Iterable<String>) lines::iterator) {
        if (line.isEmpty()) {
          if (data.length() > 0 && !type.equals("error")) {
            listener.onEvent(new StatusEvent(id, type, JSON.readValue(data.toString(), SandboxStatus.class)));
          } else if (type.equals("error")) {
            listener.onEnd(new SandmanException(SandmanException.Kind.CONFLICT, JSON.readTree(data.toString()).path("message").asText()));
            return;
          }
          type = StatusEvent.STATUS;
          data.setLength(0);
        } else if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("event: ")) {
          type = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data.append(line.substring(6));
        }
      }
      listener.onEnd(null);
    } catch (IOException | RuntimeException e) {
      listener.onEnd(e);
    }
  }

  @Override
  public void close() {
    // the JDK's client keeps no resources a short-lived command must free
  }

  // ---- the wire -----------------------------------------------------------------------------

  /** Name-value pairs, in order, without the null values: a JSON body or query parameters. */
  private static Map<String, Object> fields(Object... namesAndValues) {
    Map<String, Object> fields = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      if (namesAndValues[i + 1] != null) {
        fields.put((String) namesAndValues[i], namesAndValues[i + 1]);
      }
    }
    return fields;
  }

  private static String path(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String query(Map<String, Object> params) {
    StringBuilder q = new StringBuilder();
    params.forEach((name, value) -> q.append(q.length() == 0 ? '?' : '&').append(name).append('=')
        .append(URLEncoder.encode(String.valueOf(value), StandardCharsets.UTF_8)));
    return q.toString();
  }

  private HttpRequest.Builder request(String method, String at, Object body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + at)).timeout(Duration.ofMinutes(30)) // a sweep of a large fleet takes minutes
        .header("Authorization", "Bearer " + token);
    try {
      if (body == null) {
        request.method(method, HttpRequest.BodyPublishers.noBody());
      } else {
        request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return request;
  }

  private HttpResponse<String> send(String method, String at, Object body) {
    HttpResponse<String> response;
    try {
      response = http.send(request(method, at, body).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw unavailable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable(e);
    }
    if (response.statusCode() >= 400) {
      throw failure(response.statusCode(), response.body());
    }
    return response;
  }

  private SandmanException unavailable(Exception e) {
    return new SandmanException(SandmanException.Kind.UNAVAILABLE, "the Sandman HTTP API at " + url + " is unavailable ("
        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
        + "): start it (./sandman dev or ./sandman serve), or point SANDMAN_URL at it", null, e);
  }

  private static SandmanException failure(int status, String body) {
    String message = body;
    String field = null;
    try {
      JsonNode error = JSON.readTree(body);
      message = error.path("message").asText(body);
      field = error.hasNonNull("field") ? error.get("field").asText() : null;
    } catch (IOException | RuntimeException notJson) {
      // the body as it is
    }
    SandmanException.Kind kind = switch (status) {
      case 404 -> SandmanException.Kind.NOT_FOUND;
      case 409 -> SandmanException.Kind.CONFLICT;
      case 502 -> SandmanException.Kind.E2B_FAILED;
      case 503, 504 -> SandmanException.Kind.UNAVAILABLE;
      default -> SandmanException.Kind.INVALID_ARGUMENT;
    };
    if (status == 401 || status == 403) {
      message = "the HTTP API refused the token (" + status + "): " + message;
    }
    return new SandmanException(kind, message, field, null);
  }

  private static <T> T read(HttpResponse<String> response, Class<T> type) {
    try {
      return JSON.readValue(response.body(), type);
    } catch (IOException e) {
      throw new SandmanException(SandmanException.Kind.UNAVAILABLE, "the HTTP API answered something unreadable: " + e.getMessage());
    }
  }
}
