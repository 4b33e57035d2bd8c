package dev.sandman.bench;

import dev.sandman.devserver.TestServerFifoQueues;
import dev.sandman.devserver.TestServerLockLog;
import dev.sandman.activities.E2bClient;
import dev.sandman.activities.E2bConfig;
import dev.sandman.activities.E2bSandboxActivities;
import dev.sandman.e2bsim.E2bSimulator;
import dev.sandman.starter.SandmanClient;
import dev.sandman.http.HttpApi;
import dev.sandman.worker.SandmanWorker;
import dev.sandman.worker.WorkerOperatorActivities;
import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.OperatorConfig;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxSpec;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Sandman;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Part 2: wall-clock throughput on this machine, one JVM holding Temporal's test server (real time),
 * a worker and the E2B simulator; SDK defaults against tuned options.
 */
final class ThroughputBench {
  static final String QUEUE = "bench";
  static final int WARM_UP = 4000;
  static final int ROUNDS = 3;
  static final double ROUND_SECONDS = 5;

  record Rate(String what, int count, double seconds, double perSecond, double p50Millis, double p99Millis) {}

  /** {@code futexHash}: grow this JVM's futex hash first (it stays grown, so such a setup runs last). */
  record Setup(String name, boolean tuned, boolean futexHash) {}

  record Result(Setup setup, List<Rate> rates) {}

  static Result run(Setup setup, int starts, int signals, int queries, int httpRequests, long touches) throws Exception {
    TestEnvironmentOptions.Builder options = BenchMain.testEnvironment().setUseTimeskipping(false);
    int workflowThreads = Integer.getInteger("bench.threads", 16_000);
    if (setup.tuned()) {
      options.setWorkerFactoryOptions(WorkerFactoryOptions.newBuilder()
          .setWorkflowCacheSize(Integer.getInteger("bench.cache", 20_000)).setMaxWorkflowThreadCount(workflowThreads).build());
    }
    List<Rate> rates = new ArrayList<>();
    try (TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance(options.build());
        E2bSimulator sim = new E2bSimulator(E2bSimulator.Options.defaults().withPauseMillisPerGiB(0)).start(0)) {
      TestServerLockLog.bound(env);
      TestServerFifoQueues.apply(env);
      if (setup.futexHash()) {
        dev.sandman.worker.FutexHash.grow(dev.sandman.worker.FutexHash.slotsFor(workflowThreads));
      }
      E2bClient e2b = new E2bClient(E2bConfig.of(sim.url(), "e2b_bench"));
      WorkerOptions.Builder workerOptions = WorkerOptions.newBuilder();
      if (setup.tuned()) {
        workerOptions.setMaxConcurrentWorkflowTaskPollers(Integer.getInteger("bench.pollers", 8)).setMaxConcurrentActivityTaskPollers(4)
            .setMaxConcurrentWorkflowTaskExecutionSize(400);
      }
      Worker worker = env.newWorker(QUEUE, workerOptions.build());
      SandmanWorker.register(worker, new E2bSandboxActivities(e2b),
          new WorkerOperatorActivities(OperatorConfig.standard(), env.getWorkflowClient(), QUEUE), event -> { });
      env.start();
      WorkflowClient client = env.getWorkflowClient();
      int threads = setup.tuned() ? 32 : 8;
      ExecutorService pool = Executors.newFixedThreadPool(threads);

      // warm-up, not measured: JIT-compile the paths (a worker in production has run for hours)
      List<String> warm = Collections.synchronizedList(new ArrayList<>());
      measure("warm-up starts", WARM_UP / 4, pool, threads, i -> {
        String id = sim.createSandbox("base", Duration.ofHours(2), true, Map.of());
        warm.add(id);
        WorkflowClient.start(client.newWorkflowStub(SandboxWorkflow.class, WorkflowOptions.newBuilder()
            .setWorkflowId(Sandman.workflowId(id)).setTaskQueue(QUEUE).build())::run, SandboxSpec.of(id, "warm", "w", Policy.defaults()));
      });
      Thread.sleep(1000);
      measure("warm-up signals", WARM_UP, pool, threads, i ->
          client.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(warm.get(i % warm.size()))).activity(ActivitySignal.now()));
      measure("warm-up queries", WARM_UP, pool, threads, i ->
          client.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(warm.get(i % warm.size()))).status());

