package dev.sandman.starter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.workflows.Counters;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import org.junit.jupiter.api.Test;

/** The touch rule against a model of the workflow (one class, its own clock): how many signals, and when. */
class TouchCoalescerTest {
  private static final Duration IDLE = Duration.ofMinutes(10);

  /** The workflow as the rule sees it: the newest activity it has, and when it would pause. */
  private final class Workflow {
    Instant lastActivityAt;
    SandboxState state = SandboxState.RUNNING;
    final List<Instant> signals = new ArrayList<>();
    final List<Instant> pausedAt = new ArrayList<>();
    final Duration idle;

    Workflow(Instant trackedAt) {
      this(trackedAt, IDLE);
    }

    Workflow(Instant trackedAt, Duration idle) {
      lastActivityAt = trackedAt;
      this.idle = idle;
    }

    void signal(Instant at) {
      signals.add(now);
      if (state == SandboxState.PAUSED) {
        state = SandboxState.RUNNING;
      }
      if (at.isAfter(lastActivityAt)) {
        lastActivityAt = at;
      }
    }

    void advance() {
      if (state == SandboxState.RUNNING && !now.isBefore(lastActivityAt.plus(idle))) {
        state = SandboxState.PAUSED;
        pausedAt.add(now);
      }
    }

    Optional<SandboxStatus> memo() {
      Instant due = state == SandboxState.RUNNING ? lastActivityAt.plus(idle) : null;
      return Optional.of(new SandboxStatus("sb", "p", "u", null, null, state, null, null, lastActivityAt, due, null, null,
          null, new Policy(idle, null, null), new Counters(0, 0, 0, 0, 0, 1), List.of(), null, null, null, List.of(), null,
          null, null, 0, due, null, null));
    }
  }

  /** {@code owner}: the process whose timer (or signal on its way) this is, gone with it when it dies. */
  private record Timer(Instant at, Runnable task, Object owner) {}

