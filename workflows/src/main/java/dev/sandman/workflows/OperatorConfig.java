package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * What the operator configured on the worker, read by the workflow once per run through a local
 * activity (so it is recorded in history): policy defaults, the limits every policy is bounded by,
 * the warning leads, whether events are delivered, and the running price for cost estimates.
 */
public record OperatorConfig(
    @JsonProperty("defaults") Policy defaults,
    @JsonProperty("minIdleTimeout") Duration minIdleTimeout,
    @JsonProperty("maxIdleTimeout") Duration maxIdleTimeout,
    @JsonProperty("maxPausedRetention") Duration maxPausedRetention,
    @JsonProperty("maxHold") Duration maxHold,
    @JsonProperty("pauseWarningLead") Duration pauseWarningLead,
    @JsonProperty("killWarningLead") Duration killWarningLead,
    @JsonProperty("events") boolean events,
    @JsonProperty("pricePerHour") double pricePerHour,
    @JsonProperty("prePause") PrePause prePause) {

  /**
   * The operator's pre-pause hook, without its URL or secret (they stay on the worker): how long a
   * pause waits for the app's answer, and how long a 409 puts an idle pause off (once).
   */
  public record PrePause(@JsonProperty("wait") Duration waitFor, @JsonProperty("deferFor") Duration deferFor) {}

  public OperatorConfig(Policy defaults, Duration minIdleTimeout, Duration maxIdleTimeout, Duration maxPausedRetention,
      Duration maxHold, Duration pauseWarningLead, Duration killWarningLead, boolean events, double pricePerHour) {
    this(defaults, minIdleTimeout, maxIdleTimeout, maxPausedRetention, maxHold, pauseWarningLead, killWarningLead, events,
        pricePerHour, null);
  }

  public OperatorConfig withPrePause(PrePause hook) {
    return new OperatorConfig(defaults, minIdleTimeout, maxIdleTimeout, maxPausedRetention, maxHold, pauseWarningLead,
        killWarningLead, events, pricePerHour, hook);
  }

  /** E2B's default sandbox (2 vCPU, 0.5 GiB): about $0.109 per running hour. */
  public static final double E2B_DEFAULT_PRICE_PER_HOUR = 0.109;

  public static OperatorConfig standard() {
    return new OperatorConfig(Policy.defaults(), Policy.MIN_IDLE_TIMEOUT, Policy.MAX_IDLE_TIMEOUT,
        Policy.MAX_RETENTION, Duration.ofDays(1), Duration.ofMinutes(2), Duration.ofDays(1), false,
        E2B_DEFAULT_PRICE_PER_HOUR);
  }

  /** The effective policy: sandbox over project over the operator's defaults, within the limits. */
  public Policy resolve(Policy project, Policy sandbox) {
    Policy merged = Policy.stack(sandbox, project, defaults);
    return new Policy(
        clamp(merged.idleTimeout(), minIdleTimeout, maxIdleTimeout),
        clamp(merged.pausedRetention(), null, maxPausedRetention),
        merged.maxLifetime(),
        clamp(merged.holdCap(), null, maxHold),
        merged.busyCpuPercent(),
        merged.maxBusy());
  }

  private static Duration clamp(Duration value, Duration min, Duration max) {
    if (value == null) {
      return null;
    }
    if (min != null && value.compareTo(min) < 0) {
      return min;
    }
    if (max != null && value.compareTo(max) > 0) {
      return max;
    }
    return value;
  }
}
