package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** A project's policy layer and how many tracked sandboxes it applies to (absent for an app token). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProjectStatus(
    @JsonProperty("projectId") String projectId,
    @JsonProperty("policy") Policy policy,
    @JsonProperty("sandboxes") Integer sandboxes,
    @JsonProperty("lastPushFailures") Integer lastPushFailures) {

  /** The memo key under which a project's workflow publishes its status (its layer). */
  public static final String MEMO_KEY = "status";
}
