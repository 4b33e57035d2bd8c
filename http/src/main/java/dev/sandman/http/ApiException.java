package dev.sandman.http;

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

  static ApiException forbidden(String message, String field) {
    return new ApiException(403, "forbidden", message, field);
  }

  static ApiException notFound() {
    return new ApiException(404, "not_found", "no such endpoint", null);
  }

  static ApiException notAllowed(String allowed) {
    return new ApiException(405, "method_not_allowed", "allowed: " + allowed, null);
  }
}
