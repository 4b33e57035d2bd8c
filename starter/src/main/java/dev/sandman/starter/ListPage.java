package dev.sandman.starter;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A page of sandboxes. {@code source} is {@code visibility} when the server answered a visibility
 * query, {@code scan} when it cannot (Temporal's Java test server) and the client listed every
 * workflow and filtered them itself: correct, but slower.
 */
public record ListPage(
    @JsonProperty("items") List<SandboxSummary> items,
    @JsonProperty("nextPageToken") String nextPageToken,
    @JsonProperty("source") String source) {}
