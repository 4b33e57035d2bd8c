package dev.sandman.workflows;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Async;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Webhook events waiting for delivery, kept in the {@link Lifecycle} (so they survive continue-as-new)
 * and delivered by activities the workflow does not wait for: a dead endpoint never blocks the
 * lifecycle. A failed delivery is retried later with {@link Backoff}; past the bound the oldest is dropped.
 */
final class EventOutbox {
  private static final int DELIVERIES_AT_ONCE = 8;

  private final Lifecycle lc;
  private final Runnable changed;
  private final Set<String> inFlight = new HashSet<>();
  /** A few quick attempts per delivery; the outbox's own backoff retries after that. */
  private final EventActivities deliveries = Workflow.newActivityStub(
      EventActivities.class,
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(30))
          .setScheduleToCloseTimeout(Duration.ofMinutes(2))
          .setRetryOptions(RetryOptions.newBuilder()
              .setInitialInterval(Duration.ofSeconds(1))
              .setMaximumInterval(Duration.ofSeconds(20))
              .setMaximumAttempts(4)
              .build())
          .build());
  private boolean on;

  /** {@code changed} runs whenever an event is added or settled: the workflow's loop may want to wake. */
  EventOutbox(Lifecycle lc, Runnable changed) {
    this.lc = lc;
    this.changed = changed;
  }

  /** Runs of versions that know events, with events configured on the worker, emit them. */
  void turnOn(boolean versionKnowsEvents) {
    on = versionKnowsEvents;
  }

  boolean isEmpty() {
    return lc.outbox.isEmpty();
  }

  void emit(String type, SandboxState from, Cause cause, Instant deadline) {
    if (!on || !lc.sendsEvents()) {
      return;
    }
    Instant now = now();
    SandboxEvent event = new SandboxEvent(Workflow.randomUUID().toString(), type, lc.sandboxId, lc.projectId,
        lc.userId, lc.state, now, from, cause, deadline);
    lc.outbox.add(new Lifecycle.OutboxEntry(event, 0, now));
    while (lc.outbox.size() > Lifecycle.OUTBOX_LIMIT) {
      inFlight.remove(lc.outbox.remove(0).event().id());
      lc.eventsDropped++;
    }
    changed.run();
  }

  /** Starts deliveries of due events without waiting for them. */
  void pump() {
    Instant now = now();
    for (Lifecycle.OutboxEntry entry : List.copyOf(lc.outbox)) {
      if (inFlight.size() >= DELIVERIES_AT_ONCE) {
        return;
      }
      String id = entry.event().id();
      if (!inFlight.contains(id) && !entry.nextAttemptAt().isAfter(now)) {
        inFlight.add(id);
        Async.procedure(deliveries::deliver, entry.event()).handle((ok, failure) -> {
          settle(id, failure == null);
          return null;
        });
      }
    }
  }

  private void settle(String id, boolean delivered) {
    inFlight.remove(id);
    for (int i = 0; i < lc.outbox.size(); i++) {
      Lifecycle.OutboxEntry entry = lc.outbox.get(i);
      if (entry.event().id().equals(id)) {
        if (delivered) {
          lc.outbox.remove(i);
          lc.eventsDelivered++;
        } else {
          int attempts = entry.attempts() + 1;
          lc.outbox.set(i, new Lifecycle.OutboxEntry(entry.event(), attempts, now().plus(Backoff.after(attempts))));
        }
        break;
      }
    }
    changed.run();
  }

  /** The earliest time a waiting (not in flight) event is due, or null. */
  Instant nextDeliveryAt() {
    Instant next = null;
    for (Lifecycle.OutboxEntry entry : lc.outbox) {
      if (!inFlight.contains(entry.event().id())) {
        next = Lifecycle.earliest(next, entry.nextAttemptAt());
      }
    }
    return next;
  }

  private static Instant now() {
    return Instant.ofEpochMilli(Workflow.currentTimeMillis());
  }
}
