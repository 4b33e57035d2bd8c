package dev.sandman.cluster;

import dev.sandman.e2bsim.E2bSimulator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sandman as deployed: PostgreSQL, Temporal's server, three {@code sandman worker} and two
 * {@code sandman serve} processes (each its own JVM from the built jar), and the E2B simulator over
 * real HTTP (in this JVM, so its call log is the ground truth of what reached E2B).
 */
final class Cluster implements AutoCloseable {
  static final String E2B_KEY = "e2b_cluster_tier_key_0123456789";
  static final String ADMIN_TOKEN = "cluster-tier-admin-token-0123456789";
  static final Duration DRAIN_GRACE = Duration.ofSeconds(45); // the compose file's stop_grace_period

  record Settings(Path serverDir, Path temporalCli, Path pgBin, Path jar, Path deploy, Path runDir,
                  int workers, int apis, long pauseMillisPerGiB, String javaOptions) {}

  /** A sandman process slot: a worker or an API replica, restartable with another build. */
  final class Node {
    final String name;
    final String command;
    final int port;
    Path jar;
    Launched process;

    Node(String name, String command, Path jar) {
      this.name = name;
      this.command = command;
      this.jar = jar;
      this.port = Launched.freePort();
    }

    void start() {
      Map<String, String> env = new HashMap<>(Map.of(
          "TEMPORAL_ADDRESS", temporal.address(),
          "E2B_API_KEY", E2B_KEY,
          "E2B_API_URL", sim.url(),
          "SANDMAN_LOG_LEVEL", "warn"));
      if (command.equals("worker")) {
        env.put("SANDMAN_WORKER_HEALTH_PORT", String.valueOf(port));
      } else {
        env.put("SANDMAN_HTTP_PORT", String.valueOf(port));
        env.put("SANDMAN_ADMIN_TOKEN", ADMIN_TOKEN);
      }
      List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
      java.addAll(List.of(settings.javaOptions().split(" ")));
      java.addAll(List.of("-jar", jar.toString(), command));
      process = Launched.start(name, java, env, settings.runDir(), settings.runDir().resolve(name + ".log"));
      Launched.await(name + " ready on " + port, Duration.ofSeconds(90), () -> {
        if (!process.alive()) {
          throw new IllegalStateException(name + " exited (log: " + settings.runDir().resolve(name + ".log") + ")");
        }
        return ready(port);
      });
    }

    String url() {
      return "http://127.0.0.1:" + port;
    }
  }

  final Settings settings;
  final Postgres postgres;
  final TemporalServer temporal;
  final E2bSimulator sim;
  final List<Node> workers = new ArrayList<>();
  final List<Node> apis = new ArrayList<>();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  Cluster(Settings settings) {
    this.settings = settings;
    try {
      Files.createDirectories(settings.runDir());
      try (var logs = Files.newDirectoryStream(settings.runDir(), "*.log")) {
        for (Path log : logs) {
          Files.delete(log);
        }
      }
      sim = new E2bSimulator(E2bSimulator.Options.defaults().withApiKey(E2B_KEY)
          .withPauseMillisPerGiB(settings.pauseMillisPerGiB())).start(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    postgres = Postgres.create(settings.pgBin(), settings.runDir());
    // a test JVM stopped by a signal takes its cluster with it (processes, PostgreSQL's data folder)
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "cluster-teardown"));
    temporal = new TemporalServer(settings.serverDir(), settings.temporalCli(), settings.deploy(), settings.runDir(), postgres);
  }

  Cluster start() {
    postgres.start();
    temporal.setUpSchema();
    temporal.start();
    temporal.setUpNamespace();
    for (int i = 1; i <= settings.workers(); i++) {
      workers.add(new Node("worker-" + i, "worker", settings.jar()));
    }
    for (int i = 1; i <= settings.apis(); i++) {
      apis.add(new Node("api-" + i, "serve", settings.jar()));
    }
    workers.forEach(Node::start);
    apis.forEach(Node::start);
    return this;
  }

  /** A line in the run's progress.log (and on stdout): what the tier is doing now. */
  void note(String line) {
    String stamped = java.time.LocalTime.now().withNano(0) + " " + line;
    System.out.println(stamped);
    try {
      Files.writeString(settings.runDir().resolve("progress.log"), stamped + "\n",
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  List<String> apiUrls() {
    return apis.stream().map(Node::url).toList();
  }

  /** GET /readyz answers 200: the process is up and reaches Temporal (a build without /readyz: /healthz). */
  static boolean ready(int port) {
    try {
      int readyz = get(port, "/readyz");
      return readyz == 200 || (readyz == 404 && get(port, "/healthz") == 200);
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static int get(int port, String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(3)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private boolean closed;

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Node node : concat(apis, workers)) {
      if (node.process != null && node.process.alive()) {
        node.process.terminate(Duration.ofSeconds(10));
      }
    }
    try {
      temporal.stop();
    } catch (RuntimeException ignored) {
      // not started
    }
    postgres.delete();
    sim.close();
  }

  static List<Node> concat(List<Node> a, List<Node> b) {
    List<Node> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
