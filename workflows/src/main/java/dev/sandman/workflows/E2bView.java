package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * What E2B said about a sandbox in answer to any call: its state ({@code running}, {@code paused} or
 * {@code killed}) and, when running, the time E2B's own timeout will act. The workflow reconciles its
 * state from every such answer.
 */
public record E2bView(
    @JsonProperty("sandboxId") String sandboxId,
    @JsonProperty("state") String state,
    @JsonProperty("endAt") Instant endAt) {

  public static final String RUNNING = "running";
  public static final String PAUSED = "paused";
  public static final String KILLED = "killed";

  public boolean isRunning() {
    return RUNNING.equals(state);
  }

  public boolean isPaused() {
    return PAUSED.equals(state);
  }
}
