package dev.sandman.bench;

import dev.sandman.activities.E2bSandboxActivities;
import dev.sandman.starter.SandmanClient;
import dev.sandman.starter.TouchScheduler;
import dev.sandman.starter.TrackRequest;
import dev.sandman.worker.BillableActions;
import dev.sandman.worker.SandmanWorker;
import dev.sandman.worker.WorkerOperatorActivities;
import dev.sandman.workflows.Executions;
import dev.sandman.workflows.OperatorConfig;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandmanJson;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.interceptors.WorkflowClientCallsInterceptor;
import io.temporal.common.interceptors.WorkflowClientCallsInterceptorBase;
import io.temporal.common.interceptors.WorkflowClientInterceptorBase;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What Sandman costs Temporal, counted by Temporal Cloud's rules: the Actions in every recorded
 * history (all runs of every workflow) plus what the client sends that leaves no event (queries).
 * The app is driven as apps drive it: a touch per user action through {@link SandmanClient}, and a UI
 * reading status every few seconds per open session, all on the time-skipping test server's clock.
 */
final class EconomyBench {
  static final double DOLLARS_PER_ACTION = 50.0 / 1_000_000;

  /** Client calls that are billed Actions but leave no history event where they land (queries). */
  static final class ClientCalls extends WorkflowClientInterceptorBase {
    final AtomicLong queries = new AtomicLong();
    final AtomicLong signals = new AtomicLong();
    final AtomicLong updates = new AtomicLong();

    @Override
    public WorkflowClientCallsInterceptor workflowClientCallsInterceptor(WorkflowClientCallsInterceptor next) {
      return new WorkflowClientCallsInterceptorBase(next) {
        @Override
        public <R> QueryOutput<R> query(QueryInput<R> input) {
          queries.incrementAndGet();
          return super.query(input);
        }

        @Override
        public WorkflowSignalOutput signal(WorkflowSignalInput input) {
          signals.incrementAndGet();
          return super.signal(input);
        }

        @Override
        public <R> io.temporal.client.WorkflowUpdateHandle<R> startUpdate(StartUpdateInput<R> input) {
          updates.incrementAndGet();
          return super.startUpdate(input);
        }
      };
    }
  }

  /** Held touches sent at their time on the test server's clock: the benchmark moves the clock to each. */
  static final class VirtualTimers implements TouchScheduler {
    private record Timer(Instant at, long order, Runnable task) {}

    private final PriorityQueue<Timer> queue = new PriorityQueue<>((a, b) ->
        a.at().equals(b.at()) ? Long.compare(a.order(), b.order()) : a.at().compareTo(b.at()));
    private long added;

    @Override
    public synchronized void at(Instant when, Runnable task) {
      queue.add(new Timer(when, added++, task));
    }

    /** Runs every timer due up to {@code until}, each at its own time. */
    void runUntil(CostBench.Env env, Instant until) {
      while (true) {
        Timer next;
        synchronized (this) {
          if (queue.isEmpty() || queue.peek().at().isAfter(until)) {
            return;
          }
          next = queue.poll();
        }
        env.sleepUntil(next.at());
        next.task().run();
      }
    }
  }

  /** One setting of the app's side: how touches are sent and how status is read. */
  record Setting(String name, Duration touchWindow, boolean readsByQuery) {
    static final Setting BEFORE = new Setting("before: one signal per 1 s window, status by query", Duration.ofSeconds(1), true);
    static final Setting AFTER = new Setting("after: touches held until due, status from the memo", null, false);
  }

  /** What a run spent. */
  record Spend(Map<String, Long> actions, long historyEvents, long touches, long reads, long readActions, double wallSeconds) {
    long total() {
      return BillableActions.total(actions);
    }
  }

  /** A sandbox touched continuously for {@code hours}: Actions and history events per hour after tracking, and tracking's own. */
  record Continuous(String label, Spend spend, Spend tracking, double hours) {
    double actionsPerHour() {
      return spend.total() / hours;
    }

    double eventsPerHour() {
      return spend.historyEvents() / hours;
    }
  }

  /** Everything that ran in one environment, with the client that drove it. */
  private static final class App implements AutoCloseable {
    final CostBench.Env env;
    final ClientCalls calls = new ClientCalls();
    final VirtualTimers timers = new VirtualTimers();
    final List<SandmanClient> replicas = new ArrayList<>();
    /** Queries counted but not sent (see the trace's reads). */
    long uncountedQueries;

