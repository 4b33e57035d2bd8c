package dev.sandman.activities;

import java.time.Duration;

/**
 * An E2B call that did not succeed: {@code status} is the HTTP status, or 0 when no answer came
 * (I/O error, timeout, reset). {@code retryAfter} is set from a Retry-After header.
 */
public class E2bException extends RuntimeException {
  private final int status;
  private final Duration retryAfter;

  public E2bException(int status, String message, Duration retryAfter, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.retryAfter = retryAfter;
  }

  public int status() {
    return status;
  }

  public Duration retryAfter() {
    return retryAfter;
  }

  public boolean isNotFound() {
    return status == 404;
  }

  public boolean isConflict() {
    return status == 409;
  }
}
