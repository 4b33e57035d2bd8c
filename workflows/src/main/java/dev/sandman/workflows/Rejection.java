package dev.sandman.workflows;

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

  public FailureType type() {
    return type;
  }

  public String field() {
    return field;
  }
}
