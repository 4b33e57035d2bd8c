package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * A sandbox to create in E2B and track: the template, whose it is, its metadata and policy layer.
 * {@code maxEventsPerRun} is passed to the sandbox's workflow as a track would.
 */
public record CreateSpec(
    @JsonProperty("template") String template,
    @JsonProperty("projectId") String projectId,
    @JsonProperty("userId") String userId,
    @JsonProperty("metadata") Map<String, String> metadata,
    @JsonProperty("policy") Policy policy,
    @JsonProperty("maxEventsPerRun") Integer maxEventsPerRun) {

  /** Metadata every created sandbox carries: whose it is, and the create that made it (for a retry to find it). */
  public static final String META_PROJECT = "sandmanProjectId";
  public static final String META_USER = "sandmanUserId";
  public static final String META_CREATE = "sandmanCreateId";
}
