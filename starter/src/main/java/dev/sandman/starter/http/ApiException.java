package dev.sandman.starter.http;

/** An answer other than success, raised anywhere while handling a request. */
final class ApiException extends RuntimeException {
  final int status;
  final String error;
  final String field;

  ApiException(int status, String error, String message, String field) {
    super(message, null, false, false);
    this.status = status;
    this.error = error;
    this.field = field;
  }

  static ApiException badRequest(String error, String message, String field) {
    return new ApiException(400, error, message, field);
  }
}
