package dev.sandman.starter;

import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a stream of touches (one per keystroke or request) into the fewest activity signals that keep
 * an active sandbox from pausing: one per idle-timeout span. A touch is sent at once when the sandbox
 * is not RUNNING (it wakes it) or when the activity the workflow already has is about to run out;
 * otherwise it is held and the newest held touch is sent {@code margin} before the workflow's
 * {@code activityDueBy}. What the workflow has is read from its memo (free of Temporal Actions), at
 * most every few seconds while touches flow and again just before a held touch is sent, so several
 * processes touching one sandbox send about as many signals as one, and a process that dies loses only
 * touches another process would have made up for had the user still been active.
 *
 * <p>With a fixed {@code window} it sends instead at most one signal per
 * window, the newest touch trailing at the window's end (kept to measure what the rule above saves).
 */
final class TouchCoalescer {
  private static final Logger log = LoggerFactory.getLogger(TouchCoalescer.class);
  /** How old the memo's view may be when a touch decides on it. */
  static final Duration KNOWLEDGE_TTL = Duration.ofSeconds(5);
  /** A failed held send is tried again this often, for as long as it could still matter. */
  private static final Duration RETRY = Duration.ofSeconds(1);
  private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(10);
  /** Where nothing says when activity is due (not RUNNING, or no status published): one signal a second. */
  private static final Duration UNKNOWN_DUE_WINDOW = Duration.ofSeconds(1);
  /** Entries untouched this long, with nothing held, are forgotten. */
  private static final Duration FORGET_AFTER = Duration.ofHours(1);
  private static final int FORGET_ABOVE = 10_000;
  /** A read or send long enough ago that any clock difference to it is stale, without overflowing. */
  private static final long NEVER = Long.MIN_VALUE / 4;

  private static final class Entry {
    /** Set once the sandbox is known to be killed: touches fail at once instead of being held. */
    RuntimeException killed;
    SandboxStatus known;
    long knownAtMillis = NEVER;
    /** The newest activity time this process has sent (0: none). */
    long sentAtMillis;
    /** When this process last sent (the fixed window's clock). */
    long lastSendMillis = NEVER;
    /** The newest touch not sent yet (0: none). */
    long pendingAtMillis;
    /** When the held touch is to be sent (0: nothing scheduled). */
    long flushAtMillis;
    long lastTouchMillis;
    /**
     * This process's own share of the margin, drawn once: processes sharing a sandbox reach their
     * moment to send seconds apart, so the first one's signal is in the memo before the next one looks.
     */
    final double spread;

    Entry(double spread) {
      this.spread = spread;
    }
  }

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final Duration window;
  private final Duration margin;
  private final Function<String, Optional<SandboxStatus>> readMemo;
  private final BiConsumer<String, Instant> send;
  private final Predicate<RuntimeException> isKilled;
  private final TouchScheduler scheduler;
  private final Clock clock;
  /** Draws each sandbox's share of the margin, from 0 (none) to 0.5. */
  private final DoubleSupplier spreads;

  /**
   * {@code window} null: hold touches until {@code margin} before they are due; otherwise a fixed
   * window. {@code readMemo} answers the workflow's published status (empty for runs that publish none).
   */
  TouchCoalescer(Duration window, Duration margin, Function<String, Optional<SandboxStatus>> readMemo,
      BiConsumer<String, Instant> send, Predicate<RuntimeException> isKilled, TouchScheduler scheduler, Clock clock) {
    this(window, margin, readMemo, send, isKilled, scheduler, clock, () -> ThreadLocalRandom.current().nextDouble(0.5));
  }

  TouchCoalescer(Duration window, Duration margin, Function<String, Optional<SandboxStatus>> readMemo,
      BiConsumer<String, Instant> send, Predicate<RuntimeException> isKilled, TouchScheduler scheduler, Clock clock,
      DoubleSupplier spreads) {
    this.spreads = spreads;
    this.window = window;
    this.margin = margin;
    this.readMemo = readMemo;
    this.send = send;
    this.isKilled = isKilled;
    this.scheduler = scheduler;
    this.clock = clock;
  }

