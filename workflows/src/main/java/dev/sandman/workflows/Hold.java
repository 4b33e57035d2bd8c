package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/** A keep-awake hold: the sandbox is not paused for idleness before {@code expiresAt}. */
public record Hold(
    @JsonProperty("holdId") String holdId,
    @JsonProperty("reason") String reason,
    @JsonProperty("createdAt") Instant createdAt,
    @JsonProperty("expiresAt") Instant expiresAt) {}
