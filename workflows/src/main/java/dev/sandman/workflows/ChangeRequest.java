package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The argument of the pause, resume and kill updates; {@code reason} is free text for the audit trail. */
public record ChangeRequest(@JsonProperty("reason") String reason) {
  public static ChangeRequest none() {
    return new ChangeRequest(null);
  }
}
