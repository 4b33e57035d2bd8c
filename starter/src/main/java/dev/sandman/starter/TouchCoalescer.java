package dev.sandman.starter;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a stream of touches (one per keystroke or request) into at most one activity signal per
 * sandbox per window. The first touch after a quiet window is sent at once (so its errors reach the
 * caller); touches inside the window are folded into one trailing signal sent when the window ends,
 * stamped with the time of the latest touch. Since the window is at most a quarter of the sandbox's
 * idle timeout, the trailing signal always lands well before the deadline the last sent one set:
 * coalescing never lets an active sandbox be paused.
 */
final class TouchCoalescer {
  private static final Logger log = LoggerFactory.getLogger(TouchCoalescer.class);
  /** Entries idle for this many windows are dropped, bounding memory. */
  private static final int FORGET_AFTER_WINDOWS = 100;

  private static final class Entry {
    /** Set once the sandbox is known to be killed: touches fail at once instead of being folded. */
    RuntimeException killed;
    long lastSentMillis;
    long pendingAtMillis; // 0: nothing pending
    boolean flushScheduled;
  }

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final Duration window;
  private final Function<String, Duration> idleTimeoutOf;
  private final BiConsumer<String, Instant> send;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final java.util.function.Predicate<RuntimeException> isKilled;

  TouchCoalescer(Duration window, Function<String, Duration> idleTimeoutOf, BiConsumer<String, Instant> send,
      java.util.function.Predicate<RuntimeException> isKilled, ScheduledExecutorService scheduler, Clock clock) {
    this.isKilled = isKilled;
    this.window = window;
    this.idleTimeoutOf = idleTimeoutOf;
    this.send = send;
    this.scheduler = scheduler;
    this.clock = clock;
  }

  /** Returns true when this touch was sent now, false when it was folded into a trailing signal. */
  boolean touch(String sandboxId, Instant at) {
    long now = clock.millis();
    long atMillis = at == null ? now : Math.min(at.toEpochMilli(), now);
    long windowMillis = windowFor(sandboxId);
    Entry entry = entries.computeIfAbsent(sandboxId, id -> new Entry());
    boolean sendNow;
    synchronized (entry) {
      if (entry.killed != null) {
        throw entry.killed;
      }
      if (now - entry.lastSentMillis >= windowMillis && !entry.flushScheduled) {
        entry.lastSentMillis = now;
        sendNow = true;
      } else {
        entry.pendingAtMillis = Math.max(entry.pendingAtMillis, atMillis);
        sendNow = false;
        if (!entry.flushScheduled) {
          entry.flushScheduled = true;
          long delay = Math.max(0, entry.lastSentMillis + windowMillis - now);
          scheduler.schedule(() -> flush(sandboxId, entry), delay, TimeUnit.MILLISECONDS);
        }
      }
    }
    if (sendNow) {
      try {
        send.accept(sandboxId, Instant.ofEpochMilli(atMillis));
      } catch (RuntimeException e) {
        synchronized (entry) {
          entry.lastSentMillis = 0; // not sent: the next touch tries again at once
          if (isKilled.test(e)) {
            entry.killed = e;
          }
        }
        throw e;
      }
    }
    return sendNow;
  }

  /** The sandbox was killed: from now on its touches fail with {@code reason}. */
  void markKilled(String sandboxId, RuntimeException reason) {
    Entry entry = entries.computeIfAbsent(sandboxId, id -> new Entry());
    synchronized (entry) {
      entry.killed = reason;
      entry.pendingAtMillis = 0;
    }
  }

  /** Tracking (again) clears whatever was known. */
  void forget(String sandboxId) {
    entries.remove(sandboxId);
  }

  private void flush(String sandboxId, Entry entry) {
    long pending;
    synchronized (entry) {
      pending = entry.pendingAtMillis;
      entry.pendingAtMillis = 0;
      entry.flushScheduled = false;
      entry.lastSentMillis = clock.millis();
    }
    if (pending == 0) {
      return;
    }
    try {
      send.accept(sandboxId, Instant.ofEpochMilli(pending));
    } catch (RuntimeException e) {
      if (isKilled.test(e)) {
        markKilled(sandboxId, e);
      }
      log.warn("trailing activity signal for sandbox {} failed: {}", sandboxId, e.getMessage());
    }
    forgetQuietEntries();
  }

  /** Forgets sandboxes not touched for a long while (their next touch is simply sent at once). */
  private void forgetQuietEntries() {
    if (entries.size() < 10_000) {
      return;
    }
    long cutoff = clock.millis() - window.toMillis() * FORGET_AFTER_WINDOWS;
    entries.entrySet().removeIf(e -> {
      synchronized (e.getValue()) {
        return !e.getValue().flushScheduled && e.getValue().lastSentMillis < cutoff;
      }
    });
  }

  private long windowFor(String sandboxId) {
    Duration idle = idleTimeoutOf.apply(sandboxId);
    long millis = window.toMillis();
    if (idle != null) {
      millis = Math.min(millis, idle.toMillis() / 4);
    }
    return Math.max(millis, 1);
  }

  int size() {
    return entries.size();
  }
}