    App(Setting setting, int replicaCount, Duration defaultIdle) throws Exception {
      OperatorConfig operator = OperatorConfig.standard();
      OperatorConfig config = new OperatorConfig(new Policy(defaultIdle, operator.defaults().pausedRetention(), null),
          operator.minIdleTimeout(), operator.maxIdleTimeout(), operator.maxPausedRetention(), operator.maxHold(),
          operator.pauseWarningLead(), operator.killWarningLead(), false, operator.pricePerHour());
      env = new CostBench.Env(e -> {
        Worker worker = e.env.newWorker(CostBench.QUEUE);
        SandmanWorker.register(worker, new E2bSandboxActivities(e.e2b, e.clock()),
            new WorkerOperatorActivities(config, e.client, CostBench.QUEUE), event -> { });
      });
      WorkflowClient counted = WorkflowClient.newInstance(env.env.getWorkflowServiceStubs(), WorkflowClientOptions.newBuilder()
          .setDataConverter(SandmanJson.dataConverter()).setInterceptors(calls).build());
      for (int i = 0; i < replicaCount; i++) {
        replicas.add(new SandmanClient(counted, SandmanClient.Options.defaults().withTaskQueue(CostBench.QUEUE)
            .withTouchWindow(setting.touchWindow()), env.clock(), timers));
      }
    }

    void status(Setting setting, String sandboxId) {
      if (setting.readsByQuery()) {
        replicas.get(0).queryStatus(sandboxId);
      } else {
        replicas.get(0).status(sandboxId);
      }
    }

    /** Actions in every history this environment holds (every run), plus the client's queries. */
    Spend spend(long touches, long reads, long readActions, double wallSeconds) {
      Map<String, Long> actions = new TreeMap<>();
      long events = 0;
      for (WorkflowExecutionInfo run : allRuns()) {
        List<HistoryEvent> history = env.client.fetchHistory(run.getExecution().getWorkflowId(), run.getExecution().getRunId()).getEvents();
        BillableActions.count(history).forEach((kind, n) -> actions.merge(kind, n, Long::sum));
        events += history.size();
      }
      if (calls.queries.get() + uncountedQueries > 0) {
        actions.merge("query", calls.queries.get() + uncountedQueries, Long::sum);
      }
      return new Spend(actions, events, touches, reads, readActions, wallSeconds);
    }

    private List<WorkflowExecutionInfo> allRuns() {
      List<WorkflowExecutionInfo> runs = new ArrayList<>();
      String namespace = env.client.getOptions().getNamespace();
      Executions.open(env.env.getWorkflowServiceStubs(), namespace, 1000, runs::addAll);
      Executions.closed(env.env.getWorkflowServiceStubs(), namespace, 1000, runs::addAll);
      return runs;
    }

    @Override
    public void close() {
      replicas.forEach(SandmanClient::close);
      env.close();
    }
  }

  /**
   * One sandbox tracked through the client, then touched {@code perSecond} times a second for
   * {@code hours} through {@code replicaCount} clients in turn (API replicas behind a load balancer),
   * with a status read every 5 s; counted from tracking on.
   */
  static Continuous continuous(String label, Setting setting, Duration idle, int perSecond, int replicaCount, int hours) throws Exception {
    long wall = System.nanoTime();
    try (App app = new App(setting, replicaCount, idle)) {
      String id = app.env.sim.createSandbox("base", idle.plusMinutes(32), true, Map.of());
      app.replicas.get(0).track(TrackRequest.of(id, "bench", "u"));
      app.env.sleepUntil(Instant.ofEpochMilli(app.env.env.currentTimeMillis()).plusSeconds(1));
      Spend tracking = app.spend(0, 0, 0, 0); // what tracking cost: counted apart, once per sandbox
      Instant start = Instant.ofEpochMilli(app.env.env.currentTimeMillis());
      long touches = 0;
      long reads = 0;
      long readActions = 0;
      for (int second = 1; second <= hours * 3600; second++) {
        Instant now = start.plusSeconds(second);
        app.timers.runUntil(app.env, now);
        app.env.sleepUntil(now);
        for (int i = 0; i < perSecond; i++) {
          SandmanClient replica = app.replicas.get((int) (touches % replicaCount));
          replica.touch(id, now.minusMillis(1000L - 1000L * i / perSecond));
          touches++;
        }
        if (second % 5 == 0) {
          long before = app.calls.queries.get();
          app.status(setting, id);
          reads++;
          readActions += app.calls.queries.get() - before;
        }
      }
      app.timers.runUntil(app.env, start.plusSeconds(hours * 3600L));
      long paused = app.env.sim.count("pause", id);
      if (paused > 0) {
        throw new IllegalStateException(label + ": an active sandbox was paused " + paused + " times");
      }
      Spend all = app.spend(touches, reads, readActions, (System.nanoTime() - wall) / 1e9);
      Map<String, Long> active = new TreeMap<>();
      all.actions().forEach((kind, n) -> {
        long d = n - tracking.actions().getOrDefault(kind, 0L);
        if (d != 0) {
          active.put(kind, d);
        }
      });
      Continuous result = new Continuous(label, new Spend(active, all.historyEvents() - tracking.historyEvents(), touches, reads,
          readActions, all.wallSeconds()), tracking, hours);
      System.out.printf("  %s: %.1f Actions per hour %s (%.0f s)%n", label, result.actionsPerHour(), result.spend().actions(),
          result.spend().wallSeconds());
      return result;
    }
  }

