package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How a sandbox is put to sleep: paused after {@code idleTimeout} without activity, killed after
 * {@code pausedRetention} paused, and killed at {@code maxLifetime} after tracking started (if set).
 * A keep-awake hold lasts at most {@code maxHold}. With {@code busyCpuPercent} (1-100; 0 is off), a
 * sandbox whose CPU stayed at or above it in E2B's metrics is not idle: its pause is put off, for at
 * most {@code maxBusy} in a row. As a layer (operator defaults, project, sandbox), a null field means
 * "inherit".
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Policy(
    @JsonProperty("idleTimeout") Duration idleTimeout,
    @JsonProperty("pausedRetention") Duration pausedRetention,
    @JsonProperty("maxLifetime") Duration maxLifetime,
    @JsonProperty("maxHold") Duration maxHold,
    @JsonProperty("busyCpuPercent") Integer busyCpuPercent,
    @JsonProperty("maxBusy") Duration maxBusy) {

  public static final Duration DEFAULT_MAX_HOLD = Duration.ofHours(2);
  public static final Duration MIN_HOLD = Duration.ofSeconds(1);
  public static final Duration MAX_HOLD = Duration.ofDays(7);

  public static final Duration DEFAULT_MAX_BUSY = Duration.ofHours(2);
  public static final Duration MIN_BUSY = Duration.ofMinutes(1);
  public static final Duration MAX_BUSY = Duration.ofDays(7);

  public Policy(Duration idleTimeout, Duration pausedRetention, Duration maxLifetime) {
    this(idleTimeout, pausedRetention, maxLifetime, null);
  }

  public Policy(Duration idleTimeout, Duration pausedRetention, Duration maxLifetime, Duration maxHold) {
    this(idleTimeout, pausedRetention, maxLifetime, maxHold, null, null);
  }

  /** This layer over {@code base}: every field this one sets wins. */
  public Policy over(Policy base) {
    if (base == null) {
      return this;
    }
    return new Policy(
        idleTimeout != null ? idleTimeout : base.idleTimeout,
        pausedRetention != null ? pausedRetention : base.pausedRetention,
        maxLifetime != null ? maxLifetime : base.maxLifetime,
        maxHold != null ? maxHold : base.maxHold,
        busyCpuPercent != null ? busyCpuPercent : base.busyCpuPercent,
        maxBusy != null ? maxBusy : base.maxBusy);
  }

  /** The hold cap, defaulted. */
  public Duration holdCap() {
    return maxHold != null ? maxHold : DEFAULT_MAX_HOLD;
  }

  /** Whether the idle decision asks E2B's metrics first. */
  public boolean watchesCpu() {
    return busyCpuPercent != null && busyCpuPercent > 0;
  }

  /** How long in a row a busy sandbox's pause may be put off, defaulted. */
  public Duration busyCap() {
    return maxBusy != null ? maxBusy : DEFAULT_MAX_BUSY;
  }

  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(10);
  public static final Duration DEFAULT_PAUSED_RETENTION = Duration.ofDays(30);
  public static final Duration MIN_IDLE_TIMEOUT = Duration.ofSeconds(1);
  public static final Duration MAX_IDLE_TIMEOUT = Duration.ofDays(7);
  public static final Duration MIN_RETENTION = Duration.ofSeconds(10);
  public static final Duration MAX_RETENTION = Duration.ofDays(3650);
  public static final Duration MIN_LIFETIME = Duration.ofSeconds(10);
  public static final Duration MAX_LIFETIME = Duration.ofDays(3650);

  /** A layer that sets nothing is no layer. */
  public static Policy orNull(Policy layer) {
    return layer == null || (layer.idleTimeout() == null && layer.pausedRetention() == null && layer.maxLifetime() == null
        && layer.maxHold() == null && layer.busyCpuPercent() == null && layer.maxBusy() == null) ? null : layer;
  }

  public static Policy defaults() {
    return new Policy(DEFAULT_IDLE_TIMEOUT, DEFAULT_PAUSED_RETENTION, null, null);
  }

  /** This policy with every field the patch sets replaced. */
  public Policy merge(PolicyPatch patch) {
    if (patch == null) {
      return this;
    }
    return new Policy(
        patch.idleTimeout() != null ? patch.idleTimeout() : idleTimeout,
        patch.pausedRetention() != null ? patch.pausedRetention() : pausedRetention,
        Boolean.TRUE.equals(patch.clearMaxLifetime())
            ? null
            : patch.maxLifetime() != null ? patch.maxLifetime() : maxLifetime,
        patch.maxHold() != null ? patch.maxHold() : maxHold,
        patch.busyCpuPercent() != null ? patch.busyCpuPercent() : busyCpuPercent,
        patch.maxBusy() != null ? patch.maxBusy() : maxBusy);
  }

  /** Problems with this policy as a layer: set fields must be in bounds, unset ones are fine. */
  public List<FieldError> validateLayer() {
    return stack(this).validate();
  }

  /**
   * The policy the layers make, the first layer that sets a field winning, with the built-in defaults
   * under them all: the one place defaults are filled in. Null layers are skipped.
   */
  public static Policy stack(Policy... layers) {
    Policy merged = defaults();
    for (int i = layers.length - 1; i >= 0; i--) {
      if (layers[i] != null) {
        merged = layers[i].over(merged);
      }
    }
    return merged;
  }


  /** Problems with this policy, one message per field; empty when valid. */
  public List<FieldError> validate() {
    List<FieldError> errors = new ArrayList<>();
    check(errors, "idleTimeout", idleTimeout, MIN_IDLE_TIMEOUT, MAX_IDLE_TIMEOUT, true);
    check(errors, "pausedRetention", pausedRetention, MIN_RETENTION, MAX_RETENTION, true);
    check(errors, "maxLifetime", maxLifetime, MIN_LIFETIME, MAX_LIFETIME, false);
    check(errors, "maxHold", maxHold, MIN_HOLD, MAX_HOLD, false);
    check(errors, "maxBusy", maxBusy, MIN_BUSY, MAX_BUSY, false);
    if (busyCpuPercent != null && (busyCpuPercent < 0 || busyCpuPercent > 100)) {
      errors.add(new FieldError("busyCpuPercent", "busyCpuPercent must be between 0 (off) and 100, got " + busyCpuPercent));
    }
    return errors;
  }

  private static void check(
      List<FieldError> errors, String field, Duration value, Duration min, Duration max, boolean required) {
    if (value == null) {
      if (required) {
        errors.add(new FieldError(field, field + " is required"));
      }
    } else if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      errors.add(new FieldError(field, field + " must be between " + min + " and " + max + ", got " + value));
    }
  }

  /** A validation problem tied to one input field. */
  public record FieldError(String field, String message) {}
}
