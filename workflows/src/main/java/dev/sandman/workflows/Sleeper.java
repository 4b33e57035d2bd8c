package dev.sandman.workflows;

import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The workflow's sleep: until a time, or until it is woken. Timers are kept, never cancelled: a wake-up
 * leaves the pending timer in place and the next sleep reuses it while it fires no later than needed,
 * so a timer that fires while its cancellation is in flight cannot race and moving deadlines costs no
 * timer. Without {@code keepTimers} (the oldest runs) the timer is cancelled instead.
 */
final class Sleeper {
  private record PendingTimer(Instant at, Promise<Void> fired) {}

  private final boolean keepTimers;
  /** Timers this run started that have not fired yet. */
  private final List<PendingTimer> timers = new ArrayList<>();

  Sleeper(boolean keepTimers) {
    this.keepTimers = keepTimers;
  }

  /** Returns at {@code until} (null: never) or as soon as {@code woken} holds. */
  void sleepUntil(Instant until, BooleanSupplier woken) {
    if (!keepTimers) {
      sleepCancelling(until, woken);
      return;
    }
    timers.removeIf(timer -> timer.fired().isCompleted());
    if (until != null && !until.isAfter(now())) {
      return;
    }
    PendingTimer next = timers.stream().min(Comparator.comparing(PendingTimer::at)).orElse(null);
    if (until != null && (next == null || next.at().isAfter(until))) {
      Promise<Void> fired = Workflow.newTimer(Duration.between(now(), until));
      next = new PendingTimer(until, fired.exceptionally(cancelled -> null)); // cancelled only with the workflow
      timers.add(next);
    }
    if (next == null) {
      Workflow.await(woken::getAsBoolean);
      return;
    }
    Promise<Void> wake = next.fired();
    Workflow.await(() -> wake.isCompleted() || woken.getAsBoolean());
  }

  private void sleepCancelling(Instant until, BooleanSupplier woken) {
    if (until == null) {
      Workflow.await(woken::getAsBoolean);
      return;
    }
    long millis = until.toEpochMilli() - Workflow.currentTimeMillis();
    if (millis <= 0) {
      return;
    }
    List<Promise<Void>> timer = new ArrayList<>(1);
    CancellationScope scope = Workflow.newCancellationScope(() -> {
      Promise<Void> fired = Workflow.newTimer(Duration.ofMillis(millis));
      fired.exceptionally(cancelled -> null); // a cancelled timer is expected, not an error
      timer.add(fired);
    });
    scope.run();
    Workflow.await(() -> timer.get(0).isCompleted() || woken.getAsBoolean());
    if (!timer.get(0).isCompleted()) {
      scope.cancel();
    }
  }

  private static Instant now() {
    return Instant.ofEpochMilli(Workflow.currentTimeMillis());
  }
}
