package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * E2B told of a change to the sandbox: its event's id (a notice that comes twice is taken once), what
 * changed ({@code created}, {@code updated}, {@code paused}, {@code resumed}, {@code killed}) and when.
 * The workflow does not take the notice's word: it asks E2B what it has and reconciles.
 */
public record E2bNotice(@JsonProperty("eventId") String eventId, @JsonProperty("type") String type,
    @JsonProperty("at") Instant at) {}
