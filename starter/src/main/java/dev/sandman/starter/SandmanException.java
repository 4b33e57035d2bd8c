package dev.sandman.starter;

/** A request the client could not carry out; {@link Kind} says why, {@code field} which input. */
public class SandmanException extends RuntimeException {
  public enum Kind {
    /** Bad input: nothing was changed. */
    INVALID_ARGUMENT,
    /** No workflow tracks this sandbox. */
    NOT_FOUND,
    /** Impossible in the sandbox's current state (e.g. it is killed). */
    CONFLICT,
    /** E2B refused or failed the operation (after retries). */
    E2B_FAILED,
    /** Temporal could not be reached or did not answer in time. */
    UNAVAILABLE
  }

  private final Kind kind;
  private final String field;

  public SandmanException(Kind kind, String message) {
    this(kind, message, null, null);
  }

  public SandmanException(Kind kind, String message, String field, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.field = field;
  }

  public static SandmanException invalid(String field, String message) {
    return new SandmanException(Kind.INVALID_ARGUMENT, message, field, null);
  }

  public Kind kind() {
    return kind;
  }

  public String field() {
    return field;
  }
}
