package dev.sandman.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.e2bsim.E2bSimulator;
import dev.sandman.e2bsim.Fault;
import dev.sandman.reliability.Matrix.Outcome;
import dev.sandman.worker.SandmanTestEnv;
import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.Cause;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Transition;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * E2B misbehaving, case by case: every transient fault on every E2B call the workflow makes, a sandbox
 * that vanishes in every state, 409 races, and E2B pausing a sandbox behind the workflow's back.
 */
class FaultMatrixTest {
  /** A pause later than its deadline by more than this is a failure: the retry budget of a few faults. */
  static final Duration RETRY_BUDGET = Duration.ofMinutes(2);
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
  static final Duration PAUSE_TIMEOUT = Duration.ofSeconds(3);
  /**
   * Idle pauses here use a short idle timeout and wait in small steps rather than one long time skip:
   * should the Java test server lose a time-skipping lock (it does in some retry and timer races, see
   * README), time still flows in real time and a case takes seconds more instead of hanging.
   */
  static final Duration SHORT_IDLE = Duration.ofSeconds(5);

  static SandmanTestEnv t;

  @BeforeAll
  static void start() {
    t = SandmanTestEnv.withE2bTimeouts(E2bSimulator.Options.defaults().withPauseMillisPerGiB(0), REQUEST_TIMEOUT, PAUSE_TIMEOUT);
  }

  @AfterAll
  static void stop() {
    t.close();
  }

  @BeforeEach
  void noFaultsLeft() {
    t.sim.clearFaults();
  }

  /** Faults match by operation, so no sandbox of an earlier case may be left to take this case's fault. */
  @AfterEach
  void endEveryWorkflow() {
    t.terminateAll("case over");
  }

  record Kind(String name, int times, java.util.function.Function<String, Fault> fault) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Kind> transientFaults() {
    return List.of(
        new Kind("500 twice", 2, op -> Fault.status(op, 500, 2)),
        new Kind("502 twice", 2, op -> Fault.status(op, 502, 2)),
        new Kind("503 twice", 2, op -> Fault.status(op, 503, 2)),
        new Kind("429 with Retry-After: 15", 1, op -> Fault.rateLimited(op, 1, 15)),
        new Kind("429 without Retry-After, twice", 2, op -> Fault.rateLimited(op, 2, null)),
        new Kind("answer slower than the client timeout (the call still takes effect)", 1,
            op -> Fault.latency(op, (op.equals("pause") ? PAUSE_TIMEOUT : REQUEST_TIMEOUT).toMillis() + 1500, 1)),
        new Kind("connection reset, twice", 2, op -> Fault.reset(op, 2)));
  }

