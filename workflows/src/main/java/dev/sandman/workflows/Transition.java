package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/** One recorded change of state; a request's transitions carry the reason it gave. */
public record Transition(
    @JsonProperty("from") SandboxState from,
    @JsonProperty("to") SandboxState to,
    @JsonProperty("at") Instant at,
    @JsonProperty("cause") Cause cause,
    @JsonProperty("reason") String reason) {

  public Transition(SandboxState from, SandboxState to, Instant at, Cause cause) {
    this(from, to, at, cause, null);
  }
}
