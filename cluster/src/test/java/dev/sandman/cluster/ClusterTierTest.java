package dev.sandman.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The cluster tier's faults, each against its own sandboxes with activity flowing and idle pauses coming
 * due: what an operator does to a production deployment (restarts, a kill -9, an upgrade) and what breaks
 * under it (Temporal's server, PostgreSQL, an API replica). Writes docs/cluster.md (target/ unless
 * -Dsandman.refreshDocs=true). scripts/cluster.sh builds what it needs and runs it.
 */
class ClusterTierTest {
  static final int SANDBOXES = Integer.getInteger("sandman.cluster.sandboxes", 1000);
  static final Duration IDLE = Duration.parse(System.getProperty("sandman.cluster.idleTimeout", "PT30S"));
  /** Runs only the scenarios whose name contains this (scripts/cluster.sh --only=...), for chasing one fault. */
  static final String ONLY = System.getProperty("sandman.cluster.only", "");
  static final long PAUSE_MILLIS_PER_GIB = 2000; // E2B's snapshot of the default 512 MiB sandbox: 1 s
  static final Duration SNAPSHOT = Duration.ofMillis(PAUSE_MILLIS_PER_GIB / 2);
  static Cluster cluster;
  /** Each scenario's sandboxes get a project of their own. */
  static int outcomesSoFar;

