package dev.sandman.bench;

import dev.sandman.devserver.TestServerLockLog;
import dev.sandman.activities.E2bClient;
import dev.sandman.activities.E2bConfig;
import dev.sandman.activities.E2bSandboxActivities;
import dev.sandman.e2bsim.E2bSimulator;
import dev.sandman.worker.SandmanWorker;
import dev.sandman.worker.SuppliedClock;
import dev.sandman.worker.WorkerOperatorActivities;
import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.OperatorConfig;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxSpec;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Sandman;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Part 1: the same day of activity replayed through the polling cron and through Sandman, both in
 * Temporal's time-skipping environment against the E2B simulator; what each costs and how precisely
 * each pauses.
 */
final class CostBench {
  static final String QUEUE = "bench";
  static final double PRICE_PER_HOUR = OperatorConfig.E2B_DEFAULT_PRICE_PER_HOUR;

  /** What one design did with the day: pause call times per sandbox index, E2B calls, writes. */
  record Run(String name, Map<Integer, List<Instant>> pauses, Map<String, Long> e2bCalls, long activityWrites,
      Instant start, double wallSeconds) {}

  /** Metrics of one run against the trace. */
  record Result(String name, double wasteMinutes, double wasteDollars, long pausedWhileActive, long pauses,
      double latenessP50, double latenessP99, double latenessMax, Map<String, Long> e2bCalls, long activityWrites,
      double wallSeconds, List<Double> lateness) {}

  static final class Env implements AutoCloseable {
    final TestWorkflowEnvironment env;
    final E2bSimulator sim;
    final E2bClient e2b;
    final WorkflowClient client;
    final Instant start;

    Env(java.util.function.Consumer<Env> register) throws Exception {
      TestEnvironmentOptions.Builder options = BenchMain.testEnvironment();
      env = TestWorkflowEnvironment.newInstance(options.build());
      TestServerLockLog.bound(env);
      sim = new E2bSimulator(E2bSimulator.Options.defaults().withPauseMillisPerGiB(0)
          .withClock(() -> Instant.ofEpochMilli(env.currentTimeMillis()))).start(0);
      e2b = new E2bClient(E2bConfig.of(sim.url(), "e2b_bench"));
      client = env.getWorkflowClient();
      register.accept(this);
      env.start();
      start = Instant.ofEpochSecond(env.currentTimeMillis() / 1000 + 1);
      env.sleep(Duration.between(Instant.ofEpochMilli(env.currentTimeMillis()), start));
    }

    Clock clock() {
      return new SuppliedClock(env::currentTimeMillis);
    }

    void sleepUntil(Instant t) {
      long millis = t.toEpochMilli() - env.currentTimeMillis();
      if (millis > 0) {
        env.sleep(Duration.ofMillis(millis));
      }
    }

    @Override
    public void close() {
      env.close();
      sim.close();
    }
  }

  /**
   * Sandman's side, in shards of {@code shardSize} sandboxes replayed {@code parallel} at a time, each
   * in its own time-skipping environment. Sandbox workflows share nothing, so a shard sees exactly what
   * it would in one big run; sharding only keeps the Java test server's time skipping fast (each skip
   * waits for every workflow task in flight, so one environment slows as the open workflows grow).
   * Pause times are returned relative to {@link Instant#EPOCH}, the start of the day.
   */
  static Run runSandman(Trace trace, int shardSize, int parallel) throws Exception {
    long wall = System.nanoTime();
    List<Future<Run>> runs = inShards(trace, shardSize, parallel, CostBench::runSandman);
    Map<Integer, List<Instant>> pauses = new HashMap<>();
    Map<String, Long> calls = new TreeMap<>();
    long writes = 0;
    for (int i = 0; i < runs.size(); i++) {
      Run run = runs.get(i).get();
      int offset = i * shardSize;
      run.pauses().forEach((sandbox, times) -> pauses.put(sandbox + offset, times.stream()
          .map(t -> Instant.EPOCH.plusMillis(t.toEpochMilli() - run.start().toEpochMilli())).toList()));
      run.e2bCalls().forEach((kind, n) -> calls.merge(kind, n, Long::sum));
      writes += run.activityWrites();
      System.out.printf("  Sandman shard %d/%d (%d sandboxes) replayed in %.0f s%n", i + 1, runs.size(),
          Math.min(shardSize, trace.sandboxes - offset), run.wallSeconds());
    }
    return new Run("Sandman", pauses, calls, writes, Instant.EPOCH, (System.nanoTime() - wall) / 1e9);
  }

