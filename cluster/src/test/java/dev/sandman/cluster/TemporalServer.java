package dev.sandman.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Temporal's server built from its Go module ({@code temporal-server start}, the config template built into
 * it), set up and configured from deploy/temporal/ exactly as the compose file does: temporal.env for the
 * settings, schema.sh with Temporal's SQL tool, setup.sh for the namespace and the search attributes.
 */
final class TemporalServer {
  private final Path serverDir;
  private final Path temporalCli;
  private final Path deploy;
  private final Path runDir;
  private final Postgres postgres;
  private final Map<String, String> env = new HashMap<>();
  private final int port = Launched.freeLowPort();
  private Launched process;

  TemporalServer(Path serverDir, Path temporalCli, Path deploy, Path runDir, Postgres postgres) {
    this.serverDir = serverDir;
    this.temporalCli = temporalCli;
    this.deploy = deploy;
    this.runDir = runDir;
    this.postgres = postgres;
    env.putAll(readEnvFile(deploy.resolve("temporal.env")));
    env.put("POSTGRES_SEEDS", "127.0.0.1");
    env.put("DB_PORT", String.valueOf(postgres.port()));
    env.put("POSTGRES_PWD", "temporal");
    env.put("BIND_ON_IP", "127.0.0.1");
    env.put("FRONTEND_GRPC_PORT", String.valueOf(port));
    for (String service : List.of("FRONTEND_HTTP", "FRONTEND_MEMBERSHIP", "HISTORY_GRPC", "HISTORY_MEMBERSHIP",
        "MATCHING_GRPC", "MATCHING_MEMBERSHIP", "WORKER_GRPC", "WORKER_MEMBERSHIP", "INTERNAL_FRONTEND_HTTP")) {
      env.put(service + "_PORT", String.valueOf(Launched.freeLowPort()));
    }
    env.put("PROMETHEUS_ENDPOINT", "127.0.0.1:" + Launched.freePort());
  }

  String address() {
    return "127.0.0.1:" + port;
  }

  Map<String, String> settings() {
    return Map.copyOf(env);
  }

  void setUpSchema() {
    Map<String, String> sql = Map.of("SQL_HOST", "127.0.0.1", "SQL_PORT", String.valueOf(postgres.port()),
        "SQL_USER", Postgres.USER, "SQL_PASSWORD", "temporal", "SCHEMA_DIR", serverDir.resolve("schema").toString(),
        "PATH", serverDir + ":" + System.getenv("PATH"));
    Launched.run("schema.sh", List.of("sh", deploy.resolve("schema.sh").toString()), sql, runDir, runDir.resolve("setup.log"));
  }

  void start() {
    try {
      // the compose file mounts deploy/temporal/dynamicconfig at config/dynamicconfig under the server's folder
      Path config = runDir.resolve("temporal/config");
      Files.createDirectories(config);
      Path link = config.resolve("dynamicconfig");
      if (!Files.exists(link)) {
        Files.createSymbolicLink(link, deploy.resolve("dynamicconfig").toAbsolutePath());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    process = Launched.start("temporal", List.of(serverDir.resolve("temporal-server").toString(), "start"), env,
        runDir.resolve("temporal"), runDir.resolve("temporal.log"));
    Launched.await("Temporal's frontend on " + port, Duration.ofSeconds(90), () -> {
      if (!process.alive()) {
        throw new IllegalStateException("temporal-server exited (log: " + runDir.resolve("temporal.log") + ")");
      }
      return Launched.listening(port);
    });
  }

  /** The namespace and Sandman's search attributes, by deploy/temporal/setup.sh (retried while the server warms up). */
  void setUpNamespace() {
    Map<String, String> cli = Map.of("TEMPORAL_ADDRESS", address(),
        "PATH", temporalCli.getParent() + ":" + System.getenv("PATH"));
    RuntimeException last = null;
    for (int attempt = 0; attempt < 30; attempt++) {
      try {
        Launched.run("setup.sh", List.of("sh", deploy.resolve("setup.sh").toString()), cli, runDir, runDir.resolve("setup.log"));
        return;
      } catch (RuntimeException e) {
        last = e;
        Launched.sleep(Duration.ofSeconds(2));
      }
    }
    throw last;
  }

  Duration stop() {
    return process.terminate(Duration.ofSeconds(30));
  }

  long pid() {
    return process.pid();
  }

  static Map<String, String> readEnvFile(Path file) {
    Map<String, String> values = new HashMap<>();
    try {
      for (String line : Files.readAllLines(file)) {
        String trimmed = line.trim();
        if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
          int eq = trimmed.indexOf('=');
          values.put(trimmed.substring(0, eq), trimmed.substring(eq + 1));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return values;
  }
}