  @BeforeAll
  static void start() {
    cluster = new Cluster(ClusterSettings.fromEnvironment("tier", PAUSE_MILLIS_PER_GIB)).start();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  interface Fault {
    void inject(Fleet fleet) throws Exception;
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.MINUTES)
  void sandboxesComeThroughEveryFault() throws Exception {
    List<Outcome> outcomes = new ArrayList<>();
    outcomes.add(scenario("rolling restart of every worker (SIGTERM, drain, start)", fleet -> rollWorkers(cluster.settings.jar())));
    outcomes.add(scenario("kill -9 of a worker while pauses are in flight", fleet -> {
      cluster.workers.get(0).process.kill();
      Launched.sleep(Duration.ofSeconds(10));
      cluster.workers.get(0).start();
    }));
    outcomes.add(scenario("restart of Temporal's server", fleet -> {
      cluster.temporal.stop();
      cluster.temporal.start();
    }));
    outcomes.add(scenario("restart of PostgreSQL", fleet -> {
      cluster.postgres.stop();
      Launched.sleep(Duration.ofSeconds(2));
      cluster.postgres.start();
    }));
    Path oldJar = ClusterSettings.oldJar();
    if (oldJar != null && selected("rolling upgrade")) {
      rollWorkers(oldJar);
      outcomes.add(scenario("rolling upgrade to a changed workflow (" + ClusterSettings.oldBuildName() + " -> this build)",
          fleet -> rollWorkers(cluster.settings.jar())));
    }
    outcomes.add(scenario("an API replica killed (kill -9) while clients touch through it", fleet -> {
      cluster.apis.get(0).process.kill();
      fleet.replicaKilled(0, Instant.now());
      Launched.sleep(Duration.ofSeconds(10));
      cluster.apis.get(0).start();
    }));
    outcomes.removeIf(java.util.Objects::isNull);
    Set<String> used = usedMetrics();
    Set<String> missing = new TreeSet<>(used);
    missing.removeAll(exportedMetrics());
    Path report = ClusterReport.write(outcomes, cluster, SANDBOXES, IDLE, oldJar != null, used, missing);
    System.out.println(Files.readString(report));
    for (Outcome outcome : outcomes) {
      assertThat(outcome.problems()).as(outcome.scenario()).isEmpty();
      assertThat(outcome.lost() + outcome.doublePauses() + outcome.doubleResumes() + outcome.activePaused())
          .as(outcome.scenario()).isZero();
    }
    assertThat(oldJar).as("the old build for the upgrade (SANDMAN_CLUSTER_OLD_JAR)").isNotNull();
    assertThat(missing).as("metrics the dashboard or the alert rules use that no process exports").isEmpty();
  }

  /** Every metric name a worker, an API replica or Temporal's server exports now. */
  static Set<String> exportedMetrics() throws Exception {
    Set<String> exported = new TreeSet<>();
    for (Cluster.Node node : Cluster.concat(cluster.workers, cluster.apis)) {
      exported.addAll(ExportedMetrics.scrape(node.url() + "/metrics"));
    }
    exported.addAll(ExportedMetrics.scrape("http://" + cluster.temporal.settings().get("PROMETHEUS_ENDPOINT") + "/metrics"));
    return exported;
  }

  static Set<String> usedMetrics() throws Exception {
    Path observability = cluster.settings.deploy().resolve("../observability");
    return ExportedMetrics.used(observability.resolve("sandman-dashboard.json"), observability.resolve("sandman-alerts.yml"));
  }

  /** One worker at a time: SIGTERM, its drain, then the same slot started from {@code jar} and ready. */
  static void rollWorkers(Path jar) {
    for (Cluster.Node worker : cluster.workers) {
      worker.process.terminate(Cluster.DRAIN_GRACE);
      worker.jar = jar;
      worker.start();
    }
  }

  /** Tracks this scenario's sandboxes, injects the fault as the first idle pauses come due, waits for them all. */
  static Outcome scenario(String name, Fault fault) throws Exception {
    if (!selected(name)) {
      return null;
    }
    AppClient app = new AppClient(cluster.apiUrls(), Cluster.ADMIN_TOKEN);
    try (Fleet fleet = new Fleet(app, cluster.sim, IDLE)) {
      fleet.watchReturns();
      cluster.note(name + ": tracking " + SANDBOXES);
      fleet.track(SANDBOXES, "cluster-" + outcomesSoFar++);
      cluster.note(name + ": tracked in " + Duration.between(fleet.trackStart, fleet.trackEnd).toMillis() + " ms");
      if (fleet.sandboxes.isEmpty()) {
        throw new IllegalStateException(name + ": no track succeeded; the first answer: " + fleet.firstTrackFailure);
      }
      Instant firstDue = fleet.trackStart.plus(IDLE).minusSeconds(1);
      Launched.sleep(Duration.ofMillis(Math.max(0, Duration.between(Instant.now(), firstDue).toMillis())));
      Instant faultStart = Instant.now();
      cluster.note(name + ": fault");
      fault.inject(fleet);
      Instant faultEnd = Instant.now();
      cluster.note(name + ": fault over after " + Duration.between(faultStart, faultEnd).toMillis() + " ms; waiting for the idle pauses");
      try {
        Launched.await(name + ": every idle pause done", IDLE.multipliedBy(2).plusMinutes(4), () -> settled(fleet));
      } catch (IllegalStateException notSettled) {
        throw new IllegalStateException(notSettled.getMessage() + "; " + unsettled(app, fleet), notSettled);
      }
      fleet.stopTouching();
      Map<String, String> states = agreedStates(app, fleet, Instant.now().plus(AGREE_WITHIN));
      cluster.note(name + ": settled");
      return Outcome.of(name, fleet, cluster.sim, SNAPSHOT, new Outcome.Window(faultStart, faultEnd), states, app);
    }
  }

  static boolean selected(String scenario) {
    return scenario.contains(ONLY);
  }

  /** Every IDLE sandbox paused in E2B, every RETURNING one back and paused again. */
  static boolean settled(Fleet fleet) {
    return List.copyOf(fleet.sandboxes).stream().allMatch(sandbox -> settled(fleet, sandbox));
  }

  static boolean settled(Fleet fleet, Fleet.Sandbox sandbox) {
    boolean paused = "paused".equals(cluster.sim.stateOf(sandbox.id()));
    return switch (sandbox.role()) {
      case IDLE -> paused;
      case RETURNING -> fleet.returnedAt.containsKey(sandbox.id()) && paused && cluster.sim.successes("pause", sandbox.id()) >= 2;
      case ACTIVE -> true;
    };
  }

  /** The sandboxes not settled yet, as E2B and Sandman see them: a few, and how many. */
  static String unsettled(AppClient app, Fleet fleet) {
    List<Fleet.Sandbox> waiting = List.copyOf(fleet.sandboxes).stream().filter(s -> !settled(fleet, s)).toList();
    List<String> seen = new ArrayList<>();
    for (Fleet.Sandbox sandbox : waiting.subList(0, Math.min(5, waiting.size()))) {
      AppClient.Answer status = app.status(sandbox.id());
      seen.add(sandbox.id() + " " + sandbox.role() + " (due " + sandbox.pauseDeadline() + "; back at "
          + fleet.returnedAt.get(sandbox.id()) + "): E2B " + cluster.sim.stateOf(sandbox.id()) + " after "
          + cluster.sim.successes("pause", sandbox.id()) + " pauses, Sandman " + status.status() + " " + status.body());
    }
    return waiting.size() + " not settled, e.g. " + String.join("; ", seen);
  }

  /**
   * How long Sandman may take to record what E2B already did: a pause whose worker was killed is retried
   * after the activity's heartbeat timeout (20 s), and answered "already paused".
   */
  static final Duration AGREE_WITHIN = Duration.ofMinutes(3);

  /** Sandman's state of every sandbox, read again until each agrees with E2B's or {@code until} passes. */
  static Map<String, String> agreedStates(AppClient app, Fleet fleet, Instant until) throws Exception {
    Map<String, String> states = new ConcurrentHashMap<>();
    List<Fleet.Sandbox> pending = List.copyOf(fleet.sandboxes);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      while (true) {
        List<Future<?>> reads = new ArrayList<>();
        for (Fleet.Sandbox sandbox : pending) {
          reads.add(pool.submit(() -> {
            AppClient.Answer answer = app.status(sandbox.id());
            if (answer.status() == 200) {
              states.put(sandbox.id(), answer.body().get("state").asText());
            }
          }));
        }
        for (Future<?> read : reads) {
          read.get(5, TimeUnit.MINUTES);
        }
        pending = pending.stream().filter(s -> !s.id().isEmpty()
            && !String.valueOf(states.get(s.id())).equalsIgnoreCase(String.valueOf(cluster.sim.stateOf(s.id())))).toList();
        if (pending.isEmpty() || Instant.now().isAfter(until)) {
          return states;
        }
        Launched.sleep(Duration.ofSeconds(2));
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
