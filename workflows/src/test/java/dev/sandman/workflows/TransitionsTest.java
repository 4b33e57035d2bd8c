package dev.sandman.workflows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.workflows.Transitions.Event;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransitionsTest {
  /** The whole table, as the design states it; every pair not listed cannot happen. */
  private static final List<String> EXPECTED = List.of(
      "RUNNING  PAUSE_STARTED  PAUSING",
      "RUNNING  KILL_DONE      KILLED",
      "RUNNING  GONE           KILLED",
      "RUNNING  FOUND_PAUSED   PAUSED",
      "PAUSING  PAUSE_DONE     PAUSED",
      "PAUSING  PAUSE_FAILED   RUNNING",
      "PAUSING  GONE           KILLED",
      "PAUSED   RESUME_STARTED RESUMING",
      "PAUSED   KILL_DONE      KILLED",
      "PAUSED   GONE           KILLED",
      "PAUSED   FOUND_RUNNING  RUNNING",
      "RESUMING RESUME_DONE    RUNNING",
      "RESUMING RESUME_FAILED  PAUSED",
      "RESUMING GONE           KILLED");

  @Test
  void everyStateAndEventIsEitherInTheTableOrImpossible() {
    List<String> actual = new ArrayList<>();
    for (SandboxState from : SandboxState.values()) {
      for (Event event : Event.values()) {
        Transitions.next(from, event).ifPresent(to -> actual.add(String.format("%-8s %-14s %s", from, event, to)));
        assertThat(Transitions.allows(from, event)).isEqualTo(Transitions.next(from, event).isPresent());
      }
    }
    assertThat(actual).containsExactlyElementsOf(EXPECTED);
  }

  @Test
  void killedIsTerminalAndEveryOtherStateCanEndInIt() {
    for (Event event : Event.values()) {
      assertThat(Transitions.allows(SandboxState.KILLED, event)).as(event.name()).isFalse();
    }
    for (SandboxState state : List.of(SandboxState.RUNNING, SandboxState.PAUSING, SandboxState.PAUSED, SandboxState.RESUMING)) {
      assertThat(Transitions.next(state, Event.GONE)).contains(SandboxState.KILLED);
    }
  }
}