  private Instant now = Instant.parse("2026-12-01T00:00:00Z");
  private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> a.at().compareTo(b.at()));

  private Clock clock() {
    return new Clock() {
      @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
      @Override public Clock withZone(java.time.ZoneId zone) { return this; }
      @Override public Instant instant() { return now; }
    };
  }

  private TouchCoalescer client(Workflow workflow, Duration window) {
    return new TouchCoalescer(window, Duration.ofSeconds(30), id -> workflow.memo(), (id, at) -> workflow.signal(at),
        e -> false, (when, task) -> timers.add(new Timer(when, task, null)), clock());
  }

  /** A replica whose signals reach the workflow {@code sendTime} after it sends them (a describe and a signal). */
  private TouchCoalescer replica(Object owner, Workflow workflow, Duration sendTime, double spread) {
    return new TouchCoalescer(null, Duration.ofSeconds(30), id -> workflow.memo(),
        (id, at) -> timers.add(new Timer(now.plus(sendTime), () -> workflow.signal(at), owner)),
        e -> false, (when, task) -> timers.add(new Timer(when, task, owner)), clock(), () -> spread);
  }

  /** Moves the clock to {@code until}, running held sends and the workflow's deadline on the way. */
  private void runUntil(Instant until, Workflow workflow) {
    while (!timers.isEmpty() && !timers.peek().at().isAfter(until)) {
      Timer timer = timers.poll();
      now = timer.at().isAfter(now) ? timer.at() : now;
      workflow.advance();
      timer.task().run();
    }
    now = until;
    workflow.advance();
  }

  private int signalsForAnHourOfTouches(int perSecond, int clients, Duration window) {
    Workflow workflow = new Workflow(now);
    List<TouchCoalescer> apps = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      apps.add(client(workflow, window));
    }
    Instant end = now.plus(Duration.ofHours(1));
    long step = 1000 / perSecond;
    for (int i = 0; now.isBefore(end); i++) {
      apps.get(i % clients).touch("sb", now); // a load balancer spreads the user's requests
      runUntil(now.plusMillis(step), workflow);
    }
    assertThat(workflow.pausedAt).as("paused while the user was active").isEmpty();
    return workflow.signals.size();
  }

  @Test
  void anHourOfTouchesIsAboutOneSignalPerIdleSpanWhateverTheRate() {
    assertThat(signalsForAnHourOfTouches(1, 1, null)).isBetween(6, 8);
    assertThat(signalsForAnHourOfTouches(100, 1, null)).isBetween(6, 8);
    assertThat(signalsForAnHourOfTouches(100, 3, null)).isBetween(6, 9); // three API replicas, one workflow
    assertThat(signalsForAnHourOfTouches(100, 1, Duration.ofSeconds(1))).isBetween(3500, 3601); // the old window
  }

  @Test
  void aHeldTouchIsSentBeforeItsDeadlineAndTheSandboxPausesAnIdleTimeoutAfterTheLastTouch() {
    Instant tracked = now;
    Workflow workflow = new Workflow(tracked);
    TouchCoalescer app = client(workflow, null);
    runUntil(tracked.plus(Duration.ofMinutes(3)), workflow);
    assertThat(app.touch("sb", now)).isFalse(); // held: the workflow has activity for 7 more minutes
    assertThat(app.newestTouch("sb")).isEqualTo(tracked.plus(Duration.ofMinutes(3)));
    runUntil(tracked.plus(Duration.ofMinutes(12)), workflow);
    assertThat(workflow.signals).hasSize(1);
    assertThat(workflow.signals.get(0)).isBetween(tracked.plus(Duration.ofSeconds(555)), tracked.plus(Duration.ofSeconds(570)));
    assertThat(workflow.pausedAt).isEmpty();
    runUntil(tracked.plus(Duration.ofSeconds(779)), workflow);
    assertThat(workflow.pausedAt).isEmpty();
    runUntil(tracked.plus(Duration.ofMinutes(13)), workflow);
    assertThat(workflow.pausedAt).containsExactly(tracked.plus(Duration.ofMinutes(13))); // 10 minutes after the touch
  }

  @Test
  void aTouchOnAPausedSandboxIsSentAtOnce() {
    Workflow workflow = new Workflow(now);
    TouchCoalescer app = client(workflow, null);
    runUntil(now.plus(Duration.ofMinutes(11)), workflow);
    assertThat(workflow.state).isEqualTo(SandboxState.PAUSED);
    assertThat(app.touch("sb", now)).isTrue();
    assertThat(workflow.state).isEqualTo(SandboxState.RUNNING);
    assertThat(workflow.signals).containsExactly(now);
  }

  @Test
  void aProcessThatDiesWithHeldTouchesCostsNothingWhileTheUserStaysActive() {
    Instant tracked = now;
    Workflow workflow = new Workflow(tracked);
    TouchCoalescer dying = client(workflow, null);
    TouchCoalescer survivor = client(workflow, null);
    for (int minute = 1; minute <= 5; minute++) {
      runUntil(tracked.plus(Duration.ofMinutes(minute)), workflow);
      dying.touch("sb", now);
    }
    timers.clear(); // kill -9: its held touches and timers are gone
    for (int minute = 6; minute <= 30; minute++) {
      runUntil(tracked.plus(Duration.ofMinutes(minute)), workflow);
      survivor.touch("sb", now); // the user goes on, through another replica
    }
    runUntil(tracked.plus(Duration.ofMinutes(31)), workflow);
    assertThat(workflow.pausedAt).isEmpty();
  }

  @Test
  void aReplicaKilledAsItSendsLeavesTheUsersNextTouchTimeToArriveThroughAnother() {
    // an idle timeout of 20 s, a touch every 3 to 4 s (a fifth of it), 1.2 s for a send to land, and the worst
    // luck: every touch went to the replica that dies, whenever it dies, even while sending. The user's next
    // touch, through the other replica, still arrives in time: the margin (a third of the span) covers a
    // touch's gap and two sends (the lost one and the next); a quarter of the span did not
    Duration idle = Duration.ofSeconds(20);
    Duration sendTime = Duration.ofMillis(1200);
    for (long killAt = 30_000; killAt < 70_000; killAt += 50) {
      java.util.Random user = new java.util.Random(killAt);
      timers.clear();
      Instant start = now;
      Workflow workflow = new Workflow(start, idle);
      Object a = new Object();
      TouchCoalescer dying = replica(a, workflow, sendTime, 0); // no share of the margin: it sends last
      TouchCoalescer survivor = replica(new Object(), workflow, sendTime, user.nextDouble(0.5));
      Instant kill = start.plusMillis(killAt);
      int touches = 0;
      for (Instant next = start; now.isBefore(kill.plusSeconds(60)); next = next.plusMillis(3000 + user.nextInt(1001))) {
        if (now.isBefore(kill) && !next.isBefore(kill)) {
          runUntil(kill, workflow);
          timers.removeIf(timer -> timer.owner() == a); // kill -9: its held touches and the signal it was sending
        }
        runUntil(next, workflow);
        (now.isBefore(kill) ? dying : survivor).touch("sb", now);
        touches++;
      }
      assertThat(workflow.pausedAt).as("killed %d ms in", killAt).isEmpty();
      assertThat(workflow.signals.size()).as("signals for %d touches", touches).isLessThan(touches / 2);
    }
  }
}
