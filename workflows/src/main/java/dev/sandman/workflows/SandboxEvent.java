package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * A webhook event: every transition ({@code sandbox.transition}) and warning
 * ({@code sandbox.pause_warning}, {@code sandbox.kill_warning}). Delivered at least once; receivers
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
}
