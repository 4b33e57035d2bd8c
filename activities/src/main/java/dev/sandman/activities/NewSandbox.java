package dev.sandman.activities;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/** The body of E2B's POST /sandboxes. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NewSandbox(
    @JsonProperty("templateID") String templateId,
    @JsonProperty("timeout") Integer timeoutSeconds,
    @JsonProperty("autoPause") Boolean autoPause,
    @JsonProperty("metadata") Map<String, String> metadata,
    @JsonProperty("envVars") Map<String, String> envVars) {}
