package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How a sandbox is put to sleep: paused after {@code idleTimeout} without activity, killed after
 * {@code pausedRetention} paused, and killed at {@code maxLifetime} after tracking started (if set).
 * A keep-awake hold lasts at most {@code maxHold}. As a layer (operator defaults, project, sandbox),
 * a null field means "inherit".
 */
public record Policy(
    @JsonProperty("idleTimeout") Duration idleTimeout,
    @JsonProperty("pausedRetention") Duration pausedRetention,
    @JsonProperty("maxLifetime") Duration maxLifetime,
    @JsonProperty("maxHold") Duration maxHold) {

  public static final Duration DEFAULT_MAX_HOLD = Duration.ofHours(2);
  public static final Duration MIN_HOLD = Duration.ofSeconds(1);
  public static final Duration MAX_HOLD = Duration.ofDays(7);

  public Policy(Duration idleTimeout, Duration pausedRetention, Duration maxLifetime) {
    this(idleTimeout, pausedRetention, maxLifetime, null);
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
        maxHold != null ? maxHold : base.maxHold);
  }

  /** The hold cap, defaulted. */
  public Duration holdCap() {
    return maxHold != null ? maxHold : DEFAULT_MAX_HOLD;
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
        && layer.maxHold() == null) ? null : layer;
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
        patch.maxHold() != null ? patch.maxHold() : maxHold);
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
