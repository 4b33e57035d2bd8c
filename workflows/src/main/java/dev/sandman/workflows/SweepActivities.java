package dev.sandman.workflows;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** The sweep's work, on the worker: E2B's list against the tracked workflows. */
@ActivityInterface
public interface SweepActivities {
  /** One whole sweep, heartbeating per page; safe to run again from the start (every step is idempotent). */
  @ActivityMethod(name = "SweepFleet")
  SweepReport sweep(SweepOrder order);
}