  /** Returns true when this touch was sent now, false when it was held (or already covered). */
  boolean touch(String sandboxId, Instant at) {
    long now = clock.millis();
    long atMillis = at == null ? now : Math.min(at.toEpochMilli(), now);
    Entry entry = entries.computeIfAbsent(sandboxId, id -> newEntry());
    boolean sent;
    synchronized (entry) {
      if (entry.killed != null) {
        throw entry.killed;
      }
      entry.lastTouchMillis = now;
      boolean fresh = false;
      if (window == null && now - entry.knownAtMillis >= KNOWLEDGE_TTL.toMillis()) {
        learn(entry, readMemo.apply(sandboxId).orElse(null), now);
        fresh = true;
      }
      long sendBy = sendBy(entry, now);
      if (window == null && now >= sendBy && !fresh && atMillis > covered(entry)) {
        learn(entry, readMemo.apply(sandboxId).orElse(null), now); // another process may have just sent it
        sendBy = sendBy(entry, now);
      }
      if (atMillis <= covered(entry) && window == null) {
        sent = false; // the workflow already has activity this recent
      } else if (now >= sendBy) {
        sendNow(sandboxId, entry, atMillis, now);
        sent = true;
      } else {
        entry.pendingAtMillis = Math.max(entry.pendingAtMillis, atMillis);
        schedule(sandboxId, entry, sendBy);
        sent = false;
      }
    }
    forgetQuietEntries(now);
    return sent;
  }

  /** A status read elsewhere (a status call, an update's answer) is what the workflow has too. */
  void learn(SandboxStatus status) {
    if (status == null) {
      return;
    }
    Entry entry = entries.get(status.sandboxId());
    if (entry != null) {
      synchronized (entry) {
        learn(entry, status, clock.millis());
      }
    }
  }

  /** The newest activity this process has for the sandbox, sent or held; null if none. */
  Instant newestTouch(String sandboxId) {
    Entry entry = entries.get(sandboxId);
    if (entry == null) {
      return null;
    }
    synchronized (entry) {
      long newest = Math.max(entry.sentAtMillis, entry.pendingAtMillis);
      return newest == 0 ? null : Instant.ofEpochMilli(newest);
    }
  }

  /** The sandbox was killed: from now on its touches fail with {@code reason}. */
  void markKilled(String sandboxId, RuntimeException reason) {
    Entry entry = entries.computeIfAbsent(sandboxId, id -> newEntry());
    synchronized (entry) {
      entry.killed = reason;
      entry.pendingAtMillis = 0;
    }
  }

  /** Tracking (again) clears whatever was known. */
  void forget(String sandboxId) {
    entries.remove(sandboxId);
  }

  /** Sends every held touch now: a process that stops gracefully leaves nothing behind. */
  void flushAll() {
    entries.forEach((sandboxId, entry) -> {
      long pending;
      synchronized (entry) {
        pending = entry.pendingAtMillis;
        entry.pendingAtMillis = 0;
      }
      if (pending != 0) {
        try {
          send.accept(sandboxId, Instant.ofEpochMilli(pending));
        } catch (RuntimeException e) {
          log.warn("held activity for sandbox {} not sent at shutdown: {}", sandboxId, e.getMessage());
        }
      }
    });
  }

  private Entry newEntry() {
    return new Entry(spreads.getAsDouble());
  }

  // ---- the rule -----------------------------------------------------------------------------

  /** The newest activity the workflow is known to have. */
  private static long covered(Entry entry) {
    long memo = entry.known == null || entry.known.lastActivityAt() == null ? 0 : entry.known.lastActivityAt().toEpochMilli();
    return Math.max(memo, entry.sentAtMillis);
  }

  /** The clock time by which newer activity has to be sent; at or before now means at once. */
  private long sendBy(Entry entry, long now) {
    if (window != null) {
      return entry.lastSendMillis == NEVER ? now : entry.lastSendMillis + windowFor(entry);
    }
    SandboxStatus known = entry.known;
    if (known == null || known.state() != SandboxState.RUNNING || known.activityDueBy() == null
        || known.lastActivityAt() == null) {
      // waking it, failing on a killed one, or a run that publishes no status: at once, once a second at most
      return entry.lastSendMillis == NEVER ? now : entry.lastSendMillis + UNKNOWN_DUE_WINDOW.toMillis();
    }
    long dueAfter = known.activityDueBy().toEpochMilli() - known.lastActivityAt().toEpochMilli();
    long margin = marginFor(dueAfter);
    return covered(entry) + dueAfter - margin - (long) (margin * entry.spread);
  }

