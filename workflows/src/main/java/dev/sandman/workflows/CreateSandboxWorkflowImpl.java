package dev.sandman.workflows;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;

/** Create in E2B, then track; the kill that undoes the create runs here, not in the caller's process. */
public class CreateSandboxWorkflowImpl implements CreateSandboxWorkflow {
  /** A new sandbox's E2B timeout: its idle timeout plus the backstop's slack and first extension. */
  static final Duration TIMEOUT_SLACK = Backstop.GRACE.plus(Backstop.FIXED.extension());

  private final Logger log = Workflow.getLogger(CreateSandboxWorkflowImpl.class);
  /** The create looks for a sandbox this create already made before making one, so a retry is safe. */
  private final SandboxActivities e2b = Workflow.newActivityStub(SandboxActivities.class, ActivityOptions.newBuilder()
      .setStartToCloseTimeout(Duration.ofMinutes(2))
      .setScheduleToCloseTimeout(Duration.ofMinutes(5))
      .setRetryOptions(RetryOptions.newBuilder()
          .setInitialInterval(Duration.ofSeconds(1))
          .setMaximumInterval(Duration.ofSeconds(30))
          .setDoNotRetry(FailureType.SANDBOX_GONE.name(), FailureType.E2B_REJECTED.name(), FailureType.INVALID_ARGUMENT.name())
          .build())
      .build());

  /** Starts the sandbox's workflow from the worker: retried until Temporal answers, refused only for a taken id. */
  private final OperatorActivities tracking = Workflow.newActivityStub(OperatorActivities.class, ActivityOptions.newBuilder()
      .setStartToCloseTimeout(Duration.ofSeconds(30))
      .setScheduleToCloseTimeout(Duration.ofMinutes(5))
      .setRetryOptions(RetryOptions.newBuilder().setDoNotRetry(FailureType.INVALID_STATE.name()).build())
      .build());

  @Override
  public String create(CreateSpec request) {
    Map<String, String> metadata = new LinkedHashMap<>(request.metadata() == null ? Map.of() : request.metadata());
    metadata.put(CreateSpec.META_PROJECT, request.projectId());
    metadata.put(CreateSpec.META_USER, request.userId());
    metadata.put(CreateSpec.META_CREATE, Workflow.getInfo().getWorkflowId());
    long timeout = Policy.stack(request.policy()).idleTimeout().plus(TIMEOUT_SLACK).toSeconds();
    String sandboxId;
    try {
      sandboxId = e2b.create(new CreateRequest(request.template(), timeout, metadata)).sandboxId();
    } catch (ActivityFailure failure) {
      if (failure.getCause() instanceof ApplicationFailure app) {
        String field = FailureType.INVALID_ARGUMENT.name().equals(app.getType()) ? "template" : null;
        throw ApplicationFailure.newNonRetryableFailure(app.getOriginalMessage(), app.getType(), field);
      }
      throw ApplicationFailure.newNonRetryableFailure("E2B create failed: " + failure.getMessage(), FailureType.E2B_UNAVAILABLE.name());
    }
    SandboxSpec spec = new SandboxSpec(sandboxId, request.projectId(), request.userId(), request.template(),
        request.metadata(), request.policy(), request.maxEventsPerRun(), null);
    try {
      tracking.track(spec);
    } catch (ActivityFailure refused) {
      String why = refused.getCause() instanceof ApplicationFailure app ? app.getOriginalMessage() : refused.getMessage();
      log.warn("sandbox {} was created but could not be tracked ({}); killing it again", sandboxId, why);
      e2b.kill(sandboxId);
      throw ApplicationFailure.newNonRetryableFailure("sandbox " + sandboxId + " was created but could not be tracked ("
          + why + "); it was killed again", FailureType.INVALID_STATE.name());
    }
    log.info("sandbox {} created and tracked (project {}, user {})", sandboxId, request.projectId(), request.userId());
    return sandboxId;
  }
}
