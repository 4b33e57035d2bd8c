package dev.sandman.starter;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a feed of many sandboxes stands: a base time (every change before it was delivered) and, for
 * each sandbox that changed since, the position of the last event delivered from it. Kept small: past
 * {@link #MAX_ENTRIES} sandboxes the base moves up to a minute ago and the entries it covers go.
 * Written as one opaque token (the SSE id, given back as {@code Last-Event-ID}).
 */
final class FeedCursor {
  static final int MAX_ENTRIES = 64;
  /** Longer than any event takes to reach a replica: changes older than this have been delivered. */
  static final long SETTLED_MILLIS = 60_000;
  private static final String PREFIX = "f1 ";

  private Instant base;
  /** Sandbox -> last position delivered, in the order they were last recorded (oldest first). */
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

  private record Entry(StreamPosition position, long recordedAt) {}

  FeedCursor(Instant base) {
    this.base = base;
  }

  Instant base() {
    return base;
  }

  StreamPosition positionOf(String sandboxId) {
    Entry entry = entries.get(sandboxId);
    return entry == null ? null : entry.position();
  }

  void record(String sandboxId, StreamPosition position, long nowMillis) {
    entries.remove(sandboxId);
    entries.put(sandboxId, new Entry(position, nowMillis));
    if (entries.size() <= MAX_ENTRIES) {
      return;
    }
    long settled = nowMillis - SETTLED_MILLIS;
    Iterator<Map.Entry<String, Entry>> oldest = entries.entrySet().iterator();
    while (oldest.hasNext()) {
      Map.Entry<String, Entry> next = oldest.next();
      long at = next.getValue().recordedAt();
      if (at > settled && entries.size() <= MAX_ENTRIES) {
        break;
      }
      if (Instant.ofEpochMilli(at).isAfter(base)) {
        base = Instant.ofEpochMilli(at);
      }
      oldest.remove();
    }
  }

  String encode() {
    StringBuilder text = new StringBuilder(PREFIX).append(base.toEpochMilli());
    entries.forEach((id, entry) -> text.append(' ').append(id).append(' ').append(entry.position()));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(text.toString().getBytes(StandardCharsets.UTF_8));
  }

  static FeedCursor parse(String token) {
    try {
      String text = new String(Base64.getUrlDecoder().decode(token.trim()), StandardCharsets.UTF_8);
      if (!text.startsWith(PREFIX)) {
        throw new IllegalArgumentException();
      }
      String[] parts = text.substring(PREFIX.length()).split(" ");
      if (parts.length % 2 != 1 || parts.length > 1 + 2 * MAX_ENTRIES) {
        throw new IllegalArgumentException();
      }
      FeedCursor cursor = new FeedCursor(Instant.ofEpochMilli(Long.parseLong(parts[0])));
      for (int i = 1; i < parts.length; i += 2) {
        cursor.entries.put(Validation.sandboxId(parts[i]), new Entry(StreamPosition.parse(parts[i + 1]), System.currentTimeMillis()));
      }
      return cursor;
    } catch (RuntimeException e) {
      throw SandmanException.invalid("Last-Event-ID", "Last-Event-ID must be an id this feed sent");
    }
  }
}
