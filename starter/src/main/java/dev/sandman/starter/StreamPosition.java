package dev.sandman.starter;

import java.util.regex.Pattern;

/**
 * Where a sandbox's stream stands: a run of its workflow and the last history event delivered from it,
 * and whether the warning that follows that event was delivered too. Written {@code <runId>.<eventId>}
 * ({@code .w} after a warning): the SSE event id, given back as {@code Last-Event-ID}.
 */
public record StreamPosition(String runId, long eventId, boolean warned) {
  private static final Pattern FORM = Pattern.compile("([0-9A-Za-z-]{1,64})\\.([0-9]{1,18})(\\.w)?");

  public static StreamPosition parse(String text) {
    var m = text == null ? null : FORM.matcher(text.trim());
    if (m == null || !m.matches()) {
      throw SandmanException.invalid("Last-Event-ID", "Last-Event-ID must be an id this stream sent (<run>.<event>)");
    }
    return new StreamPosition(m.group(1), Long.parseLong(m.group(2)), m.group(3) != null);
  }

  StreamPosition withWarning() {
    return new StreamPosition(runId, eventId, true);
  }

  @Override
  public String toString() {
    return runId + "." + eventId + (warned ? ".w" : "");
  }
}
