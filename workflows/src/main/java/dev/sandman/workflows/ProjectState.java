package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.TreeSet;

/** A project's whole state, carried across continue-as-new: its policy layer and its live sandboxes. */
public record ProjectState(
    @JsonProperty("projectId") String projectId,
    @JsonProperty("policy") Policy policy,
    @JsonProperty("members") TreeSet<String> members) {

  public static ProjectState empty(String projectId) {
    return new ProjectState(projectId, null, new TreeSet<>());
  }
}
