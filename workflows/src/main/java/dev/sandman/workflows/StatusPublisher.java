package dev.sandman.workflows;

import io.temporal.workflow.Async;
import io.temporal.workflow.Workflow;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Keeps the sandbox's status in the workflow's memo, so reads describe the workflow instead of
 * querying it (a describe is not billed). Written in the workflow task that changes the status, and
 * only when it changed (usage aside, which moves with the clock).
 */
final class StatusPublisher {
  private final Supplier<SandboxStatus> status;
  private boolean on;
  private boolean wanted;
  /** The status last written, without its usage. */
  private SandboxStatus published;

  StatusPublisher(Supplier<SandboxStatus> status) {
    this.status = status;
  }

  /**
   * Turns publishing on, publishes, and starts the thread that writes for message handlers: once per workflow task
   * however many messages it holds, and not while {@code runIsFull} (the next run publishes in its first task).
   */
  void start(BooleanSupplier runIsFull) {
    on = true;
    publish(); // in the first workflow task, so a track's answer needs no query
    Async.procedure(() -> {
      while (true) {
        Workflow.await(() -> wanted && !runIsFull.getAsBoolean());
        wanted = false;
        publish();
      }
    });
  }

  /** A handler changed the status: publish once this task's messages are handled. */
  void want() {
    wanted = true;
  }

  void publish() {
    if (!on) {
      return;
    }
    SandboxStatus now = status.get();
    SandboxStatus comparable = now.withUsage(null);
    if (!comparable.equals(published)) {
      Workflow.upsertMemo(Map.of(SandboxStatus.MEMO_KEY, now));
      published = comparable;
    }
  }
}
