package dev.sandman.cli;

import dev.sandman.starter.TrackRequest;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.Transition;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code sandman dev --demo}: three simulated sandboxes with a 5-second idle timeout, driven through
 * idle pauses, a resume on activity, an explicit pause/resume/kill and a retention kill, with every
 * transition printed as it happens.
 */
final class DevDemo {
  private static final Duration IDLE = Duration.ofSeconds(5);
  private final DevStack stack;
  private final PrintStream out;
  private final Map<String, String> names = new LinkedHashMap<>();
  private final Map<String, Integer> seen = new HashMap<>();
  private Instant started;

  DevDemo(DevStack stack, PrintStream out) {
    this.stack = stack;
    this.out = out;
  }

  void run() throws InterruptedException {
    if (stack.sim == null) {
      out.println("--demo needs the E2B simulator (unset E2B_API_KEY)");
      return;
    }
    out.println();
    out.println("Demo: idle timeout 5 s. 'editor' is used for 8 s, goes idle, then its user comes back;");
    out.println("'agent' is paused, resumed and killed on request; 'abandoned' idles, and its 10 s paused retention kills it.");
    out.println();
    out.printf("%-8s %-10s %-9s %-9s %s%n", "AT", "SANDBOX", "FROM", "TO", "CAUSE");
    started = Instant.now();
    String editor = track("editor", new Policy(IDLE, Duration.ofMinutes(30), null));
    String agent = track("agent", new Policy(IDLE, Duration.ofMinutes(30), null));
    String abandoned = track("abandoned", new Policy(IDLE, Duration.ofSeconds(10), null));
    // a wall-clock script: (second, action), each run once when its time comes
    List<Map.Entry<Double, Runnable>> script = new ArrayList<>(List.of(
        Map.entry(2.0, () -> stack.client.pause(agent, "demo: user closed the tab")),
        Map.entry(4.0, () -> stack.client.resume(agent, "demo: user reopened the tab")),
        Map.entry(6.0, () -> stack.client.kill(agent, "demo: project deleted")),
        Map.entry(18.0, () -> stack.client.touch(editor)))); // the user is back: resumes
    for (double second = 0; second < 8; second += 1) {
      final double at = second;
      script.add(Map.entry(at, () -> stack.client.touch(editor))); // typing for 8 s
    }
    script.sort(Map.Entry.comparingByKey());
    while (elapsed() < 30) {
      while (!script.isEmpty() && script.get(0).getKey() <= elapsed()) {
        script.remove(0).getValue().run();
      }
      printNewTransitions();
      Thread.sleep(100);
    }
    printNewTransitions();
    out.println();
    List<List<String>> rows = new ArrayList<>();
    for (Map.Entry<String, String> e : names.entrySet()) {
      SandboxStatus status = stack.client.status(e.getKey());
      rows.add(List.of(e.getValue(), e.getKey(), status.state().name(), Long.toString(status.counters().pauses()),
          Long.toString(status.counters().resumes()), Long.toString(status.counters().e2bCalls()),
          stack.sim.stateOf(e.getKey()) == null ? "gone" : stack.sim.stateOf(e.getKey())));
    }
    new Output(out, false).table(List.of("SANDBOX", "ID", "STATE", "PAUSES", "RESUMES", "E2B CALLS", "E2B SAYS"), rows);
    out.println();
    out.println("Demo done; dev mode keeps running (Ctrl-C to stop). " + abandonedHint(abandoned));
  }

  private double elapsed() {
    return Duration.between(started, Instant.now()).toMillis() / 1000.0;
  }

  private String abandonedHint(String abandoned) {
    SandboxState state = stack.client.status(abandoned).state();
    return state == SandboxState.KILLED ? "" : "('abandoned' is " + state + ")";
  }

  private String track(String name, Policy policy) {
    String id = stack.sim.createSandbox("base", Duration.ofMinutes(10), true, Map.of("demo", name));
    stack.client.track(new TrackRequest(id, "demo", "demo-user", "base", Map.of("name", name), policy));
    names.put(id, name);
    return id;
  }

  private void printNewTransitions() {
    for (Map.Entry<String, String> e : names.entrySet()) {
      List<Transition> transitions = stack.client.status(e.getKey()).transitions();
      int already = seen.getOrDefault(e.getKey(), 0);
      for (int i = already; i < transitions.size(); i++) {
        Transition t = transitions.get(i);
        double seconds = Duration.between(started, t.at()).toMillis() / 1000.0;
        out.printf("+%-7.1f %-10s %-9s %-9s %s%n", Math.max(0, seconds), e.getValue(),
            t.from() == null ? "-" : t.from(), t.to(), t.cause().wireName());
      }
      seen.put(e.getKey(), transitions.size());
    }
  }
}
