package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/** E2B's create call: template, E2B's own timeout (autoPause on), and metadata that names the create. */
public record CreateRequest(
    @JsonProperty("template") String template,
    @JsonProperty("timeoutSeconds") long timeoutSeconds,
    @JsonProperty("metadata") Map<String, String> metadata) {}
