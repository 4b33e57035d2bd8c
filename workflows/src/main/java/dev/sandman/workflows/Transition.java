package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/** One recorded change of state. */
public record Transition(
    @JsonProperty("from") SandboxState from,
    @JsonProperty("to") SandboxState to,
    @JsonProperty("at") Instant at,
    @JsonProperty("cause") Cause cause) {}
