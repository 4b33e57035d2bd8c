package dev.sandman.workflows;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The one place each input rule is written, used alike by the HTTP API, the client and the
 * workflow's validators. Each refusal is a {@link Rejection} naming its field.
 */
public final class Limits {
  private Limits() {}

  public static final int REASON_MAX = 500;

  public static String reason(String reason) {
    if (reason != null && (reason.length() > REASON_MAX || reason.chars().anyMatch(Character::isISOControl))) {
      throw Rejection.invalid("reason", "reason must be at most " + REASON_MAX + " printable characters");
    }
    return reason;
  }

  public static Duration holdTtl(Duration ttl) {
    if (ttl == null) {
      throw Rejection.invalid("ttl", "ttl is required, e.g. PT30M");
    }
    if (ttl.compareTo(Policy.MIN_HOLD) < 0 || ttl.compareTo(Policy.MAX_HOLD) > 0) {
      throw Rejection.invalid("ttl", "ttl must be a duration between " + Policy.MIN_HOLD + " and " + Policy.MAX_HOLD);
    }
    return ttl;
  }

  /** The earliest and latest activity time accepted: enough for any clock, far inside what arithmetic on it can hold. */
  public static final Instant EARLIEST_ACTIVITY = Instant.parse("2000-01-01T00:00:00Z");
  public static final Instant LATEST_ACTIVITY = Instant.parse("2999-12-31T23:59:59Z");

  /** When the app saw activity (null: now). Times in the future are taken as now by the workflow. */
  public static Instant activityAt(Instant at) {
    if (at != null && (at.isBefore(EARLIEST_ACTIVITY) || at.isAfter(LATEST_ACTIVITY))) {
      throw Rejection.invalid("at", "at must be a time between " + EARLIEST_ACTIVITY + " and " + LATEST_ACTIVITY);
    }
    return at;
  }

  /** A whole policy (defaults filled in): every field in bounds. */
  public static Policy policy(Policy policy) {
    throwFirst(policy.validate());
    return policy;
  }

  /** A layer (project or sandbox): the fields it sets in bounds; null means no layer. */
  public static Policy layer(Policy layer) {
    if (layer != null) {
      throwFirst(layer.validateLayer());
    }
    return layer;
  }

  /** A change to {@code current}: at least one field, the result in bounds, within the operator's limits. */
  public static void policyChange(Policy current, PolicyPatch patch, OperatorConfig operator) {
    if (patch == null || patch.isEmpty()) {
      throw Rejection.invalid("policy", "a policy change needs at least one field");
    }
    throwFirst(current.merge(patch).validate());
    if (operator == null) {
      return;
    }
    if (patch.idleTimeout() != null && outside(patch.idleTimeout(), operator.minIdleTimeout(), operator.maxIdleTimeout())) {
      throw Rejection.invalid("policy.idleTimeout", "idleTimeout must be between " + operator.minIdleTimeout()
          + " and " + operator.maxIdleTimeout() + " (operator limits), got " + patch.idleTimeout());
    }
    if (patch.pausedRetention() != null && outside(patch.pausedRetention(), null, operator.maxPausedRetention())) {
      throw Rejection.invalid("policy.pausedRetention", "pausedRetention must be at most "
          + operator.maxPausedRetention() + " (operator limit), got " + patch.pausedRetention());
    }
    if (patch.maxHold() != null && outside(patch.maxHold(), null, operator.maxHold())) {
      throw Rejection.invalid("policy.maxHold", "maxHold must be at most " + operator.maxHold()
          + " (operator limit), got " + patch.maxHold());
    }
  }

  private static boolean outside(Duration value, Duration min, Duration max) {
    return (min != null && value.compareTo(min) < 0) || (max != null && value.compareTo(max) > 0);
  }

  private static void throwFirst(List<Policy.FieldError> errors) {
    if (!errors.isEmpty()) {
      throw Rejection.invalid("policy." + errors.get(0).field(), errors.get(0).message());
    }
  }
}
