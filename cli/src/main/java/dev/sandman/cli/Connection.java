package dev.sandman.cli;

import dev.sandman.starter.SandmanClient;
import dev.sandman.starter.Sandboxes;
import dev.sandman.worker.Env;
import dev.sandman.worker.TemporalConnection;
import dev.sandman.workflows.Sandman;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the CLI's commands go, chosen from the environment: the HTTP API when SANDMAN_URL is set (or a
 * dev stack of this checkout is running: {@link DevStackFile}), else Temporal directly (standard env:
 * TEMPORAL_ADDRESS, ...). The HTTP API answers a command in a fraction of a second; Temporal needs a
 * connection opened first.
 */
final class Connection implements AutoCloseable {
  final Sandboxes client;
  /** Where commands go, for messages: the HTTP API's URL or Temporal's address. */
  final String where;
  /** What to do when it cannot be reached. */
  final String fix;
  private final TemporalConnection temporal;

  private Connection(Sandboxes client, String where, String fix, TemporalConnection temporal) {
    this.client = client;
    this.where = where;
    this.fix = fix;
    this.temporal = temporal;
  }

  /** For client commands: the HTTP API if configured or found, else Temporal. */
  static Connection open(Env env) {
    String url = env.get("SANDMAN_URL", null);
    if (url != null) {
      String token = env.get("SANDMAN_TOKEN", env.get("SANDMAN_ADMIN_TOKEN", null));
      if (token == null) {
        throw new Env.ConfigException("SANDMAN_URL is set: set SANDMAN_TOKEN (or SANDMAN_ADMIN_TOKEN) to the API's admin token too");
      }
      return http(url, token, "check SANDMAN_URL, or start the API (./sandman serve)");
    }
    if (env.get("TEMPORAL_ADDRESS", null) == null && env.get("TEMPORAL_PROFILE", null) == null) {
      DevStackFile.Found dev = DevStackFile.find(env).orElse(null);
      if (dev != null) {
        return http(dev.url(), dev.token(), "is ./sandman dev still running? (found through " + dev.file() + ")");
      }
    }
    return temporal(env, null, true);
  }

  private static Connection http(String url, String token, String fix) {
    HttpSandboxes api = new HttpSandboxes(url, token);
    return new Connection(api, "the Sandman HTTP API at " + api.url(), fix, null);
  }

  /** Temporal directly; {@code interactive} gives up on an unreachable server in seconds, not the SDK's minute. */
  static Connection temporal(Env env, MeterRegistry registry, boolean interactive) {
    Map<String, String> settings = new HashMap<>(env.asMap());
    TemporalConnection temporal = TemporalConnection.connect(settings, registry, interactive);
    SandmanClient client = new SandmanClient(temporal.client(), options(env));
    return new Connection(client, "Temporal at " + temporal.description(),
        "start it (./sandman dev), or set TEMPORAL_ADDRESS to where it runs" + (settings.containsKey("TEMPORAL_ADDRESS") ? "" : " (unset, so localhost:7233)"), temporal);
  }

  TemporalConnection temporalConnection() {
    return temporal;
  }

  SandmanClient sandmanClient() {
    return (SandmanClient) client;
  }

  static SandmanClient.Options options(Env env) {
    int events = env.getInt("SANDMAN_MAX_EVENTS_PER_RUN", 0, 0, 50_000);
    return SandmanClient.Options.defaults()
        .withTaskQueue(env.get("SANDMAN_TASK_QUEUE", Sandman.DEFAULT_TASK_QUEUE))
        .withTouchWindow(env.getDuration("SANDMAN_TOUCH_WINDOW", null)) // set: the old one signal per window
        .withTouchMargin(env.getDuration("SANDMAN_TOUCH_MARGIN", SandmanClient.Options.DEFAULT_TOUCH_MARGIN))
        .withMaxEventsPerRun(events == 0 ? null : events);
  }

  @Override
  public void close() {
    client.close();
    if (temporal != null) {
      temporal.close();
    }
  }
}