  /**
   * Never more than a third of the time activity lasts, so short idle timeouts keep most of it; not less,
   * so a user touching every fifth of it still has time, when the process holding their touch dies just
   * before sending it, for the next touch to be sent through another process and arrive.
   */
  private long marginFor(long dueAfterMillis) {
    return Math.min(margin.toMillis(), Math.max(0, dueAfterMillis / 3));
  }

  private long windowFor(Entry entry) {
    long millis = window.toMillis();
    if (entry.known != null && entry.known.policy() != null) {
      millis = Math.min(millis, entry.known.policy().idleTimeout().toMillis() / 4);
    }
    return Math.max(millis, 1);
  }

  private void learn(Entry entry, SandboxStatus status, long now) {
    entry.known = status;
    entry.knownAtMillis = now;
  }

  private void sendNow(String sandboxId, Entry entry, long atMillis, long now) {
    try {
      send.accept(sandboxId, Instant.ofEpochMilli(atMillis));
      entry.sentAtMillis = Math.max(entry.sentAtMillis, atMillis);
      entry.lastSendMillis = now;
      if (entry.pendingAtMillis <= atMillis) {
        entry.pendingAtMillis = 0;
      }
      entry.knownAtMillis = NEVER; // the state may have changed (a paused sandbox wakes): read again
    } catch (RuntimeException e) {
      if (isKilled.test(e)) {
        entry.killed = e;
      }
      throw e;
    }
  }

  /** Sends the held touch at {@code sendBy}, unless a send is already scheduled no later. */
  private void schedule(String sandboxId, Entry entry, long sendBy) {
    if (entry.flushAtMillis != 0 && entry.flushAtMillis <= sendBy) {
      return;
    }
    entry.flushAtMillis = sendBy;
    scheduler.at(Instant.ofEpochMilli(sendBy), () -> flush(sandboxId, entry, sendBy, 0));
  }

  /** Sends the held touch if it is still needed; {@code since}: when sending it first failed (0: it has not). */
  private void flush(String sandboxId, Entry entry, long scheduledFor, long since) {
    long now = clock.millis();
    synchronized (entry) {
      if (entry.flushAtMillis != scheduledFor) {
        return; // superseded by an earlier flush
      }
      entry.flushAtMillis = 0;
      if (entry.pendingAtMillis == 0 || entry.killed != null) {
        return;
      }
      try {
        if (window == null) {
          learn(entry, readMemo.apply(sandboxId).orElse(null), now); // another process may have sent newer activity
          if (entry.pendingAtMillis <= covered(entry)) {
            entry.pendingAtMillis = 0;
            return;
          }
          long sendBy = sendBy(entry, now);
          if (now < sendBy) {
            schedule(sandboxId, entry, sendBy);
            return;
          }
        }
        sendNow(sandboxId, entry, entry.pendingAtMillis, now);
      } catch (RuntimeException e) {
        long failingSince = since == 0 ? now : since;
        if (entry.killed != null || now - failingSince > GIVE_UP_AFTER.toMillis()) {
          log.warn("held activity for sandbox {} dropped: {}", sandboxId, e.getMessage());
          entry.pendingAtMillis = 0;
          return;
        }
        log.warn("held activity for sandbox {} not sent ({}); trying again in {}", sandboxId, e.getMessage(), RETRY);
        entry.flushAtMillis = now + RETRY.toMillis();
        long retryAt = entry.flushAtMillis;
        scheduler.at(Instant.ofEpochMilli(retryAt), () -> flush(sandboxId, entry, retryAt, failingSince));
      }
    }
  }

  /** Forgets sandboxes not touched for a long while (their next touch reads the memo again). */
  private void forgetQuietEntries(long now) {
    if (entries.size() < FORGET_ABOVE) {
      return;
    }
    long cutoff = now - FORGET_AFTER.toMillis();
    entries.entrySet().removeIf(e -> {
      synchronized (e.getValue()) {
        return e.getValue().flushAtMillis == 0 && e.getValue().pendingAtMillis == 0 && e.getValue().lastTouchMillis < cutoff;
      }
    });
  }
}
