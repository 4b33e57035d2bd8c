package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * A webhook event: every transition ({@code sandbox.transition}), warning
 * ({@code sandbox.pause_warning}, {@code sandbox.kill_warning}) and deferred pause ({@code sandbox.pause_deferred}). Delivered at least once; receivers
 * dedupe by {@code id}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SandboxEvent(
    @JsonProperty("id") String id,
    @JsonProperty("type") String type,
    @JsonProperty("sandboxId") String sandboxId,
    @JsonProperty("projectId") String projectId,
    @JsonProperty("userId") String userId,
    @JsonProperty("state") SandboxState state,
    @JsonProperty("at") Instant at,
    @JsonProperty("from") SandboxState from,
    @JsonProperty("cause") Cause cause,
    @JsonProperty("deadline") Instant deadline) {

  public static final String TRANSITION = "sandbox.transition";
  public static final String PAUSE_WARNING = "sandbox.pause_warning";
  public static final String KILL_WARNING = "sandbox.kill_warning";
  /** A pause was put off: the sandbox was busy, or the pre-pause hook asked for time; {@code deadline} is the new one. */
  public static final String PAUSE_DEFERRED = "sandbox.pause_deferred";
  /** Sent to the pre-pause hook alone, before a pause; {@code deadline} is when the pause goes ahead without an answer. */
  public static final String PAUSING = "sandbox.pausing";
}
