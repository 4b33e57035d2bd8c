package dev.sandman.bench;

import dev.sandman.worker.Env;
import dev.sandman.worker.SandmanWorker;
import dev.sandman.worker.WorkerConfig;
import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxSpec;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Sandman;
import dev.sandman.workflows.SandmanJson;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * Scale: how many sandbox workflows one worker holds open, what its heap is, and how precisely idle
 * sandboxes are paused while many are open and signals flow. Temporal's test server and the E2B
 * simulator run in a second JVM ({@link ScaleServer}), so this JVM's heap is the worker's (plus a
 * list of ids and the load generator). The worker is built exactly as {@code sandman worker} builds
 * it, from the same environment variables.
 */
final class ScaleBench {
  static final String QUEUE = "bench-scale";

  record Held(int open, long workerHeapMb, long workerRssMb, int workerThreads, long serverHeapMb, double startsPerSecond,
      int sampled, int sampledRunning) {}

  record Lag(int open, String load, double signalsPerSecond, int idle, int paused, double p50, double p99, double max, long cacheMisses) {}

  record Result(Map<String, String> workerEnv, List<Held> held, List<Lag> lags) {}

  /**
   * Opens sandboxes up to each target, measuring the worker's heap at each; at {@code lagAt} open,
   * measures idle deadline to pause call at each signal rate.
   */
  static Result run(int[] targets, int lagAt, int[] signalRates, Map<String, String> workerEnv) throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    Process server = new ProcessBuilder(java, "-Xmx12g", "-cp", System.getProperty("java.class.path"),
        ScaleServer.class.getName(), Integer.toString(port))
        .redirectError(ProcessBuilder.Redirect.appendTo(Files.createTempFile("sandman-scale-server", ".log").toFile()))
        .start();
    try (BufferedReader from = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter to = new PrintWriter(server.getOutputStream(), true, StandardCharsets.UTF_8)) {
      String[] ready = from.readLine().split(" ");
      String e2bUrl = ready[2];
      WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(
          WorkflowServiceStubsOptions.newBuilder().setTarget("127.0.0.1:" + port).build());
      OperatorServiceStubs operator = OperatorServiceStubs.newServiceStubs(
          OperatorServiceStubsOptions.newBuilder().setChannel(service.getRawChannel()).validateAndBuildWithDefaults());
      AddSearchAttributesRequest.Builder attributes = AddSearchAttributesRequest.newBuilder().setNamespace("default");
      Sandman.SEARCH_ATTRIBUTES.forEach(k -> attributes.putSearchAttributes(k.getName(), IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD));
      operator.blockingStub().addSearchAttributes(attributes.build());
      WorkflowClient client = WorkflowClient.newInstance(service,
          WorkflowClientOptions.newBuilder().setDataConverter(SandmanJson.dataConverter()).build());

      Map<String, String> env = new HashMap<>(workerEnv);
      env.put("E2B_API_URL", e2bUrl);
      env.put("E2B_API_KEY", "e2b_bench");
      env.put("SANDMAN_TASK_QUEUE", QUEUE);
      env.put("SANDMAN_WORKER_HEALTH_PORT", "0");
      SandmanWorker worker = SandmanWorker.start(client, WorkerConfig.fromEnv(new Env(env)), null);

      List<String> open = Collections.synchronizedList(new ArrayList<>());
      List<Held> held = new ArrayList<>();
      List<Lag> lags = new ArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(32);
      for (int target : targets) {
        int more = target - open.size();
        double rate = 0;
        if (more > 0) {
          List<String> ids = create(to, from, more);
          long started = System.nanoTime();
          inParallel(pool, ids.size(), i -> start(client, ids.get(i), "p" + (i % 1000), Duration.ofHours(2)));
          rate = more / ((System.nanoTime() - started) / 1e9);
          open.addAll(ids);
          Thread.sleep(5000); // the last first workflow tasks and describe calls finish
        }
        int[] running = sampleRunning(service, open, 200);
        held.add(new Held(open.size(), workerHeapMb(), rssMb(ProcessHandle.current().pid()), ManagementFactory.getThreadMXBean().getThreadCount(),
            Long.parseLong(ask(to, from, "heap")[1]), rate, running[0], running[1]));
        System.out.printf("  %,d open: worker heap %d MiB, %s%n", open.size(), held.get(held.size() - 1).workerHeapMb(), held.get(held.size() - 1));
        if (target == lagAt) {
          // a worker that has been up a while has seen activity on its open sandboxes: one signal to each, not
          // measured, so each workflow is in the worker's cache (those not yet there replay their history: tens
          // of seconds for thousands of them on this machine)
          long warmStart = System.nanoTime();
          List<String> warm = List.copyOf(open);
          inParallel(pool, warm.size(), i ->
              client.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(warm.get(i))).activity(ActivitySignal.now()));
          double drained = awaitDrained(client, open);
          System.out.printf("  warm pass over %,d open sandboxes: %.1f s (the worker caught up %.1f s after the last signal), %d worker threads%n",
              open.size(), (System.nanoTime() - warmStart) / 1e9, drained, ManagementFactory.getThreadMXBean().getThreadCount());
          for (int signalRate : signalRates) {
            if (!lags.isEmpty()) {
              System.out.printf("  the worker caught up %.1f s after the load stopped%n", awaitDrained(client, open));
            }
            lags.add(deadlineToPause(to, from, pool, client, worker, open, signalRate));
            System.out.printf("  deadline to pause: %s%n", lags.get(lags.size() - 1));
          }
        }
      }
      pool.shutdownNow();
      worker.shutdown(Duration.ofSeconds(5));
      service.shutdownNow();
      return new Result(new java.util.TreeMap<>(workerEnv), held, lags);
    } finally {
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
      server.destroyForcibly();
    }
  }

  /**
   * Idle sandboxes with a 10 s idle timeout, started 20 a second for 15 s (their deadlines spread as
   * real ones are), while signals flow to the open ones; the lag from each deadline (counted from the
   * moment before its start call, so an upper bound) to the E2B pause call.
   */
  private static Lag deadlineToPause(PrintWriter to, BufferedReader from, ExecutorService pool, WorkflowClient client,
      SandmanWorker worker, List<String> open, int signalRate) throws Exception {
    long missesBefore = cacheMisses(worker);
    Duration idleTimeout = Duration.ofSeconds(10);
    List<String> idle = create(to, from, 300);
    Map<String, Long> startedAt = new java.util.concurrent.ConcurrentHashMap<>();
    Map<String, Long> startCall = new java.util.concurrent.ConcurrentHashMap<>();
    AtomicBoolean flowing = new AtomicBoolean(true);
    AtomicLong sent = new AtomicLong();
    List<String> targets = List.copyOf(open);
    int senders = signalRate == 0 ? 1 : 8;
    Semaphore permits = new Semaphore(0);
    ExecutorService load = Executors.newFixedThreadPool(senders + 1);
    if (signalRate > 0) { // a pacer hands out permits at the rate, in 10 ms slices
      load.submit(() -> {
        long next = System.nanoTime();
        while (flowing.get()) {
          permits.release(Math.max(1, signalRate / 100));
          next += 10_000_000L;
          long wait = next - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
        }
        return null;
      });
    }
    long loadStarted = System.nanoTime();
    for (int s = 0; s < senders; s++) {
      int offset = s;
      load.submit(() -> {
        long i = offset;
        while (flowing.get()) {
          if (signalRate > 0 && !permits.tryAcquire(50, TimeUnit.MILLISECONDS)) {
            continue;
          }
          client.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(targets.get((int) (i % targets.size()))))
              .activity(ActivitySignal.now());
          sent.incrementAndGet();
          i += senders * 7919L; // spread over the open sandboxes
        }
        return null;
      });
    }
    Thread.sleep(20_000); // the load has been flowing a while (and the JIT has compiled it) before the first idle sandbox starts
    System.out.printf("    load before idle starts: %.0f signals/s%n", sent.get() / ((System.nanoTime() - loadStarted) / 1e9));
    for (int second = 0; second < 15; second++) {
      long tick = System.nanoTime();
      List<String> batch = idle.subList(second * 20, second * 20 + 20);
      for (String id : batch) {
        pool.submit(() -> {
          startedAt.put(id, System.currentTimeMillis());
          start(client, id, "idle", idleTimeout);
          startCall.put(id, System.currentTimeMillis() - startedAt.get(id));
        });
      }
      long wait = 1_000_000_000L - (System.nanoTime() - tick);
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
    }
    Thread.sleep(idleTimeout.toMillis() + 10_000);
    flowing.set(false);
    double seconds = (System.nanoTime() - loadStarted) / 1e9;
    load.shutdown();
    load.awaitTermination(30, TimeUnit.SECONDS);
    record Late(String id, long millis) {}
    List<Late> paused = new ArrayList<>();
    pauseCalls(to, from).forEach((id, calledAt) -> {
      Long at = startedAt.get(id);
      if (at != null) {
        paused.add(new Late(id, calledAt - at - idleTimeout.toMillis()));
      }
    });
    paused.sort(java.util.Comparator.comparingLong(Late::millis).reversed());
    long firstStart = startedAt.values().stream().mapToLong(Long::longValue).min().orElse(0);
    paused.stream().limit(3).forEach(late -> System.out.printf("      %.3f s late (start call %d ms, started +%d ms): %s%n",
        late.millis() / 1000.0, startCall.get(late.id()), startedAt.get(late.id()) - firstStart, late.id()));
    if (System.getenv("BENCH_DEBUG") != null && !paused.isEmpty()) { // the latest one's history, event by event
      var events = client.fetchHistory(Sandman.workflowId(paused.get(0).id())).getHistory().getEventsList();
      long t0 = com.google.protobuf.util.Timestamps.toMillis(events.get(0).getEventTime());
      events.forEach(e -> System.out.printf("        +%6d ms %s%n", com.google.protobuf.util.Timestamps.toMillis(e.getEventTime()) - t0, e.getEventType()));
    }
    List<Double> lag = new ArrayList<>(paused.stream().map(late -> late.millis() / 1000.0).toList());
    while (lag.size() < idle.size()) {
      lag.add(Double.POSITIVE_INFINITY); // never paused in the window: as late as can be
    }
    Collections.sort(lag);
    open.addAll(idle);
    return new Lag(targets.size(), signalRate == 0 ? "one sender, as fast as it can" : String.format("%,d/s paced", signalRate),
        sent.get() / seconds, idle.size(), (int) lag.stream().filter(Double::isFinite).count(), CostBench.percentile(lag, 0.5),
        CostBench.percentile(lag, 0.99), lag.get(lag.size() - 1), cacheMisses(worker) - missesBefore);
  }

  /**
   * Workflow tasks the worker found no cached workflow for (each one a replay of the whole history): read
   * from the SDK's sticky cache, which it does not expose.
   */
  private static long cacheMisses(SandmanWorker worker) throws ReflectiveOperationException {
    java.lang.reflect.Field factory = SandmanWorker.class.getDeclaredField("factory");
    factory.setAccessible(true);
    java.lang.reflect.Method cache = io.temporal.worker.WorkerFactory.class.getDeclaredMethod("getCache");
    cache.setAccessible(true);
    return ((io.temporal.internal.worker.WorkflowExecutorCache) cache.invoke(factory.get(worker))).getCacheMisses();
  }

  /**
   * Waits until the worker has worked off the workflow tasks queued for it: a query waits in the same task
   * queue as the signals before it, so the worker has caught up when queries to a sample of open sandboxes
   * answer quickly. Returns the seconds it took.
   */
  private static double awaitDrained(WorkflowClient client, List<String> open) throws InterruptedException {
    long started = System.nanoTime();
    java.util.Random random = new java.util.Random(11);
    while (System.nanoTime() - started < TimeUnit.MINUTES.toNanos(3)) {
      long slowest = 0;
      for (int i = 0; i < 20; i++) {
        long t0 = System.nanoTime();
        client.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(open.get(random.nextInt(open.size())))).status();
        slowest = Math.max(slowest, System.nanoTime() - t0);
      }
      if (slowest < TimeUnit.MILLISECONDS.toNanos(200)) {
        return (System.nanoTime() - started) / 1e9;
      }
      Thread.sleep(1000);
    }
    throw new IllegalStateException("the worker did not catch up with its workflow tasks within 3 minutes");
  }

  /** Runs {@code task(0..n-1)} on the pool and waits for all of them. */
  private static void inParallel(ExecutorService pool, int n, IntConsumer task) throws Exception {
    List<Future<?>> futures = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int index = i;
      futures.add(pool.submit(() -> task.accept(index)));
    }
    for (Future<?> future : futures) {
      future.get();
    }
  }

  private static void start(WorkflowClient client, String id, String project, Duration idleTimeout) {
    SandboxWorkflow workflow = client.newWorkflowStub(SandboxWorkflow.class,
        WorkflowOptions.newBuilder().setWorkflowId(Sandman.workflowId(id)).setTaskQueue(QUEUE).build());
    WorkflowClient.start(workflow::run, SandboxSpec.of(id, project, "u" + Math.abs(id.hashCode() % 5000),
        new Policy(idleTimeout, null, null)));
  }

  private static List<String> create(PrintWriter to, BufferedReader from, int n) throws Exception {
    String[] answer = ask(to, from, "create " + n);
    return List.of(Arrays.copyOfRange(answer, 1, answer.length));
  }

  /** When the simulator answered each sandbox's first successful pause call (epoch millis). */
  private static Map<String, Long> pauseCalls(PrintWriter to, BufferedReader from) throws Exception {
    Map<String, Long> at = new HashMap<>();
    String[] pauses = ask(to, from, "pauses");
    for (int k = 1; k < pauses.length; k++) {
      String[] kv = pauses[k].split("=");
      at.putIfAbsent(kv[0], Long.parseLong(kv[1]));
    }
    return at;
  }

  private static String[] ask(PrintWriter to, BufferedReader from, String command) throws Exception {
    synchronized (to) {
      to.println(command);
      return from.readLine().split(" ");
    }
  }

  /** Of {@code n} open sandboxes picked at random, how many the server reports RUNNING: {n, running}. */
  private static int[] sampleRunning(WorkflowServiceStubs service, List<String> open, int n) {
    java.util.Random random = new java.util.Random(7);
    int running = 0;
    for (int i = 0; i < n; i++) {
      String id = open.get(random.nextInt(open.size()));
      var status = service.blockingStub().describeWorkflowExecution(
          io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest.newBuilder().setNamespace("default")
              .setExecution(io.temporal.api.common.v1.WorkflowExecution.newBuilder().setWorkflowId(Sandman.workflowId(id))).build())
          .getWorkflowExecutionInfo().getStatus();
      if (status == io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        running++;
      }
    }
    return new int[] {n, running};
  }

  static long workerHeapMb() throws InterruptedException {
    System.gc();
    Thread.sleep(300);
    System.gc();
    Runtime runtime = Runtime.getRuntime();
    return (runtime.totalMemory() - runtime.freeMemory()) / (1024 * 1024);
  }

  static long rssMb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (Exception e) {
      // not Linux: no RSS
    }
    return -1;
  }

  private ScaleBench() {}
}
