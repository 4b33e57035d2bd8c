package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * What the app's pre-pause hook answered before a pause: {@code ok} (2xx), {@code deferred} (409, the
 * pause put off once), {@code refused} (409 again: the pause went ahead), {@code failed} (any other
 * answer, or none), {@code timeout}. None of them keeps a sandbox from pausing for longer than the
 * hook's wait and one deferral.
 */
public record PrePauseAnswer(
    @JsonProperty("at") Instant at,
    @JsonProperty("cause") Cause cause,
    @JsonProperty("outcome") String outcome,
    @JsonProperty("detail") String detail) {

  public static final String OK = "ok";
  public static final String DEFERRED = "deferred";
  public static final String REFUSED = "refused";
  public static final String FAILED = "failed";
  public static final String TIMEOUT = "timeout";

  /** The hook's own reply, before the workflow stamps when and why it asked. */
  public static PrePauseAnswer reply(String outcome, String detail) {
    return new PrePauseAnswer(null, null, outcome, detail);
  }

  boolean asksToWait() {
    return DEFERRED.equals(outcome);
  }
}
