package dev.sandman.e2bsim;

import java.util.Map;

/** One answer of the simulated API: status, JSON body (null: none) and extra headers. */
record SimAnswer(int status, Object body, Map<String, String> headers) {
  static SimAnswer of(int status, Object body) {
    return new SimAnswer(status, body, Map.of());
  }

  /** E2B's error shape, {@code {code, message}}. */
  static SimAnswer error(int status, String message) {
    return of(status, errorBody(status, message));
  }

  static Map<String, Object> errorBody(int status, String message) {
    return Map.of("code", status, "message", message);
  }
}
