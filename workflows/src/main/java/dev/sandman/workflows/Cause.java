package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonValue;

/** Why a transition happened; recorded with every transition. */
public enum Cause {
  /** The workflow began tracking the sandbox. */
  TRACK("track"),
  /** No activity for the idle timeout. */
  IDLE("idle"),
  /** An explicit pause, resume or kill request. */
  REQUEST("request"),
  /** An activity signal arrived for a paused sandbox. */
  ACTIVITY("activity"),
  /** Paused for longer than the paused retention. */
  RETENTION("retention"),
  /** Older than the maximum lifetime. */
  LIFETIME("lifetime"),
  /** E2B no longer knows the sandbox. */
  SANDBOX_GONE("sandbox-gone"),
  /** E2B reported a state the workflow did not cause (e.g. its own timeout auto-paused it). */
  RECONCILE("reconcile"),
  /** E2B told of a change, and the look it led to found running a sandbox the workflow had paused (an app connected). */
  E2B_RESUMED("e2b-resumed"),
  /** The idle deadline came, but E2B's metrics showed the sandbox's CPU busy: the pause was put off. */
  BUSY("busy"),
  /** The pre-pause hook answered 409: the pause was put off once. */
  PRE_PAUSE_DEFERRED("pre-pause-deferred"),
  /** A transition failed; the sandbox is back in its previous state. */
  ERROR("error");

  private final String wireName;

  Cause(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }
}
