package dev.sandman.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.e2bsim.E2bSimulator;
import dev.sandman.e2bsim.Fault;
import dev.sandman.starter.ListPage;
import dev.sandman.starter.ListQuery;
import dev.sandman.starter.SandmanClient;
import dev.sandman.starter.TrackRequest;
import dev.sandman.worker.Env;
import dev.sandman.worker.SandmanWorker;
import dev.sandman.worker.TemporalConnection;
import dev.sandman.worker.WorkerConfig;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Sandman;
import dev.sandman.workflows.ActivitySignal;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Sandman against the real Temporal server: Temporal's CLI ({@code temporal server start-dev}, SQLite
 * file, UI), built by scripts/install-temporal.sh and passed in SANDMAN_IT_TEMPORAL_BIN. This class
 * starts and restarts the server itself; the worker, the client and the E2B simulator run here.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealTemporalTest {
  static final String QUEUE = "sandman-it";
  static final String KEY = "e2b_integration_key_0123456789";
  static Path bin;
  static Path dir;
  static int port;
  static int uiPort;
  static Process server;
  static E2bSimulator sim;
  static TemporalConnection connection;
  static SandmanClient client;
  static SandmanWorker worker;

  @BeforeAll
  static void start() throws Exception {
    String path = System.getenv("SANDMAN_IT_TEMPORAL_BIN");
    assertThat(path).as("SANDMAN_IT_TEMPORAL_BIN (run scripts/integration.sh)").isNotBlank();
    bin = Path.of(path);
    dir = Files.createTempDirectory("sandman-it");
    port = freePort();
    uiPort = freePort();
    startServer();
    sim = new E2bSimulator(E2bSimulator.Options.defaults().withPauseMillisPerGiB(0).withApiKey(KEY)).start(0);
    connect();
  }

  static void connect() {
    connection = TemporalConnection.connect(Map.of("TEMPORAL_ADDRESS", "127.0.0.1:" + port), null);
    client = new SandmanClient(connection.client(),
        SandmanClient.Options.defaults().withTaskQueue(QUEUE));
    worker = startWorker();
  }

  static SandmanWorker startWorker() {
    Map<String, String> env = new HashMap<>();
    env.put("E2B_API_URL", sim.url());
    env.put("E2B_API_KEY", KEY);
    env.put("SANDMAN_TASK_QUEUE", QUEUE);
    env.put("SANDMAN_MIN_IDLE_TIMEOUT", "PT5S");
    env.put("SANDMAN_E2B_REQUEST_TIMEOUT", "PT10S");
    return SandmanWorker.start(connection.client(), WorkerConfig.fromEnv(new Env(env)), null);
  }

  static void startServer() throws Exception {
    List<String> command = new ArrayList<>(List.of(bin.toString(), "server", "start-dev", "--ip", "127.0.0.1",
        "--port", String.valueOf(port), "--ui-port", String.valueOf(uiPort), "--http-port", String.valueOf(freePort()),
        "--metrics-port", String.valueOf(freePort()), "--db-filename", dir.resolve("temporal.db").toString(), "--log-level", "warn"));
    for (var attribute : Sandman.SEARCH_ATTRIBUTES) {
      command.addAll(List.of("--search-attribute", attribute.getName() + "=Keyword"));
    }
    server = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("server.log").toFile()).start();
    waitFor("the Temporal server on port " + port, Duration.ofSeconds(60), () -> listening(port) && listening(uiPort));
  }

  static void stopServer() throws InterruptedException {
    server.destroy(); // SIGTERM: the server flushes SQLite and exits
    assertThat(server.waitFor(30, TimeUnit.SECONDS)).as("server stopped").isTrue();
  }

  @AfterAll
  static void stop() throws Exception {
    if (worker != null) {
      worker.shutdown(Duration.ofSeconds(5));
    }
    if (connection != null) {
      connection.close();
    }
    if (server != null) {
      server.destroy();
      server.waitFor(30, TimeUnit.SECONDS);
    }
    if (sim != null) {
      sim.close();
    }
  }

  static String track(String project, String user, Policy policy) {
    String id = sim.createSandbox("base", Duration.ofMinutes(5), true, Map.of());
    client.track(new TrackRequest(id, project, user, "base", null, policy));
    return id;
  }

  @Test
  @Order(1)
  void listsByProjectUserAndStateThroughRealVisibilityQueries() {
    List<String> p1 = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      p1.add(track("it-p1", i < 2 ? "it-alice" : "it-bob", null));
    }
    String other = track("it-p2", "it-alice", null);
    client.pause(p1.get(0), "integration");
    client.pause(other, "integration");
    waitFor("visibility to catch up", Duration.ofSeconds(20),
        () -> client.list(new ListQuery(null, null, SandboxState.PAUSED, 50, null)).items().size() >= 2);

    ListPage byProject = client.list(new ListQuery("it-p1", null, null, 50, null));
    assertThat(byProject.source()).isEqualTo("visibility");
    assertThat(byProject.items()).extracting(s -> s.sandboxId()).containsExactlyInAnyOrderElementsOf(p1);
    assertThat(client.list(new ListQuery(null, "it-alice", null, 50, null)).items()).hasSize(3);
    assertThat(client.list(new ListQuery("it-p1", "it-bob", null, 50, null)).items()).hasSize(2);
    assertThat(client.list(new ListQuery(null, null, SandboxState.PAUSED, 50, null)).items())
        .extracting(s -> s.sandboxId()).containsExactlyInAnyOrder(p1.get(0), other);
    ListPage first = client.list(new ListQuery("it-p1", null, null, 3, null));
    assertThat(first.items()).hasSize(3);
    assertThat(first.nextPageToken()).isNotNull();
    ListPage second = client.list(new ListQuery("it-p1", null, null, 3, first.nextPageToken()));
    assertThat(second.items()).hasSize(1);
  }

  @Test
  @Order(2)
  void twelveThousandSignalsPassTheRealServersTenThousandPerRunLimit() {
    String id = track("it-storm", "it-u", null);
    SandboxWorkflow workflow = connection.client().newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(id));
    int signals = 12_000;
    int perSecond = 150; // below the SQLite dev server's write capacity (about 200 signals/s here): a flood at
    // capacity starves the workflow's tasks for seconds, and a run can pass 10,000 signals before its
    // continue-as-new lands (the client sends about one signal per idle span; this is thousands of users at once)
    ExecutorService senders = Executors.newFixedThreadPool(8);
    try {
      for (int second = 0; second < signals / perSecond; second++) {
        long began = System.nanoTime();
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < perSecond; i++) {
          sent.add(CompletableFuture.runAsync(() -> workflow.activity(ActivitySignal.now()), senders));
        }
        sent.forEach(CompletableFuture::join); // the real server refuses signals past 10,000 in one run: none refused
        sleep(Math.max(0, 1000 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began)));
      }
    } finally {
      senders.shutdown();
    }
    waitFor("all signals counted", Duration.ofSeconds(60), () -> client.status(id).counters().activitySignals() == signals);
    SandboxStatus status = client.status(id);
    assertThat(status.counters().runs()).isGreaterThan(2);
    assertThat(status.state()).isEqualTo(SandboxState.RUNNING);
  }

  @Test
  @Order(3)
  void aWorkerKilledMidPauseIsReplacedAndThePauseHappensOnce() {
    String id = track("it-crash", "it-u", null);
    sim.inject(Fault.latency("pause", 2000, 1));
    CompletableFuture<SandboxStatus> pausing = CompletableFuture.supplyAsync(() -> client.pause(id, "crash test"));
    waitFor("PAUSING", Duration.ofSeconds(10), () -> client.status(id).state() == SandboxState.PAUSING);
    sleep(500); // the E2B call is in flight
    worker.kill();
    worker = startWorker();
    SandboxStatus done = pausing.join();
    assertThat(done.state()).isEqualTo(SandboxState.PAUSED);
    sleep(2000); // the abandoned call lands too
    assertThat(sim.successes("pause", id)).isEqualTo(1);
    assertThat(done.counters().pauses()).isEqualTo(1);
    assertThat(done.transitions().stream().filter(t -> t.to() == SandboxState.PAUSED)).hasSize(1);
  }

  /** Events as a subscriber gets them, with when each arrived. */
  record Seen(dev.sandman.starter.StatusEvent event, long nanos) {}

  static dev.sandman.starter.StatusListener into(java.util.concurrent.BlockingQueue<Seen> seen) {
    return event -> seen.add(new Seen(event, System.nanoTime()));
  }

  static Seen next(java.util.concurrent.BlockingQueue<Seen> seen, SandboxState state, Duration limit) throws InterruptedException {
    long until = System.nanoTime() + limit.toNanos();
    while (true) {
      Seen s = seen.poll(Math.max(1, until - System.nanoTime()), TimeUnit.NANOSECONDS);
      assertThat(s).as("a " + state + " event within " + limit).isNotNull();
      if (s.event().status().state() == state) {
        return s;
      }
    }
  }

  @Test
  @Order(4)
  void streamsDeliverEachChangeWithinASecondFromTheRealServersHistory() throws Exception {
    String id = track("it-stream", "it-dana", null);
    var one = new java.util.concurrent.LinkedBlockingQueue<Seen>();
    var feed = new java.util.concurrent.LinkedBlockingQueue<Seen>();
    try (var s = client.subscribe(id, null, into(one));
        var f = client.subscribeAll(new ListQuery("it-stream", null, null, 1, null), null, into(feed))) {
      assertThat(next(one, SandboxState.RUNNING, Duration.ofSeconds(5)).event().type()).isEqualTo("status");
      long asked = System.nanoTime();
      client.pause(id, "stream latency");
      Seen paused = next(one, SandboxState.PAUSED, Duration.ofSeconds(5));
      Seen inFeed = next(feed, SandboxState.PAUSED, Duration.ofSeconds(5));
      System.out.printf("stream latency on the real server: sandbox stream %d ms, feed %d ms after the pause was asked%n",
          TimeUnit.NANOSECONDS.toMillis(paused.nanos() - asked), TimeUnit.NANOSECONDS.toMillis(inFeed.nanos() - asked));
      assertThat(TimeUnit.NANOSECONDS.toMillis(paused.nanos() - asked)).isLessThan(1000);
      // a resumption after the pause, through the real server's paged history: the resume and nothing before it
      client.resume(id, "stream resumption");
      var again = new java.util.concurrent.LinkedBlockingQueue<Seen>();
      try (var r = client.subscribe(id, paused.event().id(), into(again))) {
        Seen first = again.poll(5, TimeUnit.SECONDS);
        assertThat(first).isNotNull();
        assertThat(first.event().status().state()).isNotEqualTo(SandboxState.PAUSED);
        next(again, SandboxState.RUNNING, Duration.ofSeconds(5));
      }
    }
  }

  @Test
  @Order(5)
  void aServerRestartLosesNothing() throws Exception {
    String running = track("it-restart", "it-u", new Policy(Duration.ofSeconds(20), null, null));
    String paused = track("it-restart", "it-u", null);
    client.pause(paused, "before restart");
    // a subscriber on a connection of its own, open through the restart
    TemporalConnection viewerConnection = TemporalConnection.connect(Map.of("TEMPORAL_ADDRESS", "127.0.0.1:" + port), null);
    SandmanClient viewer = new SandmanClient(viewerConnection.client(), SandmanClient.Options.defaults().withTaskQueue(QUEUE));
    var seen = new java.util.concurrent.LinkedBlockingQueue<Seen>();
    var subscription = viewer.subscribe(paused, null, into(seen));
    next(seen, SandboxState.PAUSED, Duration.ofSeconds(5));
    worker.shutdown(Duration.ofSeconds(5));
    connection.close();
    stopServer();
    startServer();
    connect();
    assertThat(client.status(paused).state()).isEqualTo(SandboxState.PAUSED);
    // the durable idle timer survived the restart: the 20 s idle timeout still pauses the other one
    waitFor("the idle pause after the restart", Duration.ofSeconds(60), () -> client.status(running).state() == SandboxState.PAUSED);
    assertThat(sim.successes("pause", running)).isEqualTo(1);
    client.touch(paused);
    waitFor("resume after the restart", Duration.ofSeconds(30), () -> client.status(paused).state() == SandboxState.RUNNING);
    next(seen, SandboxState.RUNNING, Duration.ofSeconds(30)); // the subscription's long polls came back with the server
    subscription.close();
    viewer.close();
    viewerConnection.close();
  }

  /** The one place a real Schedule runs: the test server has none (dev mode sweeps from a worker timer). */
  @Test
  @Order(6)
  void theSweepIsATemporalScheduleWhoseRunsReportOrphans() throws Exception {
    io.temporal.client.schedules.ScheduleClient schedules = io.temporal.client.schedules.ScheduleClient.newInstance(
        connection.client().getWorkflowServiceStubs(), io.temporal.client.schedules.ScheduleClientOptions.newBuilder()
            .setNamespace(connection.client().getOptions().getNamespace()).build());
    io.temporal.client.schedules.ScheduleHandle schedule = schedules.getHandle(Sandman.SWEEP_SCHEDULE_ID);
    var spec = schedule.describe().getSchedule().getSpec();
    assertThat(spec.getIntervals()).extracting(i -> i.getEvery()).containsExactly(Duration.ofMinutes(5));
    schedule.pause("an operator looks into something");
    SandmanWorker again = startWorker(); // a second worker start updates the schedule in place
    again.shutdown(Duration.ofSeconds(5));
    assertThat(schedule.describe().getSchedule().getState().isPaused()).as("an operator's pause survives a worker start").isTrue();
    schedule.unpause();
    track("it-sweep", "it-u", null);
    String orphan = sim.createSandbox("base", Duration.ofMinutes(5), true, Map.of("projectId", "it-sweep"));
    schedule.trigger();
    String query = "WorkflowType = '" + Sandman.SWEEP_WORKFLOW_TYPE + "' AND ExecutionStatus = 'Completed'";
    // the schedule's own interval may have run it too: the triggered run is the one that saw the orphan
    dev.sandman.workflows.SweepReport[] found = new dev.sandman.workflows.SweepReport[1];
    String[] run = new String[1];
    waitFor("a completed sweep run that saw the orphan", Duration.ofSeconds(30), () -> {
      connection.client().listExecutions(query).forEach(e -> {
        dev.sandman.workflows.SweepReport report = connection.client().newUntypedWorkflowStub(e.getExecution().getWorkflowId())
            .getResult(dev.sandman.workflows.SweepReport.class);
        if (report.items().stream().anyMatch(item -> item.sandboxId().equals(orphan))) {
          found[0] = report;
          run[0] = e.getExecution().getWorkflowId();
        }
      });
      return found[0] != null;
    });
    dev.sandman.workflows.SweepReport report = found[0];
    assertThat(run[0]).startsWith(Sandman.SWEEP_SCHEDULE_ID);
    assertThat(report.orphanPolicy()).isEqualTo("report");
    assertThat(report.items()).anySatisfy(item -> {
      assertThat(item.sandboxId()).isEqualTo(orphan);
      assertThat(item.outcome()).isEqualTo("young");
      assertThat(item.projectId()).isEqualTo("it-sweep");
    });
    assertThat(report.tracked()).isGreaterThan(0);
    System.out.printf("sweep run %s: %d E2B sandboxes, %d tracked, %d orphans, %d ms%n", run[0], report.e2bListed(),
        report.tracked(), report.orphans(), Duration.between(report.startedAt(), report.finishedAt()).toMillis());
  }

  @Test
  @Order(7)
  void theTemporalUiListsPausedSandboxesAndShowsOne() throws Exception {
    String check = System.getenv("SANDMAN_IT_UI_CHECK");
    assertThat(check).as("SANDMAN_IT_UI_CHECK (scripts/integration.sh installs playwright-core and Debian's chromium)").isNotBlank();
    String chromium = System.getenv().getOrDefault("SANDMAN_IT_CHROMIUM", "/usr/bin/chromium");
    String pausedId = track("it-ui", "it-carol", null);
    client.pause(pausedId, "shown in the UI");
    waitFor("visibility", Duration.ofSeconds(20), () -> client.list(new ListQuery("it-ui", null, SandboxState.PAUSED, 5, null)).items().size() == 1);
    // screenshots go to target/ unless a run asks to refresh the committed ones (-Dsandman.docs=../docs)
    Path docs = Path.of(System.getProperty("sandman.docs", "target/screenshots")).toAbsolutePath().normalize();
    Files.createDirectories(docs);
    Path log = dir.resolve("ui-check.log");
    Process p = new ProcessBuilder("node", check, "http://127.0.0.1:" + uiPort, Sandman.workflowId(pausedId), docs.toString(), chromium)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean done = p.waitFor(120, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
    }
    String output = Files.readString(log);
    assertThat(done && p.exitValue() == 0).as("ui check: " + output).isTrue();
    assertThat(output).contains("shown under SandboxState=\"PAUSED\"", "shows SandboxState PAUSED");
    assertThat(Files.size(docs.resolve("temporal-ui-paused.png"))).isGreaterThan(10_000);
    assertThat(Files.size(docs.resolve("temporal-ui-sandbox.png"))).isGreaterThan(10_000);
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  static boolean listening(int port) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static void waitFor(String what, Duration limit, BooleanSupplier condition) {
    long until = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < until) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException notYet) {
        // not up yet
      }
      sleep(250);
    }
    throw new AssertionError("timed out waiting for " + what);
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
