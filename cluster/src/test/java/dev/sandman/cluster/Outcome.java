package dev.sandman.cluster;

import dev.sandman.e2bsim.E2bSimulator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a scenario did to the sandboxes, from E2B's own record (the simulator's call log) and Sandman's
 * answers: lost, doubled, wrongly paused, and how late the idle pauses came.
 */
record Outcome(String scenario, int sandboxes, int lost, int doublePauses, int doubleResumes, int activePaused,
               int duringFault, double p50, double p99, double max, double recoverySeconds, double faultSeconds,
               long touchesFailedOver, long requestsFailed, int pauses, int resumes, int pausedEarlyByKill,
               double mostEarlyByKill, int resumesRepeated, List<String> problems) {

  /** Late by more than this and a pause counts as not yet recovered. */
  static final Duration NORMAL_LATENESS = Duration.ofSeconds(5);

  /** A fault's effects outlast it (reconnects, retries): a pause due up to this long after its end counts as in it. */
  static final Duration AFTERMATH = Duration.ofSeconds(30);

  record Window(Instant start, Instant end) {
    boolean affects(Instant due) {
      return !due.isBefore(start) && !due.isAfter(end.plus(AFTERMATH));
    }
  }

  /** {@code snapshot}: how long E2B takes to answer a pause; lateness is when the pause was asked for. */
  static Outcome of(String scenario, Fleet fleet, E2bSimulator sim, Duration snapshot, Window fault,
                    Map<String, String> finalStates, AppClient app) {
    Map<String, Fleet.Sandbox> byId = new HashMap<>();
    fleet.sandboxes.forEach(s -> byId.put(s.id(), s));
    Map<String, List<E2bSimulator.Call>> calls = new HashMap<>();
    for (E2bSimulator.Call call : sim.calls()) {
      if (call.sandboxId() != null && byId.containsKey(call.sandboxId()) && call.status() >= 200 && call.status() < 300
          && Set.of("pause", "resume", "connect").contains(call.operation())) {
        calls.computeIfAbsent(call.sandboxId(), k -> new ArrayList<>()).add(call);
      }
    }
    int doublePauses = 0;
    int doubleResumes = 0;
    int activePaused = 0;
    int pausedEarlyByKill = 0;
    int resumesRepeated = 0;
    double mostEarlyByKill = 0;
    int pauses = 0;
    int resumes = 0;
    List<Double> lateness = new ArrayList<>();
    List<Double> latenessInFault = new ArrayList<>();
    Instant lastLate = null;
    List<String> problems = new ArrayList<>();
    for (Fleet.Sandbox sandbox : fleet.sandboxes) {
      List<E2bSimulator.Call> own = new ArrayList<>(calls.getOrDefault(sandbox.id(), List.of()));
      own.sort(Comparator.comparing(E2bSimulator.Call::at));
      Turns turns = Turns.of(sandbox.id(), own);
      pauses += turns.pauses();
      resumes += turns.resumes();
      doublePauses += turns.doublePauses();
      doubleResumes += turns.doubleResumes();
      resumesRepeated += turns.repeated();
      problems.addAll(turns.problems());
      boolean first = true;
      for (E2bSimulator.Call call : own) {
        if (!call.operation().equals("pause")) {
          continue;
        }
        Instant asked = call.at().minus(snapshot);
        Duration early = earlyBy(fleet, sandbox.id(), own, asked, true);
        if (early.compareTo(Duration.ZERO) > 0) {
          activePaused++;
          problems.add(sandbox.id() + ": pause asked " + fleet.idleTimeout().minus(early).toMillis()
              + " ms after a touch the API accepted, at " + asked + "; its touches before: "
              + touchesAround(fleet, sandbox.id(), asked.minus(fleet.idleTimeout().multipliedBy(2)), asked));
        } else if ((early = earlyBy(fleet, sandbox.id(), own, asked, false)).compareTo(Duration.ZERO) > 0) {
          pausedEarlyByKill++;
          mostEarlyByKill = Math.max(mostEarlyByKill, early.toMillis() / 1000.0);
        }
        if (first && sandbox.role() != Fleet.Role.ACTIVE) {
          double late = Duration.between(sandbox.pauseDeadline(), call.at().minus(snapshot)).toMillis() / 1000.0;
          lateness.add(late);
          if (fault.affects(sandbox.pauseDeadline())) {
            latenessInFault.add(late);
          }
          if (late > NORMAL_LATENESS.toMillis() / 1000.0 && (lastLate == null || call.at().isAfter(lastLate))) {
            lastLate = call.at();
          }
        }
        first = false;
      }
    }
    int lost = 0;
    for (Fleet.Sandbox sandbox : fleet.sandboxes) {
      String sandman = finalStates.get(sandbox.id());
      String e2b = sim.stateOf(sandbox.id());
      String expected = switch (sandbox.role()) {
        case ACTIVE -> "RUNNING";
        case IDLE -> "PAUSED";
        case RETURNING -> fleet.returnedAt.containsKey(sandbox.id()) ? null : "PAUSED"; // back, or paused again
      };
      boolean agrees = sandman != null && e2b != null && sandman.equalsIgnoreCase(e2b);
      if (!agrees || (expected != null && !expected.equals(sandman))) {
        lost++;
        problems.add(sandbox.id() + " (" + sandbox.role() + "): Sandman " + sandman + ", E2B " + e2b);
      }
    }
    lost += fleet.trackFailures;
    if (fleet.trackFailures > 0) {
      problems.add(0, fleet.trackFailures + " tracks failed, the first: " + fleet.firstTrackFailure);
    }
    List<Double> window = latenessInFault;
    double recovery = lastLate == null || lastLate.isBefore(fault.end()) ? 0
        : Duration.between(fault.end(), lastLate).toMillis() / 1000.0;
    return new Outcome(scenario, fleet.sandboxes.size() + fleet.trackFailures, lost, doublePauses, doubleResumes,
        activePaused, latenessInFault.size(), percentile(window, 50), percentile(window, 99), percentile(window, 100),
        recovery, Duration.between(fault.start(), fault.end()).toMillis() / 1000.0, app.failedOver.sum(),
        app.failed.sum(), pauses, resumes, pausedEarlyByKill, mostEarlyByKill, resumesRepeated, problems.subList(0, Math.min(problems.size(), 20)));
  }

  /**
   * A sandbox's turns between running and paused as E2B answered them ({@code own}: its successful pauses, resumes
   * and connects, in order). A connect answered 200 found it running and changed nothing: an activity retried after
   * its worker died having resumed it repeats the call. {@code repeated} counts those.
   */
  record Turns(int pauses, int resumes, int doublePauses, int doubleResumes, int repeated, List<String> problems) {
    static Turns of(String sandboxId, List<E2bSimulator.Call> own) {
      int pauses = 0, resumes = 0, doublePauses = 0, doubleResumes = 0, repeated = 0;
      List<String> problems = new ArrayList<>();
      boolean paused = false;
      for (E2bSimulator.Call call : own) {
        if (call.operation().equals("connect") && call.status() == 200) {
          repeated++;
        } else if (call.operation().equals("pause")) {
          pauses++;
          if (paused) {
            doublePauses++;
            problems.add(sandboxId + ": paused twice, E2B's record: " + story(own));
          }
          paused = true;
        } else {
          resumes++;
          if (!paused) {
            doubleResumes++;
            problems.add(sandboxId + ": resumed while running (or paused by E2B's own timeout), E2B's record: " + story(own));
          }
          paused = false;
        }
      }
      return new Turns(pauses, resumes, doublePauses, doubleResumes, repeated, problems);
    }

    private static String story(List<E2bSimulator.Call> own) {
      return own.stream().map(call -> call.operation() + " " + call.status() + " at " + call.at())
          .collect(java.util.stream.Collectors.joining(", "));
    }
  }

  /**
   * How much sooner than an idle timeout after the newest touch the API accepted before it a pause asked at
   * {@code asked} came (zero or negative: not early). {@code kept}: only the touches no replica killed with
   * -9 may have been holding, the contract's bound; otherwise every accepted touch. {@code e2b}: the
   * sandbox's pauses and resumes E2B answered, in order.
   */
  static Duration earlyBy(Fleet fleet, String sandboxId, List<E2bSimulator.Call> e2b, Instant asked, boolean kept) {
    List<Fleet.Touch> touches = fleet.touches.getOrDefault(sandboxId, List.of());
    synchronized (touches) {
      return touches.stream().filter(Fleet.Touch::accepted)
          .filter(touch -> !kept || !fleet.mayHaveDiedWithItsReplica(touch) || sentAtOnce(touch, touches, e2b))
          .map(Fleet.Touch::sent).filter(sent -> sent.isBefore(asked)).max(Instant::compareTo)
          .map(touched -> Duration.between(asked, touched.plus(fleet.idleTimeout()))).orElse(Duration.ZERO);
    }
  }

  /**
   * A touch to a sandbox E2B had paused wakes it: the replica signals before it answers (docs/contract.md,
   * step 1), unless it signalled for the same sandbox within the second before.
   */
  private static boolean sentAtOnce(Fleet.Touch touch, List<Fleet.Touch> touches, List<E2bSimulator.Call> e2b) {
    boolean paused = e2b.stream().filter(call -> !call.at().isAfter(touch.sent())).reduce((a, b) -> b)
        .map(call -> call.operation().equals("pause")).orElse(false);
    Instant secondBefore = touch.sent().minus(UNKNOWN_DUE_WINDOW);
    return paused && touches.stream().noneMatch(other -> other != touch && other.accepted() && other.replica() == touch.replica()
        && !other.sent().isAfter(touch.sent()) && other.sent().isAfter(secondBefore));
  }

  /** How often a replica signals a sandbox that is not running (TouchCoalescer). */
  private static final Duration UNKNOWN_DUE_WINDOW = Duration.ofSeconds(1);

  /** What the app saw of a sandbox's touches sent from {@code from} to {@code to}: the story of an active pause. */
  private static String touchesAround(Fleet fleet, String sandboxId, Instant from, Instant to) {
    List<Fleet.Touch> touches = fleet.touches.getOrDefault(sandboxId, List.of());
    synchronized (touches) {
      return touches.stream().filter(t -> !t.sent().isBefore(from) && t.sent().isBefore(to)).map(Fleet.Touch::toString)
          .collect(java.util.stream.Collectors.joining("; "));
    }
  }

  static double percentile(List<Double> values, double p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = values.stream().sorted().toList();
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
  }
}
