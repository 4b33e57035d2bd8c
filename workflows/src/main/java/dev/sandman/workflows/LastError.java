package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/** The most recent failed E2B operation, kept in the status until it is replaced. */
public record LastError(
    @JsonProperty("at") Instant at,
    @JsonProperty("operation") String operation,
    @JsonProperty("type") String type,
    @JsonProperty("message") String message) {}
