package dev.sandman.workflows;

/** The sandbox's lifecycle states. KILLED is terminal: the workflow completes with it. */
public enum SandboxState {
  RUNNING,
  PAUSING,
  PAUSED,
  RESUMING,
  KILLED;

  public boolean isStable() {
    return this == RUNNING || this == PAUSED || this == KILLED;
  }
}
