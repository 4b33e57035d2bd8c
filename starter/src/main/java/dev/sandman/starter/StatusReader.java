package dev.sandman.starter;

import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.Executions;
import dev.sandman.workflows.Sandman;
import dev.sandman.workflows.StatusMemo;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowStub;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Reads a sandbox's status the cheap way: describe its workflow (not billed) and take the status it
 * published in its memo; the query (billed) only for runs that publish none, the result for killed ones.
 */
final class StatusReader {
  private final WorkflowClient temporal;
  private final Clock clock;
  private final Failures failures;
  /** Told of every status read, so held touches learn deadlines and kills. */
  private final Consumer<SandboxStatus> remember;
  /** The newest touch this process holds for a sandbox, shown in what it reads. */
  private final Function<String, Instant> newestTouch;

  StatusReader(WorkflowClient temporal, Clock clock, Failures failures, Consumer<SandboxStatus> remember,
      Function<String, Instant> newestTouch) {
    this.temporal = temporal;
    this.clock = clock;
    this.failures = failures;
    this.remember = remember;
    this.newestTouch = newestTouch;
  }

  /** How long a new workflow's first look at E2B is waited for (then its status as it is, or the query's). */
  private static final Duration FIRST_STATUS_WAIT = Duration.ofSeconds(2);
  /**
   * Looks at it again after 5 ms, then twice as long each time up to 80 ms: a busy cluster answers slowly,
   * and 32 tracks looking every 10 ms were 3,000 describes a second that slowed it further.
   */
  private static final long FIRST_LOOK_MILLIS = 5;
  private static final long LAST_LOOK_MILLIS = 80;

  /** The status once the workflow has published it (its first task does), else the query's answer. */
  SandboxStatus firstStatus(String sandboxId) {
    long giveUpAt = System.nanoTime() + FIRST_STATUS_WAIT.toNanos();
    SandboxStatus latest = null;
    long pauseMillis = FIRST_LOOK_MILLIS;
    while (true) {
      Optional<SandboxStatus> published = describe(sandboxId).flatMap(this::publishedStatus);
      if (published.isPresent()) {
        latest = published.get();
        if (hasLookedAtE2b(latest)) {
          return latest;
        }
      }
      if (System.nanoTime() > giveUpAt) {
        return latest != null ? latest : queryStatus(sandboxId);
      }
      try {
        Thread.sleep(pauseMillis);
        pauseMillis = Math.min(2 * pauseMillis, LAST_LOOK_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return latest != null ? latest : queryStatus(sandboxId);
      }
    }
  }

  /** The workflow asks E2B about a sandbox it starts tracking: its answer says whether the sandbox exists. */
  private static boolean hasLookedAtE2b(SandboxStatus status) {
    return status.state() != SandboxState.RUNNING || status.counters() == null || status.counters().e2bCalls() > 0;
  }

  /**
   * The sandbox's status, read from what its workflow published (a describe call, no billed Action),
   * with touches this client holds applied. Runs that publish nothing are asked with the query.
   */
  SandboxStatus status(String sandboxId) {
    Optional<WorkflowExecutionInfo> info = describe(sandboxId);
    if (info.isEmpty()) {
      throw SandmanException.notTracked(sandboxId);
    }
    return publishedStatus(info.get()).orElseGet(() -> queryStatus(sandboxId));
  }

  /**
   * The status a running or completed (KILLED) workflow published, as of now with the touches this
   * client holds; empty for a run that published none, or a workflow that ended another way.
   */
  private Optional<SandboxStatus> publishedStatus(WorkflowExecutionInfo info) {
    WorkflowExecutionStatus ended = info.getStatus();
    if (ended != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
        && ended != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
      return Optional.empty();
    }
    return StatusMemo.read(info.getMemo()).map(status -> {
      remember.accept(status);
      return status.asOf(clock.instant()).withActivity(newestTouch.apply(status.sandboxId()));
    });
  }

  /** The workflow's own answer: the {@code status} query (a billed Action), or a killed sandbox's result. */
  SandboxStatus queryStatus(String sandboxId) {
    try {
      SandboxStatus status = temporal.newWorkflowStub(SandboxWorkflow.class, Sandman.workflowId(sandboxId)).status();
      remember.accept(status);
      return status;
    } catch (WorkflowNotFoundException notFound) {
      return closedStatus(sandboxId).orElseThrow(() -> SandmanException.notTracked(sandboxId));
    } catch (RuntimeException e) {
      Optional<SandboxStatus> closed = closedStatus(sandboxId);
      if (closed.isPresent()) {
        return closed.get();
      }
      throw failures.translate(sandboxId, e);
    }
  }

  /** The final status of a completed (KILLED) workflow, if that is what this sandbox has. */
  private Optional<SandboxStatus> closedStatus(String sandboxId) {
    Optional<WorkflowExecutionInfo> info = describe(sandboxId);
    if (info.isEmpty() || info.get().getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      return Optional.empty();
    }
    if (info.get().getStatus() != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
      throw new SandmanException(SandmanException.Kind.CONFLICT, "the workflow of sandbox " + sandboxId
          + " ended as " + SandboxLister.shortStatus(info.get().getStatus()) + "; track it again to resume orchestration");
    }
    WorkflowStub stub = temporal.newUntypedWorkflowStub(Sandman.workflowId(sandboxId));
    try {
      return Optional.of(stub.getResult(5, TimeUnit.SECONDS, SandboxStatus.class));
    } catch (Exception e) {
      throw failures.translate(sandboxId, e instanceof RuntimeException r ? r : new RuntimeException(e));
    }
  }

  /** What the workflow published, for the touch rule; not tracked is an error the toucher sees. */
  Optional<SandboxStatus> memoStatus(String sandboxId) {
    Optional<WorkflowExecutionInfo> info = describe(sandboxId);
    if (info.isEmpty()) {
      throw SandmanException.notTracked(sandboxId);
    }
    if (info.get().getStatus() != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      return Optional.empty(); // ended: the signal's own failure says how
    }
    return StatusMemo.read(info.get().getMemo());
  }

  Optional<WorkflowExecutionInfo> describe(String sandboxId) {
    try {
      return Executions.describe(temporal, Sandman.workflowId(sandboxId));
    } catch (StatusRuntimeException e) {
      throw failures.translate(sandboxId, e);
    }
  }

}
