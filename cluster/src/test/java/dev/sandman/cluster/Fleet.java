package dev.sandman.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One scenario's sandboxes and the app's traffic to them: a fifth stay ACTIVE (touched five times per idle
 * timeout), a fifth are RETURNING (the user comes back two seconds after the idle pause: a touch resumes
 * it, then it idles again), the rest go IDLE once tracked. A touch that fails is made up by the user's next
 * action: an active user touches again in a fifth of the timeout, a returning one in 2 s until it runs.
 */
final class Fleet implements AutoCloseable {
  enum Role { ACTIVE, RETURNING, IDLE }

  record Sandbox(String id, Role role, Instant pauseDeadline) {}

  /** An API replica (its index) killed with -9 at {@code at}: the touches it held then were lost with it. */
  record ReplicaKill(int replica, Instant at) {}

  /** One touch as the app saw it: sent, answered after {@code tookMillis} by {@code replica} with {@code status}. */
  record Touch(Instant sent, long tookMillis, int status, int replica) {
    boolean accepted() {
      return status / 100 == 2;
    }

    @Override
    public String toString() {
      return sent + " " + (replica < 0 ? "no replica" : "api-" + (replica + 1)) + " " + status + " in " + tookMillis + " ms";
    }
  }

  private final AppClient app;
  private final dev.sandman.e2bsim.E2bSimulator sim;
  private final Duration idleTimeout;
  final List<Sandbox> sandboxes = Collections.synchronizedList(new ArrayList<>());
  /** RETURNING sandboxes the user came back to, and when. */
  final Map<String, Instant> returnedAt = new ConcurrentHashMap<>();
  private final Set<String> returnScheduled = ConcurrentHashMap.newKeySet();
  /** Enough threads that every active user touches on time even when each answer takes seconds. */
  private final ScheduledExecutorService traffic = Executors.newScheduledThreadPool(128);
  /** Each sandbox's touches, in the order they were sent. */
  final Map<String, List<Touch>> touches = new ConcurrentHashMap<>();
  private volatile boolean touching = true;
  final List<ReplicaKill> replicaKills = Collections.synchronizedList(new ArrayList<>());
  Instant touchesStoppedAt;
  Instant trackStart;
  Instant trackEnd;
  int trackFailures;
  /** How often a track no replica answered (or answered 5xx) is tried again; AppClient.failed counts each. */
  static final int TRACK_RETRIES = 3;
  String firstTrackFailure;

  /** {@code sim}: where the app creates its sandboxes before tracking them (E2B, as the app's own SDK would). */
  Fleet(AppClient app, dev.sandman.e2bsim.E2bSimulator sim, Duration idleTimeout) {
    this.app = app;
    this.sim = sim;
    this.idleTimeout = idleTimeout;
  }

  /** Tracks {@code count} sandboxes that all go idle. */
  void trackIdle(int count, String project) throws Exception {
    track(count, project, i -> Role.IDLE);
  }

  /** Tracks {@code count} sandboxes the app created in E2B, 32 at a time through the APIs, a fifth of each role. */
  void track(int count, String project) throws Exception {
    track(count, project, i -> i % 5 == 0 ? Role.ACTIVE : i % 5 == 1 ? Role.RETURNING : Role.IDLE);
  }

  private void track(int count, String project, java.util.function.IntFunction<Role> roles) throws Exception {
    trackStart = Instant.now();
    ExecutorService pool = Executors.newFixedThreadPool(32);
    List<Future<?>> tracks = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Role role = roles.apply(i);
      tracks.add(pool.submit(() -> {
        String e2bId = sim.createSandbox("base", Duration.ofMinutes(5), true, Map.of());
        AppClient.Answer answer = app.track(e2bId, project, idleTimeout.toString());
        for (int retry = 1; retry <= TRACK_RETRIES && (answer.status() == 0 || answer.status() >= 500); retry++) {
          Launched.sleep(Duration.ofSeconds(2L * retry)); // a track is idempotent: the app tries again, as on any 5xx
          answer = app.track(e2bId, project, idleTimeout.toString());
        }
        if (answer.status() != 201 && answer.status() != 200) {
          synchronized (this) {
            trackFailures++;
            firstTrackFailure = firstTrackFailure != null ? firstTrackFailure : answer.status() + " " + answer.body();
          }
          return;
        }
        JsonNode body = answer.body();
        Sandbox sandbox = new Sandbox(body.get("sandboxId").asText(), role, Instant.parse(body.get("pauseDeadline").asText()));
        sandboxes.add(sandbox);
        if (role == Role.ACTIVE) {
          long every = idleTimeout.toMillis() / 5;
          traffic.scheduleWithFixedDelay(() -> touchWhileActive(sandbox), every, every, TimeUnit.MILLISECONDS);
        }
      }));
    }
    for (Future<?> track : tracks) {
      track.get();
    }
    pool.shutdown();
    trackEnd = Instant.now();
  }

  private void touchWhileActive(Sandbox sandbox) {
    if (touching) {
      touch(sandbox);
    }
  }

  private void touch(Sandbox sandbox) {
    Instant sent = Instant.now();
    AppClient.Answer answer = app.touch(sandbox.id());
    record(sandbox.id(), new Touch(sent, Duration.between(sent, Instant.now()).toMillis(), answer.status(), answer.replica()));
  }

  void record(String sandboxId, Touch touch) {
    touches.computeIfAbsent(sandboxId, k -> Collections.synchronizedList(new ArrayList<>())).add(touch);
  }

  /** The user of a RETURNING sandbox comes back two seconds after E2B paused it. */
  void watchReturns() {
    traffic.scheduleWithFixedDelay(() -> {
      for (Sandbox sandbox : List.copyOf(sandboxes)) {
        if (sandbox.role() == Role.RETURNING && "paused".equals(sim.stateOf(sandbox.id()))
            && returnScheduled.add(sandbox.id())) {
          traffic.schedule(() -> comeBack(sandbox), 2, TimeUnit.SECONDS);
        }
      }
    }, 1, 1, TimeUnit.SECONDS);
  }

  /** The user works in the sandbox again: a touch, repeated every 2 s (each user action touches) until it runs. */
  private void comeBack(Sandbox sandbox) {
    returnedAt.putIfAbsent(sandbox.id(), Instant.now());
    touch(sandbox);
    if (!"running".equals(sim.stateOf(sandbox.id()))) {
      traffic.schedule(() -> comeBack(sandbox), 2, TimeUnit.SECONDS);
    }
  }

  /** The scenario killed API replica {@code replica} (-9) at {@code at}. */
  void replicaKilled(int replica, Instant at) {
    replicaKills.add(new ReplicaKill(replica, at));
  }

  /**
   * Whether {@code touch} may have died with its replica: accepted by a replica killed less than an idle
   * timeout later, so it may still have been held, unsent (docs/contract.md: a process that dies loses the
   * events it holds; the user's next event, if any, goes to a live one).
   */
  boolean mayHaveDiedWithItsReplica(Touch touch) {
    synchronized (replicaKills) {
      return replicaKills.stream().anyMatch(kill -> kill.replica() == touch.replica() && !touch.sent().isAfter(kill.at())
          && touch.sent().isAfter(kill.at().minus(idleTimeout)));
    }
  }

  void stopTouching() {
    touching = false;
    touchesStoppedAt = Instant.now();
  }

  Duration idleTimeout() {
    return idleTimeout;
  }

  @Override
  public void close() {
    traffic.shutdownNow();
  }
}
