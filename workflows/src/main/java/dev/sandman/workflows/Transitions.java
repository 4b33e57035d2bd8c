package dev.sandman.workflows;

import static dev.sandman.workflows.SandboxState.KILLED;
import static dev.sandman.workflows.SandboxState.PAUSED;
import static dev.sandman.workflows.SandboxState.PAUSING;
import static dev.sandman.workflows.SandboxState.RESUMING;
import static dev.sandman.workflows.SandboxState.RUNNING;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/** Every state change a sandbox can make, as one table: (state, what happened) to the next state. */
public final class Transitions {
  private Transitions() {}

  /** What moves a sandbox from one state to another. */
  public enum Event {
    /** The idle deadline or a request: E2B is asked to pause. */
    PAUSE_STARTED,
    /** E2B paused it. */
    PAUSE_DONE,
    /** E2B could not pause it; it runs on. */
    PAUSE_FAILED,
    /** Activity, a hold or a request: E2B is asked to resume. */
    RESUME_STARTED,
    RESUME_DONE,
    /** E2B could not resume it; it stays paused. */
    RESUME_FAILED,
    /** E2B killed it on request, at its lifetime or after its paused retention. */
    KILL_DONE,
    /** E2B no longer knows it. */
    GONE,
    /** E2B says it is paused though we had it running (its own timeout acted). */
    FOUND_PAUSED,
    /** E2B says it is running though we had it paused (someone connected to it). */
    FOUND_RUNNING
  }

  private static final Map<SandboxState, Map<Event, SandboxState>> TABLE = new EnumMap<>(SandboxState.class);

  static {
    //   from      event                 to
    add(RUNNING,  Event.PAUSE_STARTED,  PAUSING);
    add(RUNNING,  Event.FOUND_PAUSED,   PAUSED);
    add(RUNNING,  Event.KILL_DONE,      KILLED);
    add(RUNNING,  Event.GONE,           KILLED);
    add(PAUSING,  Event.PAUSE_DONE,     PAUSED);
    add(PAUSING,  Event.PAUSE_FAILED,   RUNNING);
    add(PAUSING,  Event.GONE,           KILLED);
    add(PAUSED,   Event.RESUME_STARTED, RESUMING);
    add(PAUSED,   Event.FOUND_RUNNING,  RUNNING);
    add(PAUSED,   Event.KILL_DONE,      KILLED);
    add(PAUSED,   Event.GONE,           KILLED);
    add(RESUMING, Event.RESUME_DONE,    RUNNING);
    add(RESUMING, Event.RESUME_FAILED,  PAUSED);
    add(RESUMING, Event.GONE,           KILLED);
  }

  private static void add(SandboxState from, Event event, SandboxState to) {
    TABLE.computeIfAbsent(from, f -> new EnumMap<>(Event.class)).put(event, to);
  }

  /** The state {@code event} moves a sandbox in state {@code from} to; empty if it cannot happen there. */
  public static Optional<SandboxState> next(SandboxState from, Event event) {
    return Optional.ofNullable(TABLE.getOrDefault(from, Map.of()).get(event));
  }

  public static boolean allows(SandboxState from, Event event) {
    return next(from, event).isPresent();
  }
}
