package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/** Hold the sandbox awake for {@code ttl} (capped by the policy's maxHold). */
public record HoldRequest(@JsonProperty("reason") String reason, @JsonProperty("ttl") Duration ttl) {}
