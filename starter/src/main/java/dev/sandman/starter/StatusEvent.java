package dev.sandman.starter;

import dev.sandman.workflows.SandboxStatus;

/**
 * One change to a sandbox as a subscriber sees it: its status as the workflow published it
 * ({@code status}), or a warning that it pauses or is killed soon ({@code warning}, when
 * {@code pauseWarningAt} or {@code killWarningAt} arrives). {@code id} is where the stream stands:
 * give it back to resume after this event.
 */
public record StatusEvent(String id, String type, SandboxStatus status) {
  public static final String STATUS = "status";
  public static final String WARNING = "warning";
}
