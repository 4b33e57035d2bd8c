package dev.sandman.cluster;

import dev.sandman.worker.TemporalConnection;
import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Sandman;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The throughput and scale benchmarks on the cluster (scripts/cluster.sh --bench), beside the floor: the same
 * server's rate for an empty workflow's start and a signal to an idle workflow of our own, with the client
 * settings Sandman's processes use. Writes bench/results/cluster.md and the cluster_ keys of summary.json.
 */
class ClusterBenchTest {
  static final int THREADS = 32; // the HTTP clients, as in the first look at the cluster
  static final int OPEN = Integer.getInteger("sandman.clusterBench.open", 10_000);
  static final int BATCH = Math.min(1000, OPEN);
  static final Duration PROBE_IDLE = Duration.ofSeconds(20);
  static final int PROBES = 200;
  static final int SIGNALS_PER_SECOND_DURING_PROBE = 20;

  @WorkflowInterface
  public interface FloorWorkflow {
    @WorkflowMethod(name = "FloorWorkflow")
    void run(boolean idle);

    @SignalMethod
    void poke();
  }

  public static class FloorWorkflowImpl implements FloorWorkflow {
    @Override
    public void run(boolean idle) {
      if (idle) {
        Workflow.await(() -> false);
      }
    }

    @Override
    public void poke() {}
  }

  record Rate(String what, int count, double perSecond, double p50Millis, double p99Millis) {}

  record Lateness(int open, int probes, double p50, double p99, double max) {}

  record Usage(String group, ProcessUsage used) {}