  /** One idle cycle through the client: idle until paused, a touch resumes it; the Actions in between. */
  static Spend idleCycle(Setting setting) throws Exception {
    long wall = System.nanoTime();
    try (App app = new App(setting, 1, Policy.DEFAULT_IDLE_TIMEOUT)) {
      String id = app.env.sim.createSandbox("base", Duration.ofMinutes(42), true, Map.of());
      SandmanClient client = app.replicas.get(0);
      client.track(TrackRequest.of(id, "bench", "u"));
      app.env.sleepUntil(Instant.ofEpochMilli(app.env.env.currentTimeMillis()).plusSeconds(60));
      Spend tracked = app.spend(0, 0, 0, 0);
      Map<String, Long> before = tracked.actions();
      app.env.sleepUntil(Instant.ofEpochMilli(app.env.env.currentTimeMillis()).plus(Duration.ofMinutes(12)));
      Instant back = Instant.ofEpochMilli(app.env.env.currentTimeMillis());
      client.touch(id, back);
      for (int i = 0; i < 50 && !"running".equals(app.env.sim.stateOf(id)); i++) {
        app.env.sleepUntil(Instant.ofEpochMilli(app.env.env.currentTimeMillis()).plusMillis(200));
      }
      app.env.sleepUntil(back.plusSeconds(5));
      Spend after = app.spend(1, 0, 0, (System.nanoTime() - wall) / 1e9);
      Map<String, Long> cycle = new TreeMap<>();
      after.actions().forEach((kind, n) -> {
        long d = n - before.getOrDefault(kind, 0L);
        if (d != 0) {
          cycle.put(kind, d);
        }
      });
      if (app.env.sim.count("pause", id) != 1 || !"running".equals(app.env.sim.stateOf(id))) {
        throw new IllegalStateException("the idle cycle did not pause once and resume: " + app.env.sim.calls());
      }
      return new Spend(cycle, after.historyEvents() - tracked.historyEvents(), 1, 0, 0, after.wallSeconds());
    }
  }

  /** The cost benchmark's trace, driven through the client in shards; pauses for {@link CostBench#measure}. */
  record TraceRun(CostBench.Run run, Spend spend) {}

  static TraceRun trace(Trace trace, Setting setting, int readEverySeconds, int shardSize, int parallel) throws Exception {
    long wall = System.nanoTime();
    List<Future<TraceRun>> runs = CostBench.inShards(trace, shardSize, parallel, slice -> traceShard(slice, setting, readEverySeconds));
    Map<Integer, List<Instant>> pauses = new HashMap<>();
    Map<String, Long> calls = new TreeMap<>();
    Map<String, Long> actions = new TreeMap<>();
    long events = 0;
    long touches = 0;
    long reads = 0;
    long readActions = 0;
    for (int i = 0; i < runs.size(); i++) {
      TraceRun shard = runs.get(i).get();
      int offset = i * shardSize;
      shard.run().pauses().forEach((sandbox, times) -> pauses.put(sandbox + offset, times.stream()
          .map(t -> Instant.EPOCH.plusMillis(t.toEpochMilli() - shard.run().start().toEpochMilli())).toList()));
      shard.run().e2bCalls().forEach((kind, n) -> calls.merge(kind, n, Long::sum));
      shard.spend().actions().forEach((kind, n) -> actions.merge(kind, n, Long::sum));
      events += shard.spend().historyEvents();
      touches += shard.spend().touches();
      reads += shard.spend().reads();
      readActions += shard.spend().readActions();
      System.out.printf("  %s: shard %d/%d replayed in %.0f s%n", setting.name(), i + 1, runs.size(), shard.spend().wallSeconds());
    }
    double seconds = (System.nanoTime() - wall) / 1e9;
    return new TraceRun(new CostBench.Run("Sandman (" + setting.name() + ")", pauses, calls, touches, Instant.EPOCH, seconds),
        new Spend(actions, events, touches, reads, readActions, seconds));
  }

