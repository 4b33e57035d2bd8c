package dev.sandman.workflows;

/** The sandbox's lifecycle states. KILLED is terminal: the workflow completes with it. */
public enum SandboxState {
  RUNNING,
  PAUSING,
  PAUSED,
  RESUMING,
  KILLED;

  /** E2B bills the sandbox as running: from RUNNING through PAUSING (RESUMING is not running yet). */
  public boolean billedAsRunning() {
    return this == RUNNING || this == PAUSING;
  }

  public boolean isStable() {
    return this == RUNNING || this == PAUSED || this == KILLED;
  }
}
