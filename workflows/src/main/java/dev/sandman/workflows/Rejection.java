package dev.sandman.workflows;

import io.temporal.failure.ApplicationFailure;

/** A request refused before anything changed: its {@link FailureType}, the input field at fault (or null), why. */
public final class Rejection extends RuntimeException {
  private final FailureType type;
  private final String field;

  public Rejection(FailureType type, String field, String message) {
    super(message, null, false, false);
    this.type = type;
    this.field = field;
  }

  public static Rejection invalid(String field, String message) {
    return new Rejection(FailureType.INVALID_ARGUMENT, field, message);
  }

  /**
   * As an update validator throws it. The SDK keeps a thrown exception's class and its causes but
   * not the type of an ApplicationFailure thrown itself, so the typed failure (with the field as its
   * details) rides as the cause; the class is what workers before typed refusals threw.
   */
  public RuntimeException asValidatorFailure() {
    ApplicationFailure typed = ApplicationFailure.newNonRetryableFailure(getMessage(), type.name(), field);
    return type == FailureType.INVALID_STATE
        ? new IllegalStateException(getMessage(), typed)
        : new IllegalArgumentException(getMessage(), typed);
  }

  /** Runs an update validator's checks, refusing as {@link #asValidatorFailure()} says. */
  public static void admit(Runnable check) {
    try {
      check.run();
    } catch (Rejection r) {
      throw r.asValidatorFailure();
    }
  }

  public FailureType type() {
    return type;
  }

  public String field() {
    return field;
  }
}
