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
               long touchesFailedOver, long requestsFailed, int pauses, int resumes, List<String> problems) {

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
    int pauses = 0;
    int resumes = 0;
    List<Double> lateness = new ArrayList<>();
    List<Double> latenessInFault = new ArrayList<>();
    Instant lastLate = null;
    List<String> problems = new ArrayList<>();
    for (Fleet.Sandbox sandbox : fleet.sandboxes) {
      List<E2bSimulator.Call> own = new ArrayList<>(calls.getOrDefault(sandbox.id(), List.of()));
      own.sort(Comparator.comparing(E2bSimulator.Call::at));
      boolean paused = false;
      boolean first = true;
      for (E2bSimulator.Call call : own) {
        boolean pause = call.operation().equals("pause");
        if (pause) {
          pauses++;
          if (paused) {
            doublePauses++;
            problems.add(sandbox.id() + ": paused twice");
          }
          Instant asked = call.at().minus(snapshot);
          Instant touched = lastTouchBefore(fleet, sandbox.id(), asked);
          if (touched != null && asked.isBefore(touched.plus(fleet.idleTimeout()))) {
            activePaused++;
            problems.add(sandbox.id() + ": pause asked " + Duration.between(touched, asked).toMillis()
                + " ms after a touch the API accepted, at " + asked + "; its touches before: "
                + touchesAround(fleet, sandbox.id(), asked.minus(fleet.idleTimeout().multipliedBy(2)), asked));
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
        } else {
          resumes++;
          if (!paused) {
            doubleResumes++;
            problems.add(sandbox.id() + ": resumed while running");
          }
        }
        paused = pause;
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
        app.failed.sum(), pauses, resumes, problems.subList(0, Math.min(problems.size(), 20)));
  }

  /** The newest accepted touch sent before {@code t}, or null. */
  private static Instant lastTouchBefore(Fleet fleet, String sandboxId, Instant t) {
    List<Fleet.Touch> touches = fleet.touches.getOrDefault(sandboxId, List.of());
    synchronized (touches) {
      return touches.stream().filter(Fleet.Touch::accepted).map(Fleet.Touch::sent).filter(sent -> sent.isBefore(t))
          .max(Instant::compareTo).orElse(null);
    }
  }

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
