package dev.sandman.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.starter.StatusEvent;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EventStreamTest {
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    timers.shutdownNow();
  }

  private static SandboxStatus status(String id) {
    return new SandboxStatus(id, "p", "u", null, null, SandboxState.RUNNING, null, null, null, null, null, null, null, null,
        null, List.of(), null, null, null, List.of(), null, null, null, 0, null, null, null);
  }

  @Test
  void aViewerThatStopsReadingIsDroppedNotBufferedWithoutEnd() {
    AtomicInteger open = new AtomicInteger();
    AtomicBoolean dropped = new AtomicBoolean();
    EventStream stream = new EventStream(timers, open, () -> dropped.set(true));
    List<Callback> pending = new ArrayList<>(); // writes the viewer never takes
    AtomicReference<Throwable> ended = new AtomicReference<>();
    stream.start((last, bytes, written) -> pending.add(written), Callback.from(() -> {}, ended::set));
    for (int i = 0; i < EventStream.MAX_QUEUED + 10; i++) {
      stream.onEvent(new StatusEvent("r." + i, StatusEvent.STATUS, status("s1")));
    }
    assertThat(dropped).isTrue();
    assertThat(ended.get()).hasMessageContaining("behind");
    assertThat(open.get()).isZero();
    assertThat(pending).hasSize(1); // one write in flight, the rest were queued and let go
  }

  @Test
  void eventsAreWrittenInOrderOneAtATimeAsTheViewerTakesThem() {
    AtomicInteger open = new AtomicInteger();
    EventStream stream = new EventStream(timers, open, () -> {});
    stream.onEvent(new StatusEvent("r.1", StatusEvent.STATUS, status("s1"))); // before the response is ready
    StringBuilder written = new StringBuilder();
    AtomicBoolean finished = new AtomicBoolean();
    stream.start((last, bytes, done) -> {
      written.append(StandardCharsets.UTF_8.decode(bytes));
      if (last) {
        finished.set(true);
      }
      done.succeeded();
    }, Callback.from(() -> finished.set(true), e -> {}));
    stream.onEvent(new StatusEvent("r.2", StatusEvent.WARNING, status("s1")));
    stream.onEnd(null);
    assertThat(written.toString()).startsWith("retry: 2000\n\nid: r.1\nevent: status\ndata: {")
        .contains("\n\nid: r.2\nevent: warning\ndata: {").endsWith("}\n\n");
    assertThat(finished).isTrue();
    assertThat(open.get()).isZero();
  }
}
