package dev.sandman.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandman.starter.StatusEvent;
import dev.sandman.starter.StatusListener;
import dev.sandman.starter.Subscription;
import dev.sandman.workflows.SandmanJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.util.Callback;

/**
 * One viewer's Server-Sent Events: each status event as {@code id}, {@code event} and one line of JSON
 * {@code data}, a comment every {@link #HEARTBEAT_SECONDS} so proxies and the viewer know the stream is
 * alive. Writes go out one at a time without holding a thread; a viewer that falls
 * {@link #MAX_QUEUED} events behind is dropped (its EventSource reconnects and resumes), never buffered without end.
 */
final class EventStream implements StatusListener {
  static final int HEARTBEAT_SECONDS = 15;
  static final int MAX_QUEUED = 256;
  private static final ObjectMapper JSON = SandmanJson.mapper();
  private static final ByteBuffer HEARTBEAT = ByteBuffer.wrap(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));

  private final ScheduledExecutorService timers;
  private final AtomicInteger open;
  private final Runnable onDrop;
  private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
  private Subscription subscription;
  private Writer response;
  private Callback done;
  private ScheduledFuture<?> heartbeat;
  private boolean writing;
  private boolean finishing;
  private boolean closed;
  private int events;

  EventStream(ScheduledExecutorService timers, AtomicInteger open, Runnable onDrop) {
    this.timers = timers;
    this.open = open;
    this.onDrop = onDrop;
    // how long an EventSource waits before it reconnects
    queue.add(ByteBuffer.wrap("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8)));
  }

  synchronized void subscribed(Subscription subscription) {
    this.subscription = subscription;
    if (closed) {
      subscription.close();
    }
  }

  /** Starts writing to the viewer: what queued up while the subscription began, then events as they come. */
  /** Where a stream's bytes go: the HTTP response (writes one at a time, each completing its callback). */
  interface Writer {
    void write(boolean last, ByteBuffer bytes, Callback written);
  }

  void start(Writer response, Callback done) {
    synchronized (this) {
      this.response = response;
      this.done = done;
      if (closed) {
        done.failed(new IOException("the stream ended before it began"));
        return;
      }
      open.incrementAndGet();
      heartbeat = timers.scheduleAtFixedRate(() -> send(HEARTBEAT.duplicate()), HEARTBEAT_SECONDS, HEARTBEAT_SECONDS, TimeUnit.SECONDS);
    }
    pump();
  }

  /** The subscription ended before sending anything: nothing more will come (a killed sandbox, already told). */
  synchronized boolean isOver() {
    return finishing && events == 0;
  }

  @Override
  public void onEvent(StatusEvent event) {
    synchronized (this) {
      events++;
    }
    try {
      String text = "id: " + event.id() + "\nevent: " + event.type() + "\ndata: " + JSON.writeValueAsString(event.status()) + "\n\n";
      send(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    } catch (IOException e) {
      fail(e);
    }
  }

  @Override
  public void onEnd(Throwable failure) {
    if (failure != null) {
      try {
        String data = JSON.writeValueAsString(Map.of("error", "ended", "message", String.valueOf(failure.getMessage())));
        send(ByteBuffer.wrap(("event: error\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8)));
      } catch (IOException e) {
        // the stream ends all the same
      }
    }
    synchronized (this) {
      finishing = true;
    }
    pump();
  }

  private void send(ByteBuffer bytes) {
    boolean drop;
    synchronized (this) {
      if (closed || finishing) {
        return;
      }
      drop = queue.size() >= MAX_QUEUED;
      if (!drop) {
        queue.add(bytes);
      }
    }
    if (drop) {
      onDrop.run();
      fail(new IOException("the viewer fell " + MAX_QUEUED + " events behind"));
      return;
    }
    pump();
  }

  private void pump() {
    ByteBuffer next;
    boolean last;
    synchronized (this) {
      if (response == null || writing || closed) {
        return;
      }
      next = queue.poll();
      last = next == null && finishing;
      if (next == null && !last) {
        return;
      }
      writing = true;
      if (last) {
        closed = true;
      }
    }
    if (last) {
      stop();
      response.write(true, ByteBuffer.allocate(0), done);
      return;
    }
    response.write(false, next, Callback.from(() -> {
      synchronized (this) {
        writing = false;
      }
      pump();
    }, this::fail));
  }

  /** The viewer went away, or was dropped: stop everything and end the exchange. */
  void fail(Throwable why) {
    Callback ending;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      ending = done;
    }
    stop();
    if (ending != null) {
      ending.failed(why);
    }
  }

  private void stop() {
    Subscription s;
    synchronized (this) {
      s = subscription;
      if (heartbeat != null) {
        heartbeat.cancel(false);
        open.decrementAndGet();
      }
    }
    if (s != null) {
      s.close();
    }
  }
}
