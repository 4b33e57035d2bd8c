package dev.sandman.e2bsim;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A fault injected into one operation ("pause", "connect", ... or "*" for all): answer with
 * {@code status} (and {@code Retry-After} seconds if set), or reset the connection, after waiting
 * {@code latencyMs}. Applies to the next {@code times} calls (-1: every call), each with probability
 * {@code rate} (1.0: always). A fault with status 0 and no reset only adds latency.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record Fault(
    @JsonProperty("operation") String operation,
    @JsonProperty("status") int status,
    @JsonProperty("times") int times,
    @JsonProperty("rate") double rate,
    @JsonProperty("latencyMs") long latencyMs,
    @JsonProperty("retryAfterSeconds") Integer retryAfterSeconds,
    @JsonProperty("reset") boolean reset) {

  public static Fault status(String operation, int status, int times) {
    return new Fault(operation, status, times, 1.0, 0, null, false);
  }

  public static Fault rateLimited(String operation, int times, Integer retryAfterSeconds) {
    return new Fault(operation, 429, times, 1.0, 0, retryAfterSeconds, false);
  }

  public static Fault latency(String operation, long latencyMs, int times) {
    return new Fault(operation, 0, times, 1.0, latencyMs, null, false);
  }

  public static Fault reset(String operation, int times) {
    return new Fault(operation, 0, times, 1.0, 0, null, true);
  }

  public boolean matches(String op) {
    return "*".equals(operation) || operation.equals(op);
  }
}
