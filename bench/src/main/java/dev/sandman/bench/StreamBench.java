package dev.sandman.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandman.devserver.DevTemporal;
import dev.sandman.devserver.EmbeddedTemporal;
import dev.sandman.devserver.RealTemporalServer;
import dev.sandman.e2bsim.E2bSimulator;
import dev.sandman.starter.SandmanClient;
import dev.sandman.starter.TrackRequest;
import dev.sandman.worker.Env;
import dev.sandman.worker.SandmanWorker;
import dev.sandman.worker.TemporalConnection;
import dev.sandman.worker.WorkerConfig;
import dev.sandman.workflows.Policy;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Live streams at scale: {@code N} Server-Sent Event viewers on one API replica (a {@code sandman serve}
 * process of its own, so its memory is measured alone), the changes made through the client of another
 * process, on the real Temporal server when its CLI is installed (else the Java test server). Prints the
 * replica's memory before and with the streams open, and how long each viewer waited for a pause.
 */
final class StreamBench {
  private static final String TOKEN = "bench-stream-admin-token-0123456789";
  private static final String QUEUE = "sandman-stream-bench";

  private StreamBench() {}

  record Result(String temporal, int streams, int sandboxes, long rssBeforeKb, long rssAfterKb, long heapBeforeKb, long heapAfterKb,
      int threadsBefore, int threadsAfter, List<Long> latenciesMs, int delivered, int expected) {}

