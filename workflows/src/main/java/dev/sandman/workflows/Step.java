package dev.sandman.workflows;

import java.time.Instant;

/**
 * What the workflow does next, as the lifecycle decides it: a call to E2B, a warning, or a sleep.
 * {@code at} is the deadline a warning is about, or the time a sleep ends (null: nothing scheduled).
 */
public record Step(Kind kind, Cause cause, Instant at, String event) {

  public enum Kind {
    /** Ask E2B to pause the sandbox. */
    PAUSE("pause"),
    /** Ask E2B to resume it (connect), with E2B's own timeout set to the backstop. */
    RESUME("connect"),
    KILL("kill"),
    /** Move E2B's own timeout further out, so it never acts before our pause deadline. */
    EXTEND_BACKSTOP("setTimeout"),
    /** Ask E2B what it has: once, when tracking starts. */
    LOOK("describe"),
    /** Read E2B's CPU metrics at the idle deadline: a busy sandbox is not idle. */
    CHECK_CPU("metrics"),
    /** Tell the app's pre-pause hook a pause is coming, and wait (bounded) for its answer. */
    ASK_BEFORE_PAUSE(null),
    /** Tell the webhooks a pause or kill is near. */
    WARN(null),
    /** Nothing is due before {@code at}. */
    SLEEP(null),
    /** A request that needs no call: it is answered as things are. */
    NOTHING(null);

    /** The E2B operation, as a failed call records it; null for steps that call none. */
    public final String operation;

    Kind(String operation) {
      this.operation = operation;
    }
  }

  public static Step pause(Cause cause) {
    return new Step(Kind.PAUSE, cause, null, null);
  }

  public static Step resume(Cause cause) {
    return new Step(Kind.RESUME, cause, null, null);
  }

  public static Step kill(Cause cause) {
    return new Step(Kind.KILL, cause, null, null);
  }

  public static Step extendBackstop() {
    return new Step(Kind.EXTEND_BACKSTOP, null, null, null);
  }

  /** A look E2B's notice asked for: what it finds that the workflow did not cause, E2B did behind its back. */
  public static Step lookOnNotice() {
    return new Step(Kind.LOOK, Cause.E2B_RESUMED, null, null);
  }

  public static Step checkCpu() {
    return new Step(Kind.CHECK_CPU, Cause.IDLE, null, null);
  }

  public static Step askBeforePause(Cause cause) {
    return new Step(Kind.ASK_BEFORE_PAUSE, cause, null, null);
  }

  public static Step look() {
    return new Step(Kind.LOOK, null, null, null);
  }

  public static Step warn(String event, Cause cause, Instant deadline) {
    return new Step(Kind.WARN, cause, deadline, event);
  }

  public static Step sleepUntil(Instant until) {
    return new Step(Kind.SLEEP, null, until, null);
  }

  public static Step nothing() {
    return new Step(Kind.NOTHING, null, null, null);
  }

}
