package dev.sandman.starter;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sandman.workflows.Policy;
import java.util.Map;

/**
 * Track a sandbox (or, with {@code sandboxId} null and a {@code template}, create one through E2B
 * first). Unset policy fields take the defaults.
 */
public record TrackRequest(
    @JsonProperty("sandboxId") String sandboxId,
    @JsonProperty("projectId") String projectId,
    @JsonProperty("userId") String userId,
    @JsonProperty("template") String template,
    @JsonProperty("metadata") Map<String, String> metadata,
    @JsonProperty("policy") Policy policy) {

  public static TrackRequest of(String sandboxId, String projectId, String userId) {
    return new TrackRequest(sandboxId, projectId, userId, null, null, null);
  }

  public TrackRequest withPolicy(Policy policy) {
    return new TrackRequest(sandboxId, projectId, userId, template, metadata, policy);
  }

  public TrackRequest withTemplate(String template) {
    return new TrackRequest(sandboxId, projectId, userId, template, metadata, policy);
  }
}
