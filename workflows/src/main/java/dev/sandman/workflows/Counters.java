package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Running totals over the sandbox's whole life (all runs). */
public record Counters(
    @JsonProperty("pauses") long pauses,
    @JsonProperty("resumes") long resumes,
    @JsonProperty("activitySignals") long activitySignals,
    @JsonProperty("staleSignals") long staleSignals,
    @JsonProperty("e2bCalls") long e2bCalls,
    @JsonProperty("runs") long runs) {}
