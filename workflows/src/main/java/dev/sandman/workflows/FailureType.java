package dev.sandman.workflows;

/** The type of every ApplicationFailure Sandman raises; clients branch on these names. */
public enum FailureType {
  /** E2B does not know the sandbox (404): it was killed or expired. Never retried. */
  SANDBOX_GONE,
  /** E2B refused the request (400, 401, 403): retrying will not help. */
  E2B_REJECTED,
  /** E2B reported a conflicting state change in progress (409). Retried. */
  E2B_CONFLICT,
  /** E2B rate limited the call (429). Retried, honouring Retry-After. */
  E2B_RATE_LIMITED,
  /** E2B failed or could not be reached (5xx, timeouts, resets). Retried. */
  E2B_UNAVAILABLE,
  /** The request is impossible in the sandbox's current state. */
  INVALID_STATE,
  /** The request names something that does not exist (a hold). */
  NOT_FOUND,
  /** The request's arguments are invalid. */
  INVALID_ARGUMENT;

  /** The type a failure's type string names, if it is one of these. */
  public static java.util.Optional<FailureType> named(String type) {
    for (FailureType known : values()) {
      if (known.name().equals(type)) {
        return java.util.Optional.of(known);
      }
    }
    return java.util.Optional.empty();
  }
}
