package dev.sandman.workflows;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Delivery of events to the configured webhooks. */
@ActivityInterface
public interface EventActivities {
  /** POSTs the event to every configured URL, signed; fails (to be retried) unless all answer 2xx. */
  @ActivityMethod(name = "DeliverEvent")
  void deliver(SandboxEvent event);
}