  static void write(Path out, String command, String machine, ObjectNode summary, int streams, int sandboxes) throws Exception {
    Result r = run(streams, sandboxes);
    List<Long> sorted = new ArrayList<>(r.latenciesMs());
    Collections.sort(sorted);
    long p50 = percentile(sorted, 0.50);
    long p99 = percentile(sorted, 0.99);
    long max = sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1);
    String md = "# Live streams: one replica, many viewers\n\n"
        + "Command: `" + command + "`  \nMachine: " + machine + "  \nTemporal: " + r.temporal() + "\n\n"
        + String.format("%d viewers follow %d sandboxes (`GET /v1/sandboxes/{id}/events`, %d each) on one `sandman serve` process;%n"
            + "each sandbox is then paused through another process (the changes reach the replica only through Temporal), and each%n"
            + "viewer's wait from the pause call to its PAUSED event is timed.%n%n", r.streams(), r.sandboxes(), r.streams() / r.sandboxes())
        + "| replica | before the streams | with the streams open | per stream |\n|---|---|---|---|\n"
        + String.format("| resident memory (RSS) | %.1f MiB | %.1f MiB | %.1f KiB |%n", r.rssBeforeKb() / 1024.0, r.rssAfterKb() / 1024.0,
            (r.rssAfterKb() - r.rssBeforeKb()) / (double) r.streams())
        + String.format("| heap after a full GC | %.1f MiB | %.1f MiB | %.1f KiB |%n", r.heapBeforeKb() / 1024.0, r.heapAfterKb() / 1024.0,
            (r.heapAfterKb() - r.heapBeforeKb()) / (double) r.streams())
        + String.format("| threads | %d | %d | |%n%n", r.threadsBefore(), r.threadsAfter())
        + String.format("| delivery of a pause to its viewers | %d of %d viewers | p50 %d ms | p99 %d ms | max %d ms |%n|---|---|---|---|---|%n%n",
            r.delivered(), r.expected(), p50, p99, max)
        + "Temporal Actions spent by the streams: none. A stream reads its sandbox's history with long polls (not billed);\n"
        + "the replica holds one long poll per open stream and no thread for it.\n";
    Files.writeString(out.resolve("streams.md"), md);
    System.out.println(md);
    summary.put("streams_open", r.streams());
    summary.put("stream_replica_heap_kib_per_stream", (r.heapAfterKb() - r.heapBeforeKb()) / (double) r.streams());
    summary.put("stream_delivery_p99_ms", p99);
  }

  static Result run(int streams, int sandboxes) throws Exception {
    Env env = Env.system();
    java.util.Optional<Path> binary = RealTemporalServer.find(env.asMap());
    Path db = Files.createTempDirectory("sandman-stream-bench").resolve("temporal.db");
    try (DevTemporal temporal = binary.isPresent()
            ? RealTemporalServer.start(binary.get(), "127.0.0.1", freePort(), freePort(), db)
            : EmbeddedTemporal.start("127.0.0.1", freePort());
        E2bSimulator sim = new E2bSimulator(E2bSimulator.Options.defaults().withPauseMillisPerGiB(0).withApiKey("e2b_bench_key")).start(0)) {
      String address = "127.0.0.1:" + temporal.port();
      TemporalConnection connection = TemporalConnection.connect(Map.of("TEMPORAL_ADDRESS", address), null);
      if (temporal.needsSearchAttributes()) {
        EmbeddedTemporal.registerSearchAttributes(connection.service(), "default");
      }
      Map<String, String> workerEnv = new HashMap<>(Map.of("E2B_API_URL", sim.url(), "E2B_API_KEY", "e2b_bench_key", "SANDMAN_TASK_QUEUE", QUEUE));
      SandmanWorker worker = SandmanWorker.start(connection.client(), WorkerConfig.fromEnv(new Env(workerEnv)), null);
      SandmanClient client = new SandmanClient(connection.client(), SandmanClient.Options.defaults().withTaskQueue(QUEUE));
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < sandboxes; i++) {
        String id = sim.createSandbox("base", Duration.ofHours(2), true, Map.of());
        client.track(new TrackRequest(id, "stream-bench", "u" + (i % 10), null, null, new Policy(Duration.ofHours(1), null, null)));
        ids.add(id);
      }
      int httpPort = freePort();
      Process replica = startReplica(address, httpPort);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      try {
        waitForHealth(http, httpPort);
        for (String id : ids) { // warm the replica's paths before the first measure
          http.send(get(httpPort, "/v1/sandboxes/" + id), HttpResponse.BodyHandlers.discarding());
        }
        long rssBefore = rssKb(replica.pid());
        long heapBefore = heapAfterGcKb(replica.pid());
        int threadsBefore = threads(replica.pid());

        Map<String, List<Long>> pausedAt = new ConcurrentHashMap<>();
        AtomicInteger open = new AtomicInteger();
        CountDownLatch allPaused = new CountDownLatch(streams);
        List<Stream<String>> bodies = Collections.synchronizedList(new ArrayList<>());
        for (int v = 0; v < streams; v++) {
          String id = ids.get(v % ids.size());
          http.sendAsync(get(httpPort, "/v1/sandboxes/" + id + "/events"), HttpResponse.BodyHandlers.ofLines()).thenAccept(response -> {
            open.incrementAndGet();
            bodies.add(response.body());
            Thread reader = new Thread(() -> {
              try {
                response.body().forEach(line -> {
                  if (line.startsWith("data: ") && line.contains("\"state\":\"PAUSED\"")) {
                    pausedAt.computeIfAbsent(id, k -> Collections.synchronizedList(new ArrayList<>())).add(System.nanoTime());
                    allPaused.countDown();
                  }
                });
              } catch (RuntimeException closed) {
                // the bench closed the stream
              }
            });
            reader.setDaemon(true);
            reader.start();
          });
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (open.get() < streams && System.nanoTime() < until) {
          Thread.sleep(50);
        }
        Thread.sleep(2000); // every stream's first long poll is in place
        long rssAfter = rssKb(replica.pid());
        long heapAfter = heapAfterGcKb(replica.pid());
        int threadsAfter = threads(replica.pid());

        Map<String, Long> asked = new ConcurrentHashMap<>();
        for (String id : ids) {
          asked.put(id, System.nanoTime());
          client.pause(id, "stream bench");
        }
        allPaused.await(60, TimeUnit.SECONDS);
        List<Long> latencies = new ArrayList<>();
        pausedAt.forEach((id, times) -> times.forEach(t -> latencies.add(TimeUnit.NANOSECONDS.toMillis(t - asked.get(id)))));
        bodies.forEach(Stream::close);
        return new Result(temporal.description(), open.get(), sandboxes, rssBefore, rssAfter, heapBefore, heapAfter, threadsBefore,
            threadsAfter, latencies, latencies.size(), streams);
      } finally {
        replica.destroy();
        replica.waitFor(20, TimeUnit.SECONDS);
        client.close();
        worker.shutdown(Duration.ofSeconds(5));
        connection.close();
      }
    }
  }

  private static Process startReplica(String temporalAddress, int httpPort) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.sandman.cli.SandmanCli", "serve");
    builder.environment().put("TEMPORAL_ADDRESS", temporalAddress);
    builder.environment().put("SANDMAN_ADMIN_TOKEN", TOKEN);
    builder.environment().put("SANDMAN_HTTP_PORT", Integer.toString(httpPort));
    builder.environment().put("SANDMAN_TASK_QUEUE", QUEUE);
    builder.environment().put("SANDMAN_LOG_LEVEL", "WARN");
    builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    return builder.start();
  }

  private static HttpRequest get(int port, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Authorization", "Bearer " + TOKEN).build();
  }

  private static void waitForHealth(HttpClient http, int port) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < until) {
      try {
        if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // starting
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the replica did not start");
  }

  private static long rssKb(long pid) throws IOException {
    return status(pid, "VmRSS:");
  }

  private static int threads(long pid) throws IOException {
    return (int) status(pid, "Threads:");
  }

  private static long status(long pid, String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith(field)) {
        return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
      }
    }
    return -1;
  }

  /** The replica's heap in use after a full GC, through the JDK's jcmd. */
  private static long heapAfterGcKb(long pid) throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    run(jcmd.toString(), Long.toString(pid), "GC.run");
    String info = run(jcmd.toString(), Long.toString(pid), "GC.heap_info");
    java.util.regex.Matcher used = java.util.regex.Pattern.compile("used (\\d+)K").matcher(info);
    return used.find() ? Long.parseLong(used.group(1)) : -1;
  }

  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes());
    p.waitFor(30, TimeUnit.SECONDS);
    return text;
  }

  private static long percentile(List<Long> sorted, double q) {
    return sorted.isEmpty() ? -1 : sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(q * sorted.size())));
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
