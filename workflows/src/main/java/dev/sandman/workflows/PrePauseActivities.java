package dev.sandman.workflows;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** The operator's pre-pause hook: the app is told a pause is coming and may flush its work first. */
@ActivityInterface
public interface PrePauseActivities {
  /**
   * POSTs the signed {@code sandbox.pausing} event and waits (bounded) for the answer. Never fails for
   * what the app answers: the outcome is the reply ({@link PrePauseAnswer#reply}).
   */
  @ActivityMethod(name = "PrePause")
  PrePauseAnswer ask(SandboxEvent pausing);
}
