package dev.sandman.workflows;

/** What an app asks of a sandbox through an update, and the state that answers it. */
public enum Request {
  PAUSE(SandboxState.PAUSED),
  RESUME(SandboxState.RUNNING),
  KILL(SandboxState.KILLED);

  private final SandboxState target;

  Request(SandboxState target) {
    this.target = target;
  }

  public SandboxState target() {
    return target;
  }

  /** A request's answer: the status, or a failure of the given type. */
  public record Answer(SandboxStatus status, String failureType, String message) {}
}