      List<String> ids = Collections.synchronizedList(new ArrayList<>());
      rates.add(measure("workflow starts", starts, pool, threads, i -> {
        String id = sim.createSandbox("base", Duration.ofHours(2), true, Map.of());
        ids.add(id);
        SandboxWorkflow workflow = client.newWorkflowStub(SandboxWorkflow.class,
            WorkflowOptions.newBuilder().setWorkflowId(Sandman.workflowId(id)).setTaskQueue(QUEUE).build());
        WorkflowClient.start(workflow::run, SandboxSpec.of(id, "bench", "u" + (i % 100), Policy.defaults()));
      }));
      Thread.sleep(2000); // let first workflow tasks settle
      rates.add(measure("activity signals", signals, pool, threads, i ->
          client.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(ids.get(i % ids.size()))).activity(ActivitySignal.now())));
      rates.add(measure("status queries", queries, pool, threads, i ->
          client.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(ids.get(i % ids.size()))).status()));

      SandmanClient sandman = new SandmanClient(client, SandmanClient.Options.defaults().withTaskQueue(QUEUE));
      HttpApi api = HttpApi.start(sandman, new HttpApi.Config("127.0.0.1", 0, "bench-admin-token-0123456789", null, 65536),
          new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      rates.add(measure("HTTP GET status", httpRequests, pool, threads, i -> {
        try {
          HttpResponse<String> response = http.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + api.port() + "/v1/sandboxes/" + ids.get(i % ids.size())))
              .header("Authorization", "Bearer bench-admin-token-0123456789").build(), HttpResponse.BodyHandlers.ofString());
          if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode());
          }
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }));
      api.close();

      // app touches through the coalescing client: 4 threads over the 100 sandboxes whose users are active
      // (an app touches on every keystroke or request of its active users; the first touch of a sandbox in
      // each window is sent at once, so spreading touches over thousands of sandboxes measures signals)
      int active = Math.min(100, ids.size());
      long started = System.nanoTime();
      List<Future<?>> touchers = new ArrayList<>();
      ExecutorService touchPool = Executors.newFixedThreadPool(4);
      for (int t = 0; t < 4; t++) {
        int offset = t;
        touchers.add(touchPool.submit(() -> {
          for (long i = offset; i < touches; i += 4) {
            sandman.touch(ids.get((int) (i % active)));
          }
        }));
      }
      for (Future<?> f : touchers) {
        f.get();
      }
      double touchSeconds = (System.nanoTime() - started) / 1e9;
      rates.add(new Rate("app touches (coalesced, 100 active sandboxes)", (int) touches, touchSeconds, touches / touchSeconds, 0, 0));
      touchPool.shutdown();

      pool.shutdown();
      sandman.close();
      return new Result(setup, rates);
    }
  }

  /**
   * Runs {@code call(0..)} from every thread of the pool, closed loop, in {@link #ROUNDS} rounds of up to
   * {@code perRound} calls or {@link #ROUND_SECONDS} seconds each; the rate is the median round's (one
   * round can be cut by a collection or a compilation), the latencies are over all rounds.
   */
  private static Rate measure(String what, int perRound, ExecutorService pool, int threads, IntConsumer call) throws Exception {
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    double[] rates = new double[ROUNDS];
    AtomicInteger next = new AtomicInteger();
    int total = 0;
    double seconds = 0;
    for (int round = 0; round < ROUNDS; round++) {
      int first = next.get();
      long deadline = System.nanoTime() + (long) (ROUND_SECONDS * 1e9);
      long started = System.nanoTime();
      List<Future<?>> loops = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        loops.add(pool.submit(() -> {
          long[] mine = new long[perRound];
          int n = 0;
          for (int i = next.getAndIncrement(); i < first + perRound && System.nanoTime() < deadline; i = next.getAndIncrement()) {
            long t0 = System.nanoTime();
            call.accept(i);
            mine[n++] = System.nanoTime() - t0;
          }
          for (int k = 0; k < n; k++) {
            latencies.add(mine[k]);
          }
          return null;
        }));
      }
      for (Future<?> loop : loops) {
        loop.get();
      }
      double roundSeconds = (System.nanoTime() - started) / 1e9;
      int done = Math.min(next.get(), first + perRound) - first;
      next.set(first + done);
      rates[round] = done / roundSeconds;
      total += done;
      seconds += roundSeconds;
    }
    double[] sortedRates = rates.clone();
    java.util.Arrays.sort(sortedRates);
    long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    return new Rate(what, total, seconds, sortedRates[ROUNDS / 2], sorted[sorted.length / 2] / 1e6,
        sorted[(int) Math.ceil(sorted.length * 0.99) - 1] / 1e6);
  }

  private ThroughputBench() {}
}