  @Test
  @Timeout(value = 60, unit = TimeUnit.MINUTES)
  void clusterThroughputAndScale() throws Exception {
    try (Cluster cluster = new Cluster(ClusterSettings.fromEnvironment("bench", 0)).start()) {
      TemporalConnection temporal = TemporalConnection.connect(Map.of("TEMPORAL_ADDRESS", cluster.temporal.address()), null);
      WorkflowClient client = temporal.client();
      WorkerFactory factory = WorkerFactory.newInstance(client);
      factory.newWorker("floor").registerWorkflowImplementationTypes(FloorWorkflowImpl.class);
      factory.start();
      AppClient app = new AppClient(cluster.apiUrls(), Cluster.ADMIN_TOKEN);
      List<Rate> rates = new ArrayList<>();

      // the floor: the same server, a workflow that does nothing
      int floorStarts = 2000;
      rates.add(measure("floor: empty workflow starts", floorStarts, i -> {
        WorkflowClient.start(client.newWorkflowStub(FloorWorkflow.class, WorkflowOptions.newBuilder().setTaskQueue("floor")
            .setWorkflowId("floor-" + UUID.randomUUID()).build())::run, false);
        return true;
      }, true));
      List<String> idle = Collections.synchronizedList(new ArrayList<>());
      measure("floor: idle workflows", 200, i -> {
        String id = "floor-idle-" + UUID.randomUUID();
        WorkflowClient.start(client.newWorkflowStub(FloorWorkflow.class, WorkflowOptions.newBuilder().setTaskQueue("floor")
            .setWorkflowId(id).build())::run, true);
        idle.add(id);
        return true;
      }, false);
      rates.add(measure("floor: signals to an idle workflow", 4000, i -> {
        client.newWorkflowStub(FloorWorkflow.class, idle.get(i % idle.size())).poke();
        return true;
      }, false));

      // Sandman through its HTTP API: tracks, touches, status reads; activity signals straight to the workflows
      List<String> open = Collections.synchronizedList(new ArrayList<>());
      long pgBefore = cluster.postgres.temporalBytes();
      Map<String, ProcessUsage> before = usage(cluster);
      rates.add(track(cluster, app, BATCH, open, "tracks (HTTP, an E2B sandbox the app created)"));
      Map<String, ProcessUsage> afterTracks = usage(cluster);
      rates.add(measure("touches (HTTP, two per sandbox)", 2 * open.size(),
          i -> app.touch(open.get(i % open.size())).status() / 100 == 2, false));
      rates.add(measure("activity signals (Temporal client, to sandbox workflows)", 4000, i -> {
        client.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(open.get(i % open.size()))).activity(ActivitySignal.now());
        return true;
      }, false));
      rates.add(measure("status reads (HTTP)", 4000, i -> app.status(open.get(i % open.size())).status() == 200, false));
      rates.add(measure("creates (HTTP: the durable create, E2B's create, then the track)", 300, i -> {
        AppClient.Answer answer = app.track(null, "bench-create", "PT1H");
        return answer.status() / 100 == 2;
      }, false));
      List<Lateness> lateness = new ArrayList<>();
      cluster.note("bench: rates " + rates.stream().map(r -> r.what() + " " + Math.round(r.perSecond()) + "/s").toList());
      lateness.add(probe(cluster, app, client, open));
      cluster.note("bench: lateness at " + lateness.get(0));
      while (open.size() < OPEN) {
        cluster.note("bench: " + open.size() + " open, tracking more");
        Rate more = track(cluster, app, Math.min(BATCH, OPEN - open.size()), open, "tracks at " + open.size() + " open");
        if (open.size() >= OPEN) {
          rates.add(more);
        }
      }
      if (OPEN > BATCH) {
        lateness.add(probe(cluster, app, client, open));
        cluster.note("bench: lateness at " + lateness.get(1));
      }
      long pgAfter = cluster.postgres.temporalBytes();
      List<String> heaps = new ArrayList<>();
      for (Cluster.Node worker : cluster.workers) {
        heaps.add(heapAfterGc(worker.process.pid()));
      }
      double pgPerThousand = (pgAfter - pgBefore) / 1e6 / (open.size() / 1000.0);
      ClusterBenchReport.write(cluster, rates, lateness, heaps, pgPerThousand, before, afterTracks, open.size());
      factory.shutdownNow();
      temporal.close();
    }
  }

  static Rate track(Cluster cluster, AppClient app, int count, List<String> open, String what) throws Exception {
    return measure(what, count, i -> {
      AppClient.Answer answer = app.track(cluster.sim.createSandbox("base", Duration.ofHours(2), true, Map.of()), "bench", "PT1H");
      if (answer.status() == 201 || answer.status() == 200) {
        open.add(answer.body().get("sandboxId").asText());
        return true;
      }
      return false;
    }, false);
  }

  /** {@code count} operations from {@link #THREADS} threads: the rate and each one's latency. */
  static Rate measure(String what, int count, IntPredicate operation, boolean warmUp) throws Exception {
    if (warmUp) {
      for (int i = 0; i < 50; i++) {
        operation.test(i);
      }
    }
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    long start = System.nanoTime();
    List<Future<?>> runners = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      runners.add(pool.submit(() -> {
        for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
          long one = System.nanoTime();
          if (!operation.test(i)) {
            failed.incrementAndGet();
          }
          latencies.add(System.nanoTime() - one);
        }
      }));
    }
    for (Future<?> runner : runners) {
      runner.get();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    if (failed.get() > count / 100) {
      throw new IllegalStateException(what + ": " + failed.get() + " of " + count + " failed");
    }
    List<Long> sorted = latencies.stream().sorted().toList();
    Rate rate = new Rate(what, count, count / seconds, sorted.get(sorted.size() / 2) / 1e6,
        sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(sorted.size() * 0.99) - 1)) / 1e6);
    System.out.printf(Locale.ROOT, "%s: %d in %.1f s = %.0f/s%n", what, count, seconds, rate.perSecond());
    return rate;
  }

  /** Idle pauses of {@link #PROBES} new sandboxes while activity signals flow to the open ones: deadline to pause. */
  static Lateness probe(Cluster cluster, AppClient app, WorkflowClient client, List<String> open) throws Exception {
    ScheduledExecutorService signals = Executors.newSingleThreadScheduledExecutor();
    AtomicInteger sent = new AtomicInteger();
    signals.scheduleAtFixedRate(() -> {
      try {
        client.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(open.get(sent.getAndIncrement() % open.size())))
            .activity(ActivitySignal.now());
      } catch (RuntimeException ignored) {
        // counted by the lateness it causes, not here
      }
    }, 0, 1000 / SIGNALS_PER_SECOND_DURING_PROBE, TimeUnit.MILLISECONDS);
    try (Fleet fleet = new Fleet(app, cluster.sim, PROBE_IDLE)) {
      int openNow = open.size();
      fleet.trackIdle(PROBES, "probe");
      Launched.await("probe pauses", Duration.ofMinutes(5), () -> fleet.sandboxes.stream()
          .allMatch(s -> "paused".equals(cluster.sim.stateOf(s.id()))));
      List<Double> late = new ArrayList<>();
      for (Fleet.Sandbox sandbox : fleet.sandboxes) {
        cluster.sim.calls().stream().filter(c -> sandbox.id().equals(c.sandboxId()) && c.operation().equals("pause")
            && c.status() / 100 == 2).findFirst()
            .ifPresent(c -> late.add(Duration.between(sandbox.pauseDeadline(), c.at()).toMillis() / 1000.0));
      }
      return new Lateness(openNow, late.size(), Outcome.percentile(late, 50), Outcome.percentile(late, 99),
          Outcome.percentile(late, 100));
    } finally {
      signals.shutdownNow();
    }
  }

  static Map<String, ProcessUsage> usage(Cluster cluster) {
    return Map.of(
        "temporal", ProcessUsage.of(List.of(cluster.temporal.pid())),
        "postgres", ProcessUsage.of(ProcessUsage.ofUser("postgres")),
        "workers", ProcessUsage.of(cluster.workers.stream().map(n -> n.process.pid()).toList()),
        "apis", ProcessUsage.of(cluster.apis.stream().map(n -> n.process.pid()).toList()));
  }

  /** The live heap after a full collection (jcmd), and the resident size. */
  static String heapAfterGc(long pid) throws Exception {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    new ProcessBuilder(jcmd, Long.toString(pid), "GC.run").redirectErrorStream(true).start().waitFor();
    Process info = new ProcessBuilder(jcmd, Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
    String text;
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(info.getInputStream()))) {
      text = String.join("\n", reader.lines().toList());
    }
    java.util.regex.Matcher used = java.util.regex.Pattern.compile("used (\\d+)K").matcher(text);
    long rssKb = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
        .filter(l -> l.startsWith("VmRSS:")).map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(0L);
    return used.find() ? String.format(Locale.ROOT, "%.0f MB live heap, %.0f MB resident",
        Long.parseLong(used.group(1)) / 1024.0, rssKb / 1024.0) : "?";
  }
}
