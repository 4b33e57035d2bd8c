package dev.sandman.starter;

import dev.sandman.workflows.FailureType;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.client.WorkflowException;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.failure.ApplicationFailure;
import java.util.Optional;
import java.util.function.Function;

/** Turns what Temporal threw into a {@link SandmanException} the caller can act on, by failure type. */
final class Failures {
  private final Function<String, Optional<WorkflowExecutionInfo>> describe;

  /** {@code describe} tells a sandbox that was killed from one never tracked. */
  Failures(Function<String, Optional<WorkflowExecutionInfo>> describe) {
    this.describe = describe;
  }

  /** Maps Temporal's exceptions to what the caller can act on. */
  SandmanException translate(String sandboxId, RuntimeException e) {
    if (e instanceof SandmanException s) {
      return s;
    }
    if (e instanceof WorkflowNotFoundException) {
      Optional<WorkflowExecutionInfo> info = sandboxId == null ? Optional.empty() : describe.apply(sandboxId);
      if (info.isPresent()) {
        return new SandmanException(SandmanException.Kind.CONFLICT,
            "sandbox " + sandboxId + " is " + (info.get().getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
                ? "killed" : "no longer orchestrated (" + SandboxLister.shortStatus(info.get().getStatus()) + ")"), null, e);
      }
      return SandmanException.notTracked(sandboxId);
    }
    if (e instanceof WorkflowUpdateException || e instanceof WorkflowException) {
      ApplicationFailure app = applicationFailure(e);
      if (app != null) {
        return new SandmanException(SandmanException.kindOf(app.getType()), app.getOriginalMessage(), fieldOf(app), e);
      }
    }
    StatusRuntimeException grpc = grpcCause(e);
    if (grpc != null) {
      Status.Code code = grpc.getStatus().getCode();
      if (code == Status.Code.NOT_FOUND && sandboxId != null) {
        return SandmanException.notTracked(sandboxId);
      }
      if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.RESOURCE_EXHAUSTED) {
        return new SandmanException(SandmanException.Kind.UNAVAILABLE, "Temporal is unavailable: " + grpc.getStatus().getDescription(), null, e);
      }
    }
    return new SandmanException(SandmanException.Kind.UNAVAILABLE, "request failed: " + e.getMessage(), null, e);
  }

  /** The input field a refusal names, carried as its details. */
  private static String fieldOf(ApplicationFailure app) {
    try {
      return app.getDetails().getSize() > 0 ? app.getDetails().get(0, String.class, String.class) : null;
    } catch (RuntimeException notAField) {
      return null;
    }
  }

  /** The failure Sandman raised: one typed by FailureType (a refused update arrives wrapped by the SDK), else the first. */
  private static ApplicationFailure applicationFailure(Throwable e) {
    ApplicationFailure first = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ApplicationFailure app) {
        if (FailureType.named(app.getType()).isPresent()) {
          return app;
        }
        first = first == null ? app : first;
      }
    }
    return first;
  }

  private static StatusRuntimeException grpcCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StatusRuntimeException s) {
        return s;
      }
    }
    return null;
  }
}
