package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A project's policy layer and how many tracked sandboxes it applies to. */
public record ProjectStatus(
    @JsonProperty("projectId") String projectId,
    @JsonProperty("policy") Policy policy,
    @JsonProperty("sandboxes") int sandboxes,
    @JsonProperty("lastPushFailures") int lastPushFailures) {

  /** The memo key under which a project's workflow publishes its status (its layer). */
  public static final String MEMO_KEY = "status";
}