  /** A replay of a slice of the trace, in its own environment. */
  interface ShardReplay<T> {
    T replay(Trace slice) throws Exception;
  }

  /** Replays the trace in slices of {@code shardSize} sandboxes, {@code parallel} at a time; the results in order. */
  static <T> List<Future<T>> inShards(Trace trace, int shardSize, int parallel, ShardReplay<T> replay) {
    ExecutorService shards = Executors.newFixedThreadPool(Math.max(1, parallel));
    List<Future<T>> runs = new ArrayList<>();
    for (int from = 0; from < trace.sandboxes; from += shardSize) {
      Trace slice = trace.slice(from, Math.min(trace.sandboxes, from + shardSize));
      runs.add(shards.submit(() -> replay.replay(slice)));
    }
    shards.shutdown(); // runs what was submitted, then ends its threads
    return runs;
  }

  static Run runSandman(Trace trace) throws Exception {
    return runSandman(trace, status -> { });
  }

  /** The replay through Sandman; {@code atEnd} is given every sandbox's status when the day is over. */
  static Run runSandman(Trace trace, java.util.function.Consumer<dev.sandman.workflows.SandboxStatus> atEnd) throws Exception {
    long wall = System.nanoTime();
    Map<Integer, String> ids = new HashMap<>();
    try (Env e = new Env(env -> {
      Worker worker = env.env.newWorker(QUEUE);
      SandmanWorker.register(worker, new E2bSandboxActivities(env.e2b, env.clock()),
          new WorkerOperatorActivities(OperatorConfig.standard(), env.client, QUEUE), event -> { });
    })) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      for (Step step : steps(trace)) {
        e.sleepUntil(e.start.plusSeconds(step.second()).minusMillis(1)); // before any timer due at that second
        List<Future<?>> sent = new ArrayList<>();
        // one task per sandbox, its actions in order: a workflow learns each gap between them as it happened
        Map<Integer, List<Trace.Event>> bySandbox = new java.util.LinkedHashMap<>();
        step.events().forEach(event -> bySandbox.computeIfAbsent(event.sandbox(), k -> new ArrayList<>()).add(event));
        for (Map.Entry<Integer, List<Trace.Event>> actions : bySandbox.entrySet()) {
          int sandbox = actions.getKey();
          String known = ids.get(sandbox);
          String id = known != null ? known : e.sim.createSandbox("base", Duration.ofMinutes(15), true, Map.of());
          ids.put(sandbox, id);
          sent.add(pool.submit(() -> {
            List<Trace.Event> events = actions.getValue();
            int from = 0;
            if (known == null) { // the user's first action: the app creates the sandbox and tracks it
              SandboxWorkflow workflow = e.client.newWorkflowStub(SandboxWorkflow.class, WorkflowOptions.newBuilder()
                  .setWorkflowId(Sandman.workflowId(id)).setTaskQueue(QUEUE).build());
              WorkflowClient.start(workflow::run, SandboxSpec.of(id, "bench", "u" + sandbox, Policy.defaults()));
              from = 1;
            }
            SandboxWorkflow workflow = e.client.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(id));
            for (Trace.Event event : events.subList(from, events.size())) {
              workflow.activity(new ActivitySignal(e.start.plusSeconds(event.second())));
            }
            return null;
          }));
        }
        for (Future<?> future : sent) {
          future.get();
        }
      }
      e.sleepUntil(e.start.plusSeconds(Trace.DAY));
      pool.shutdown();
      ids.values().forEach(id -> atEnd.accept(e.client.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(id)).status()));
      Map<String, Integer> index = new HashMap<>();
      ids.forEach((k, v) -> index.put(v, k));
      Map<Integer, List<Instant>> pauses = new HashMap<>();
      for (E2bSimulator.Call call : e.sim.calls()) {
        if (call.operation().equals("pause") && call.status() == 204) {
          pauses.computeIfAbsent(index.get(call.sandboxId()), k -> new ArrayList<>()).add(call.at());
        }
      }
      return new Run("Sandman", pauses, callsByKind(e.sim), trace.events.size(), e.start, (System.nanoTime() - wall) / 1e9);
    }
  }

  static Run runBaseline(Trace trace) throws Exception {
    long wall = System.nanoTime();
    BaselineCron.Table[] table = new BaselineCron.Table[1];
    Map<Integer, String> ids = new HashMap<>();
    try (Env e = new Env(env -> {
      Worker worker = env.env.newWorker(QUEUE);
      worker.registerWorkflowImplementationTypes(BaselineCron.CronWorkflowImpl.class);
      table[0] = new BaselineCron.Table(env.e2b, () -> Instant.ofEpochMilli(env.env.currentTimeMillis()));
      worker.registerActivitiesImplementations(table[0]);
    })) {
      BaselineCron.CronWorkflow cron = e.client.newWorkflowStub(BaselineCron.CronWorkflow.class,
          WorkflowOptions.newBuilder().setWorkflowId("baseline-cron").setTaskQueue(QUEUE).build());
      WorkflowClient.start(cron::run, e.start.plusSeconds(Trace.DAY).toEpochMilli());
      for (Step step : steps(trace)) {
        e.sleepUntil(e.start.plusSeconds(step.second()).minusMillis(1)); // before the cron tick at that second
        for (Trace.Event event : step.events()) {
          Instant at = e.start.plusSeconds(event.second());
          String id = ids.computeIfAbsent(event.sandbox(),
              k -> e.sim.createSandbox("base", Duration.ofHours(24), true, Map.of())); // E2B's own timeout stays out of the way
          table[0].activity(id, at);
        }
      }
      e.sleepUntil(e.start.plusSeconds(Trace.DAY));
      Map<String, Integer> index = new HashMap<>();
      ids.forEach((k, v) -> index.put(v, k));
      Map<Integer, List<Instant>> pauses = new HashMap<>();
      synchronized (table[0]) {
        for (BaselineCron.Pause pause : table[0].pauses) {
          pauses.computeIfAbsent(index.get(pause.sandboxId()), k -> new ArrayList<>()).add(pause.calledAt());
        }
      }
      return new Run("Polling cron (5 min)", pauses, callsByKind(e.sim), table[0].writes, e.start, (System.nanoTime() - wall) / 1e9);
    }
  }

  /** Waste, precision and lateness of a run's pauses against the trace. */
  static Result measure(Trace trace, Run run) {
    long idle = 600;
    double wasteSeconds = 0;
    long whileActive = 0;
    long pauseCount = 0;
    List<Double> lateness = new ArrayList<>();
    for (int s = 0; s < trace.sandboxes; s++) {
      int[] activity = trace.activity.get(s);
      List<Double> pauses = run.pauses().getOrDefault(s, List.of()).stream()
          .map(p -> (p.toEpochMilli() - run.start().toEpochMilli()) / 1000.0).sorted().toList();
      pauseCount += pauses.size();
      for (double p : pauses) { // a pause decided on stale data: the user acted within the idle timeout before it
        int last = lastBefore(activity, p);
        if (last >= 0 && p - activity[last] < idle - 0.5) {
          whileActive++;
          if (System.getenv("BENCH_DEBUG") != null) {
            int from = Math.max(0, last - 3);
            System.err.printf("%s: sandbox %d paused at %.3f; actions %s%n", run.name(), s, p,
                java.util.Arrays.toString(java.util.Arrays.copyOfRange(activity, from, Math.min(activity.length, last + 3))));
          }
        }
      }
      for (int i = 0; i < activity.length; i++) {
        double lastAction = activity[i];
        double deadline = lastAction + idle;
        double next = i + 1 < activity.length ? activity[i + 1] : Trace.DAY;
        if (next <= deadline) {
          continue; // no idle deadline in this gap
        }
        double firstPause = pauses.stream().filter(p -> p >= lastAction && p <= next).findFirst().orElse(Double.NaN);
        if (Double.isNaN(firstPause)) {
          wasteSeconds += next - deadline; // ran idle until the user came back (or the day ended)
        } else {
          wasteSeconds += Math.max(0, firstPause - deadline);
          lateness.add(firstPause - deadline);
        }
      }
    }
    List<Double> sorted = lateness.stream().sorted().toList();
    double wasteMinutes = wasteSeconds / 60;
    return new Result(run.name(), wasteMinutes, wasteMinutes / 60 * PRICE_PER_HOUR, whileActive, pauseCount,
        percentile(sorted, 0.50), percentile(sorted, 0.99), sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1),
        run.e2bCalls(), run.activityWrites(), run.wallSeconds(), sorted);
  }

  private static int lastBefore(int[] activity, double t) {
    int found = -1;
    for (int i = 0; i < activity.length && activity[i] <= t; i++) {
      found = i;
    }
    return found;
  }

  static double percentile(List<Double> sorted, double q) {
    if (sorted.isEmpty()) {
      return 0;
    }
    int index = (int) Math.ceil(q * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  /** How late an action may be delivered (stamped with its exact time); divides the cron's 5-minute period. */
  static final int WINDOW = 60;

  /** A batch of actions, delivered together 1 ms before {@code second}. */
  record Step(int second, List<Trace.Event> events) {}

  /**
   * Groups the trace into steps: actions are delivered at the end of their 60-second window with
   * their exact timestamps, except that an action arriving before its sandbox's idle deadline while
   * that deadline falls inside the window is delivered at its own second, so no deadline passes
   * between an action and its delivery. Window ends coincide with the cron's ticks.
   */
  static List<Step> steps(Trace trace) {
    List<Step> steps = new ArrayList<>();
    int[] last = new int[trace.sandboxes];
    java.util.Arrays.fill(last, Integer.MIN_VALUE / 2);
    List<Trace.Event> pending = new ArrayList<>();
    int windowEnd = 0;
    for (Trace.Event event : trace.events) {
      while (event.second() > windowEnd) { // windows (end - 60 s, end]: a tick's own second is seen by its scan
        if (!pending.isEmpty()) {
          steps.add(new Step(windowEnd, pending));
          pending = new ArrayList<>();
        }
        windowEnd += WINDOW;
      }
      pending.add(event);
      boolean first = last[event.sandbox()] < 0; // tracking starts the idle clock: exactly then
      int deadline = last[event.sandbox()] + 600;
      boolean returns = event.second() >= deadline; // wakes a paused sandbox: the resume starts its idle clock
      // exactly now when its deadline would come before or at the window's end: an action delivered at its own
      // second is stamped 1 ms early (the clock is 1 ms short of it), so its deadline is 1 ms early too, and a
      // deadline equal to the window's end fires before the window's batch arrives
      if (first || returns || deadline <= windowEnd) {
        steps.add(new Step(event.second(), pending));
        pending = new ArrayList<>();
      }
      last[event.sandbox()] = event.second();
    }
    if (!pending.isEmpty()) {
      steps.add(new Step(windowEnd, pending));
    }
    return steps;
  }

  private static Map<String, Long> callsByKind(E2bSimulator sim) {
    Map<String, Long> calls = new TreeMap<>();
    sim.calls().forEach(c -> calls.merge(c.operation(), 1L, Long::sum));
    return calls;
  }

  private CostBench() {}
}
