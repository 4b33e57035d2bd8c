package dev.sandman.starter;

import dev.sandman.workflows.SandboxState;
import io.temporal.client.WorkflowClient;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The events of every sandbox in a scope (a project, a user, or both): the sandboxes are found through
 * the listing (visibility, not billed) once a second, each followed by its own {@link HistoryFollower}.
 * Each event carries the feed's {@link FeedCursor}, so a reconnect resumes every sandbox where it was.
 */
final class FeedFollower implements Subscription {
  private static final Logger log = LoggerFactory.getLogger(FeedFollower.class);
  static final long DISCOVER_MILLIS = 1000;

  private final WorkflowClient temporal;
  private final ScheduledExecutorService timers;
  private final Function<ListQuery, List<String>> inScope;
  private final ListQuery scope;
  private final SandboxState state;
  private final StatusListener listener;
  private final FeedCursor cursor;
  private final boolean fresh;
  private final Map<String, HistoryFollower> following = new HashMap<>();
  private final Set<String> done = new HashSet<>();
  private ScheduledFuture<?> discovery;
  private boolean closed;

  private FeedFollower(WorkflowClient temporal, ScheduledExecutorService timers, Function<ListQuery, List<String>> inScope,
      ListQuery scope, String lastEventId, StatusListener listener) {
    this.temporal = temporal;
    this.timers = timers;
    this.inScope = inScope;
    this.scope = scope;
    this.state = scope.state();
    this.listener = listener;
    this.fresh = lastEventId == null || lastEventId.isBlank();
    this.cursor = fresh ? new FeedCursor(Instant.now()) : FeedCursor.parse(lastEventId);
  }

  /** Finds the scope's sandboxes (a fresh feed sends each one's status as it is now) and starts following. */
  static FeedFollower start(WorkflowClient temporal, ScheduledExecutorService timers, Function<ListQuery, List<String>> inScope,
      ListQuery scope, String lastEventId, StatusListener listener) {
    FeedFollower feed = new FeedFollower(temporal, timers, inScope, scope, lastEventId, listener);
    feed.discover(true);
    feed.discovery = timers.scheduleWithFixedDelay(() -> feed.discover(false), DISCOVER_MILLIS, DISCOVER_MILLIS,
        TimeUnit.MILLISECONDS);
    return feed;
  }

  private void discover(boolean first) {
    List<String> sandboxes;
    try {
      sandboxes = inScope.apply(new ListQuery(scope.projectId(), scope.userId(), null, ListQuery.MAX_PAGE_SIZE, null));
    } catch (RuntimeException e) {
      if (first) {
        throw e;
      }
      log.warn("finding the sandboxes of a feed: {}", e.toString());
      return;
    }
    for (String sandboxId : sandboxes) {
      StreamPosition position;
      synchronized (this) {
        if (closed || following.containsKey(sandboxId) || done.contains(sandboxId)) {
          continue;
        }
        position = cursor.positionOf(sandboxId);
      }
      HistoryFollower.From from = position != null ? new HistoryFollower.After(position)
          : first && fresh ? new HistoryFollower.Now() : new HistoryFollower.Since(cursor.base());
      try {
        HistoryFollower follower = HistoryFollower.start(temporal, timers, sandboxId, from, sink(sandboxId));
        synchronized (this) {
          if (closed) {
            follower.close();
          } else if (!done.contains(sandboxId)) {
            following.put(sandboxId, follower);
          }
        }
      } catch (SandmanException e) {
        synchronized (this) {
          done.add(sandboxId); // not tracked any more, or its workflow ended another way
        }
      } catch (RuntimeException e) {
        log.warn("following sandbox {} in a feed: {}", sandboxId, e.toString());
      }
    }
  }

  private HistoryFollower.Sink sink(String sandboxId) {
    return new HistoryFollower.Sink() {
      @Override
      public void onEvent(StatusEvent event, boolean snapshot) {
        synchronized (FeedFollower.this) {
          if (closed) {
            return;
          }
          if (!snapshot) { // a snapshot is the state as of the feed's base: a resume covers it with the base
            cursor.record(sandboxId, StreamPosition.parse(event.id()), System.currentTimeMillis());
          }
          if (state == null || event.status().state() == state) {
            listener.onEvent(new StatusEvent(cursor.encode(), event.type(), event.status()));
          }
        }
      }

      @Override
      public void onEnd(Throwable failure) {
        synchronized (FeedFollower.this) {
          following.remove(sandboxId);
          done.add(sandboxId);
        }
      }
    };
  }

  @Override
  public void close() {
    List<HistoryFollower> followers;
    synchronized (this) {
      closed = true;
      followers = List.copyOf(following.values());
      following.clear();
      if (discovery != null) {
        discovery.cancel(false);
      }
    }
    followers.forEach(HistoryFollower::close);
  }
}
