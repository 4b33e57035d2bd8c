package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * The app saw its user do something at {@code at} (the app's clock; null means "now"). Timestamps in
 * the future are clamped to the workflow's now; old ones never move a deadline backwards.
 */
public record ActivitySignal(@JsonProperty("at") Instant at) {
  public static ActivitySignal now() {
    return new ActivitySignal(null);
  }
}
