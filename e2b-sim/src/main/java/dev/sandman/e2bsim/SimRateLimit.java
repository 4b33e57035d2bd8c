package dev.sandman.e2bsim;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

/** E2B's per-team request limit over a sliding window: a request past it answers 429 with Retry-After. */
final class SimRateLimit {
  private final Deque<Long> recent = new ArrayDeque<>();
  private int limit;
  private long windowNanos;

  synchronized void set(int requests, Duration window) {
    limit = requests;
    windowNanos = window.toNanos();
    recent.clear();
  }

  /** Null when the request may go on; else E2B's 429. */
  synchronized SimAnswer answer() {
    if (limit <= 0) {
      return null;
    }
    long now = System.nanoTime();
    while (!recent.isEmpty() && now - recent.peekFirst() >= windowNanos) {
      recent.pollFirst();
    }
    if (recent.size() >= limit) {
      long waitSeconds = Math.max(1, (recent.peekFirst() + windowNanos - now + 999_999_999L) / 1_000_000_000L);
      return new SimAnswer(429, Map.of("code", 429, "message", "Rate limit exceeded"), Map.of("Retry-After", Long.toString(waitSeconds)));
    }
    recent.addLast(now);
    return null;
  }
}
