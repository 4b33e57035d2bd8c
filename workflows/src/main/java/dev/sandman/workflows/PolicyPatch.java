package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/** A change to a policy: only the fields that are set change. */
public record PolicyPatch(
    @JsonProperty("idleTimeout") Duration idleTimeout,
    @JsonProperty("pausedRetention") Duration pausedRetention,
    @JsonProperty("maxLifetime") Duration maxLifetime,
    @JsonProperty("clearMaxLifetime") Boolean clearMaxLifetime,
    @JsonProperty("maxHold") Duration maxHold,
    @JsonProperty("busyCpuPercent") Integer busyCpuPercent,
    @JsonProperty("maxBusy") Duration maxBusy) {

  public PolicyPatch(Duration idleTimeout, Duration pausedRetention, Duration maxLifetime, Boolean clearMaxLifetime) {
    this(idleTimeout, pausedRetention, maxLifetime, clearMaxLifetime, null);
  }

  public PolicyPatch(Duration idleTimeout, Duration pausedRetention, Duration maxLifetime, Boolean clearMaxLifetime,
      Duration maxHold) {
    this(idleTimeout, pausedRetention, maxLifetime, clearMaxLifetime, maxHold, null, null);
  }

  public static PolicyPatch idleTimeout(Duration idleTimeout) {
    return new PolicyPatch(idleTimeout, null, null, null, null);
  }

  /** Changes nothing. */
  @JsonIgnore
  public boolean isEmpty() {
    return idleTimeout == null && pausedRetention == null && maxLifetime == null && maxHold == null
        && busyCpuPercent == null && maxBusy == null && !Boolean.TRUE.equals(clearMaxLifetime);
  }
}
