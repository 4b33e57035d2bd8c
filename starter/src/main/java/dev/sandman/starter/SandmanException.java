package dev.sandman.starter;

import dev.sandman.workflows.FailureType;
import dev.sandman.workflows.Rejection;

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

  /** A rule refused the input before anything was sent. */
  public static SandmanException of(Rejection rejection) {
    return new SandmanException(kindOf(rejection.type().name()), rejection.getMessage(), rejection.field(), rejection);
  }

  /**
   * The kind of a failure the workflow raised, by its type: a {@link FailureType}, or the exception
   * class of a validator of a worker older than typed refusals.
   */
  public static Kind kindOf(String failureType) {
    if (failureType == null) {
      return Kind.CONFLICT;
    }
    if (failureType.startsWith("E2B_")) {
      return Kind.E2B_FAILED;
    }
    return switch (failureType) {
      case "INVALID_ARGUMENT", "java.lang.IllegalArgumentException" -> Kind.INVALID_ARGUMENT;
      case "NOT_FOUND" -> Kind.NOT_FOUND;
      default -> Kind.CONFLICT; // INVALID_STATE, SANDBOX_GONE, and anything else the state refused
    };
  }

  public static SandmanException notTracked(String sandboxId) {
    return new SandmanException(Kind.NOT_FOUND, "sandbox " + sandboxId + " is not tracked");
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
