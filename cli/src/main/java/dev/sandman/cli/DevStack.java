package dev.sandman.cli;

import dev.sandman.devserver.DevTemporal;
import dev.sandman.devserver.EmbeddedTemporal;
import dev.sandman.devserver.RealTemporalServer;
import dev.sandman.activities.E2bConfig;
import dev.sandman.e2bsim.E2bSimulator;
import dev.sandman.starter.SandmanClient;
import dev.sandman.http.HttpApi;
import dev.sandman.worker.Env;
import dev.sandman.worker.SandmanWorker;
import dev.sandman.worker.TemporalConnection;
import dev.sandman.worker.WorkerConfig;
import dev.sandman.workflows.Policy;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/** Everything dev mode runs, in one process: Temporal, the E2B simulator, a worker, the HTTP API. */
final class DevStack implements AutoCloseable {
  static final String SIMULATOR_KEY = "e2b_dev_simulator_key";
  /** A web app's dev server (Next.js, Vite) may call dev mode from the browser. */
  static final java.util.List<String> DEV_ORIGINS = java.util.List.of("http://localhost:3000", "http://127.0.0.1:3000",
      "http://localhost:5173", "http://127.0.0.1:5173");

  /** Dev mode signs browser tokens with a secret of its own run, unless one is configured. */
  private static String randomSecret() {
    byte[] bytes = new byte[32];
    new java.security.SecureRandom().nextBytes(bytes);
    return java.util.HexFormat.of().formatHex(bytes);
  }

  record Settings(String host, int temporalPort, int httpPort, int e2bPort, Policy defaults, String adminToken, String appToken,
      java.nio.file.Path realTemporal, int uiPort) {
    Settings(String host, int temporalPort, int httpPort, int e2bPort, Policy defaults, String adminToken, String appToken) {
      this(host, temporalPort, httpPort, e2bPort, defaults, adminToken, appToken, null, 0);
    }
  }

  final Settings settings;
  final DevTemporal temporal;
  final E2bSimulator sim; // null when running against real E2B
  final E2bConfig e2b;
  final TemporalConnection connection;
  final SandmanWorker worker;
  final SandmanClient client;
  final HttpApi api;

  private final Env env;

  private DevStack(Env env, Settings settings, DevTemporal temporal, E2bSimulator sim, E2bConfig e2b,
      TemporalConnection connection, SandmanWorker worker, SandmanClient client, HttpApi api) {
    this.env = env;
    this.settings = settings;
    this.temporal = temporal;
    this.sim = sim;
    this.e2b = e2b;
    this.connection = connection;
    this.worker = worker;
    this.client = client;
    this.api = api;
  }

  static DevStack start(Env env, Settings settings) throws IOException {
    DevTemporal temporal = bind("Temporal", settings.host(), settings.temporalPort(), "--temporal-port", () -> settings.realTemporal() == null
        ? EmbeddedTemporal.start(settings.host(), settings.temporalPort())
        : RealTemporalServer.start(settings.realTemporal(), settings.host(), settings.temporalPort(), settings.uiPort(),
            java.nio.file.Path.of(env.get("SANDMAN_HOME", "."), ".tools", "dev", "temporal.db")));
    E2bSimulator sim = null;
    E2bConfig e2b;
    if (env.get("E2B_API_KEY", null) != null) {
      e2b = E2bConfig.fromEnv(env.asMap()); // real E2B
    } else {
      sim = bind("the E2B simulator", settings.host(), settings.e2bPort(), "--e2b-port",
          () -> new E2bSimulator(E2bSimulator.Options.defaults()).start(settings.e2bPort()));
      e2b = E2bConfig.of(sim.url(), SIMULATOR_KEY);
    }
    PrometheusMeterRegistry registry = dev.sandman.worker.Metrics.newRegistry();
    TemporalConnection connection = TemporalConnection.connect(
        Map.of("TEMPORAL_ADDRESS", settings.host() + ":" + temporal.port(), "TEMPORAL_NAMESPACE", "default"), registry);
    if (temporal.needsSearchAttributes()) {
      EmbeddedTemporal.registerSearchAttributes(connection.service(), "default");
    }
    WorkerConfig workerConfig = WorkerConfig.fromEnv(env).withE2b(e2b).withHealthPort(0).withDefaults(settings.defaults());
    SandmanWorker worker = SandmanWorker.start(connection.client(), workerConfig, registry);
    SandmanClient client = new SandmanClient(connection.client(),
        Connection.options(env).withTaskQueue(workerConfig.taskQueue()));
    HttpApi.Config configured = ServeCommand.browsers(env, new HttpApi.Config(settings.host(), settings.httpPort(), settings.adminToken(),
        settings.appToken(), HttpApi.Config.DEFAULT_MAX_BODY), randomSecret(), DEV_ORIGINS);
    // the simulator signs its webhooks with a secret of this run's, unless one is configured
    HttpApi.Config http = sim != null && configured.e2bWebhookSecrets().isEmpty()
        ? configured.withE2bWebhooks(java.util.List.of(randomSecret())) : configured;
    HttpApi api = bind("the HTTP API", settings.host(), settings.httpPort(), "--http-port", () -> HttpApi.start(client, http, registry));
    if (sim != null) { // the whole loop in dev mode: the simulator tells the API of what happens behind its back
      sim.registerWebhook(stack0Url(settings, api) + "/v1/e2b/events", http.e2bWebhookSecrets().get(0));
    }
    DevStack stack = new DevStack(env, settings, temporal, sim, e2b, connection, worker, client, api);
    if (settings.adminToken() != null) { // the CLI acts as the admin
      DevStackFile.write(env, Map.of("SANDMAN_URL", stack.httpUrl(), "SANDMAN_TOKEN", String.valueOf(settings.adminToken()),
        "TEMPORAL_ADDRESS", stack.temporalAddress(), "E2B_API_URL", e2b.baseUrl()));
    }
    return stack;
  }

  private interface Start<T> {
    T start() throws IOException;
  }

  /** Starts a part on a port; a port in use is said plainly, with the flag that moves it. */
  private static <T> T bind(String what, String host, int port, String flag, Start<T> start) throws IOException {
    try {
      return start.start();
    } catch (IOException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        String message = String.valueOf(t.getMessage());
        if (t instanceof java.net.BindException || message.contains("Address already in use") || message.startsWith("Failed to bind")) {
          throw new dev.sandman.worker.Env.ConfigException(what + " cannot listen on " + host + ":" + port
              + ": the port is in use (another ./sandman dev?). Stop it, or choose another port with " + flag + ".");
        }
      }
      throw e;
    }
  }

  String temporalAddress() {
    return settings.host() + ":" + temporal.port();
  }

  private static String stack0Url(Settings settings, HttpApi api) {
    return "http://" + settings.host() + ":" + api.port();
  }

  String httpUrl() {
    return "http://" + settings.host() + ":" + api.port();
  }

  @Override
  public void close() {
    DevStackFile.remove(env);
    api.close();
    worker.shutdown(Duration.ofSeconds(5));
    client.close();
    connection.close();
    if (sim != null) {
      sim.close();
    }
    temporal.close();
  }
}