  private static TraceRun traceShard(Trace trace, Setting setting, int readEverySeconds) throws Exception {
    long wall = System.nanoTime();
    try (App app = new App(setting, 1, Policy.DEFAULT_IDLE_TIMEOUT)) {
      SandmanClient client = app.replicas.get(0);
      Map<Integer, String> ids = new HashMap<>();
      int[] lastAction = new int[trace.sandboxes];
      java.util.Arrays.fill(lastAction, Integer.MIN_VALUE / 2);
      long touches = 0;
      long reads = 0;
      long readActions = 0;
      int lastReadSecond = 0;
      Instant start = app.env.start;
      for (CostBench.Step step : CostBench.steps(trace)) {
        if (readEverySeconds > 0) { // the UIs of open sessions read their sandbox's status every readEverySeconds
          int ticks = (step.second() - lastReadSecond) / readEverySeconds;
          if (ticks > 0) {
            lastReadSecond += ticks * readEverySeconds;
            for (Map.Entry<Integer, String> open : ids.entrySet()) {
              if (step.second() - lastAction[open.getKey()] <= 600) {
                reads += ticks;
                if (setting.readsByQuery()) {
                  // a query is one Action by definition: counted, not sent (thousands of queries racing the test
                  // server's continue-as-new of signal-heavy runs left its time skipping locked)
                  readActions += ticks;
                } else { // one real read where the clock stands, counted for every tick it stands for
                  long before = app.calls.queries.get();
                  app.status(setting, open.getValue());
                  readActions += ticks * (app.calls.queries.get() - before);
                }
              }
            }
          }
        }
        Instant deliverAt = start.plusSeconds(step.second()).minusMillis(1); // before any timer due at that second
        app.timers.runUntil(app.env, deliverAt);
        app.env.sleepUntil(deliverAt);
        for (Trace.Event event : step.events()) {
          Instant at = start.plusSeconds(event.second());
          String id = ids.get(event.sandbox());
          if (id == null) { // the user's first action: the app creates the sandbox and tracks it
            id = app.env.sim.createSandbox("base", Duration.ofMinutes(42), true, Map.of());
            ids.put(event.sandbox(), id);
            client.track(TrackRequest.of(id, "bench", "u" + event.sandbox()));
          } else {
            client.touch(id, at.isAfter(deliverAt) ? deliverAt : at);
            touches++;
          }
          lastAction[event.sandbox()] = event.second();
        }
      }
      Instant end = start.plusSeconds(Trace.DAY);
      app.timers.runUntil(app.env, end);
      app.env.sleepUntil(end);
      Map<String, Integer> index = new HashMap<>();
      ids.forEach((k, v) -> index.put(v, k));
      Map<Integer, List<Instant>> pauses = new HashMap<>();
      Map<String, Long> e2bCalls = new TreeMap<>();
      for (var call : app.env.sim.calls()) {
        e2bCalls.merge(call.operation(), 1L, Long::sum);
        if (call.operation().equals("pause") && call.status() == 204) {
          pauses.computeIfAbsent(index.get(call.sandboxId()), k -> new ArrayList<>()).add(call.at());
        }
      }
      double seconds = (System.nanoTime() - wall) / 1e9;
      app.uncountedQueries = setting.readsByQuery() ? readActions : 0;
      return new TraceRun(new CostBench.Run("shard", pauses, e2bCalls, touches, start, seconds),
          app.spend(touches, reads, readActions, seconds));
    }
  }

  private EconomyBench() {}
}