  static Stream<Arguments> faultsOnEveryCall() {
    return transientFaults().stream().flatMap(kind -> Stream.of("pause", "connect", "kill").map(op -> Arguments.of(op, kind)));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("faultsOnEveryCall")
  void transientFaultsAreRetriedAndTheTransitionHappensOnce(String operation, Kind kind) {
    String expected = switch (operation) {
      case "pause" -> "idle pause goes through once, within the retry budget of its deadline";
      case "connect" -> "activity resumes the sandbox once";
      default -> "kill request ends KILLED, sandbox gone from E2B";
    };
    Matrix.check("E2B faults", "E2B " + operation + " fails transiently", kind.name() + " on " + operation, expected, () -> {
      String id = t.newSandbox();
      SandboxWorkflow workflow = t.track(id, Policy.defaults());
      t.awaitState(id, s -> s.transitions().size() >= 1, Duration.ofMillis(100), 50);
      switch (operation) {
        case "pause" -> {
          t.sim.inject(kind.fault().apply("pause"));
          workflow.setPolicy(dev.sandman.workflows.PolicyPatch.idleTimeout(SHORT_IDLE));
          Instant deadline = t.status(id).pauseDeadline();
          t.awaitState(id, s -> s.state() == SandboxState.PAUSED, Duration.ofMillis(500), 240);
          landed(kind, "pause", id);
          assertThat(t.sim.successes("pause", id)).isEqualTo(1);
          assertThat(t.status(id).counters().pauses()).isEqualTo(1);
          Instant pausedAt = t.sim.calls().stream()
              .filter(c -> c.operation().equals("pause") && id.equals(c.sandboxId()) && c.status() / 100 == 2)
              .findFirst().orElseThrow().at();
          assertThat(Duration.between(deadline, pausedAt)).isLessThanOrEqualTo(RETRY_BUDGET);
          assertThat(t.sim.stateOf(id)).isEqualTo("paused");
          return new Outcome("PAUSED, 1 effective pause; E2B answered " + t.sim.answers("pause", id) + ", "
              + Duration.between(deadline, pausedAt).toMillis() / 1000.0 + " s after the deadline", 1, kind.times(), 0);
        }
        case "connect" -> {
          workflow.pause(ChangeRequest.none());
          t.sim.inject(kind.fault().apply("connect"));
          workflow.activity(ActivitySignal.now());
          t.awaitState(id, s -> s.state() == SandboxState.RUNNING, Duration.ofSeconds(1), 120);
          landed(kind, "connect", id);
          SandboxStatus status = t.status(id);
          assertThat(status.counters().resumes()).isEqualTo(1);
          assertThat(status.counters().pauses()).isEqualTo(1);
          assertThat(t.sim.stateOf(id)).isEqualTo("running");
          return new Outcome("RUNNING, 1 resume; E2B answered " + t.sim.answers("connect", id), 1, kind.times(), 0);
        }
        default -> {
          t.sim.inject(kind.fault().apply("kill"));
          SandboxStatus killed = workflow.kill(ChangeRequest.none());
          assertThat(killed.state()).isEqualTo(SandboxState.KILLED);
          landed(kind, "kill", id);
          assertThat(t.sim.stateOf(id)).isNull();
          t.result(id);
          return new Outcome("KILLED; E2B answered " + t.sim.answers("kill", id) + " and has no such sandbox", 1, kind.times(), 0);
        }
      }
    });
    t.sim.clearFaults();
  }

  /** A call the client gave up on still reaches E2B: wait (real time) until it has, so its effect is checked too. */
  static void landed(Kind kind, String operation, String sandboxId) {
    if (!kind.name().startsWith("answer slower")) {
      return;
    }
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (t.sim.answers(operation, sandboxId).size() < 2 && System.nanoTime() < until) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    assertThat(t.sim.answers(operation, sandboxId)).hasSizeGreaterThanOrEqualTo(2);
  }


  static Stream<String> everyState() {
    return Stream.of("RUNNING", "PAUSING", "PAUSED", "RESUMING");
  }

  @ParameterizedTest(name = "vanishes while {0}")
  @MethodSource("everyState")
  void aSandboxThatVanishesEndsKilledAsSandboxGone(String state) {
    Matrix.check("E2B faults", "sandbox vanishes (404) while " + state, "E2B forgets the sandbox",
        "KILLED with cause sandbox-gone at the next E2B call; nothing retried forever", () -> {
      String id = t.newSandbox();
      SandboxWorkflow workflow = t.track(id, Policy.defaults());
      t.awaitState(id, s -> s.transitions().size() >= 1, Duration.ofMillis(100), 50);
      switch (state) {
        case "RUNNING" -> {
          t.sim.vanish(id);
          workflow.setPolicy(dev.sandman.workflows.PolicyPatch.idleTimeout(SHORT_IDLE)); // the idle pause meets the 404
        }
        case "PAUSING" -> {
          t.sim.inject(Fault.latency("pause", 1500, 1));
          CompletableFuture<SandboxStatus> pausing = CompletableFuture.supplyAsync(() -> workflow.pause(ChangeRequest.none()));
          t.awaitState(id, s -> s.state() == SandboxState.PAUSING, Duration.ofMillis(50), 100);
          t.sim.vanish(id);
          pausing.exceptionally(e -> null).join();
        }
        case "PAUSED" -> {
          workflow.pause(ChangeRequest.none());
          t.sim.vanish(id);
          workflow.activity(ActivitySignal.now());
        }
        default -> {
          workflow.pause(ChangeRequest.none());
          t.sim.inject(Fault.latency("connect", 1500, 1));
          workflow.activity(ActivitySignal.now());
          t.awaitState(id, s -> s.state() == SandboxState.RESUMING, Duration.ofMillis(50), 100);
          t.sim.vanish(id);
        }
      }
      SandboxStatus result = t.result(id);
      assertThat(result.state()).isEqualTo(SandboxState.KILLED);
      Transition last = result.transitions().get(result.transitions().size() - 1);
      assertThat(last.cause()).isEqualTo(Cause.SANDBOX_GONE);
      t.sim.clearFaults();
      return new Outcome("KILLED (sandbox-gone) from " + state, 1, 1, 0);
    });
  }

  @Test
  void aPauseRequestDuringAnIdlePauseIsOnePause() {
    Matrix.check("E2B faults", "pause request while the idle pause is in flight", "409-prone double pause",
        "one pause call, both callers see PAUSED", () -> {
      String id = t.newSandbox();
      SandboxWorkflow workflow = t.track(id, Policy.defaults());
      t.sim.inject(Fault.latency("pause", 1500, 1));
      workflow.setPolicy(dev.sandman.workflows.PolicyPatch.idleTimeout(SHORT_IDLE));
      t.awaitState(id, s -> s.state() == SandboxState.PAUSING, Duration.ofMillis(50), 400);
      SandboxStatus requested = workflow.pause(new ChangeRequest("user closed the tab"));
      assertThat(requested.state()).isEqualTo(SandboxState.PAUSED);
      assertThat(t.sim.count("pause", id)).isEqualTo(1);
      assertThat(requested.counters().pauses()).isEqualTo(1);
      return new Outcome("PAUSED, 1 pause call", 1, 1, 0);
    });
  }

  @Test
  void aKillRacingAResumeEndsKilledWithNothingLeftRunning() {
    Matrix.check("E2B faults", "kill request racing a resume (connect in flight)", "slow connect, then kill",
        "resume finishes, then the kill: KILLED, E2B has nothing running", () -> {
      String id = t.newSandbox();
      SandboxWorkflow workflow = t.track(id, Policy.defaults());
      workflow.pause(ChangeRequest.none());
      t.sim.inject(Fault.latency("connect", 1500, 1));
      CompletableFuture<SandboxStatus> resuming = CompletableFuture.supplyAsync(() -> workflow.resume(ChangeRequest.none()));
      t.awaitState(id, s -> s.state() == SandboxState.RESUMING, Duration.ofMillis(50), 100);
      SandboxStatus killed = workflow.kill(ChangeRequest.none());
      assertThat(killed.state()).isEqualTo(SandboxState.KILLED);
      assertThat(resuming.join().state()).isIn(SandboxState.RUNNING, SandboxState.KILLED);
      assertThat(t.sim.stateOf(id)).isNull();
      return new Outcome("KILLED; resume answered " + resuming.join().state() + "; E2B: none", 1, 1, 0);
    });
  }

  @Test
  void aSandboxE2bAutoPausedBehindTheWorkflowsBackIsPausedOnce() {
    Matrix.check("E2B faults", "E2B auto-paused the sandbox behind the workflow's back", "E2B pauses on its own",
        "idle pause meets 409, asks E2B, records PAUSED once", () -> {
      String id = t.newSandbox();
      SandboxWorkflow workflow = t.track(id, Policy.defaults());
      t.awaitState(id, s -> s.counters().e2bCalls() >= 1, Duration.ofMillis(100), 100);
      t.sim.autoPauseNow(id);
      workflow.setPolicy(dev.sandman.workflows.PolicyPatch.idleTimeout(SHORT_IDLE));
      t.awaitState(id, s -> s.state() == SandboxState.PAUSED, Duration.ofMillis(500), 240);
      assertThat(t.status(id).counters().pauses()).isEqualTo(1);
      assertThat(t.sim.successes("pause", id)).isZero();
      return new Outcome("PAUSED via 409 + get; 0 effective pause calls needed", 1, 1, 0);
    });
  }
}
