package dev.sandman.activities;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Map;

/** The fields of E2B's Sandbox / SandboxDetail / ListedSandbox that Sandman reads. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record E2bSandbox(
    @JsonProperty("sandboxID") String sandboxId,
    @JsonProperty("templateID") String templateId,
    @JsonProperty("alias") String alias,
    @JsonProperty("state") String state,
    @JsonProperty("startedAt") Instant startedAt,
    @JsonProperty("endAt") Instant endAt,
    @JsonProperty("cpuCount") Integer cpuCount,
    @JsonProperty("memoryMB") Integer memoryMb,
    @JsonProperty("metadata") Map<String, String> metadata,
    @JsonProperty("domain") String domain,
    @JsonProperty("lifecycle") Lifecycle lifecycle) {

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Lifecycle(
      @JsonProperty("autoResume") Boolean autoResume, @JsonProperty("onTimeout") String onTimeout) {}
}
