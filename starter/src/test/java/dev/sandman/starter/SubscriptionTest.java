package dev.sandman.starter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandman.workflows.Policy;
import dev.sandman.workflows.SandboxState;
import dev.sandman.worker.SandmanTestEnv;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SubscriptionTest {
  private static final Policy IDLE_10M = new Policy(Duration.ofMinutes(10), Duration.ofDays(1), null, null);

  /** Collects a subscription's events and its end. */
  static final class Events implements StatusListener {
    final BlockingQueue<StatusEvent> events = new LinkedBlockingQueue<>();
    volatile boolean ended;
    volatile Throwable failure;

    @Override
    public void onEvent(StatusEvent event) {
      events.add(event);
    }

    @Override
    public void onEnd(Throwable failure) {
      this.failure = failure;
      ended = true;
    }

    StatusEvent next() throws InterruptedException {
      StatusEvent event = events.poll(10, TimeUnit.SECONDS);
      assertThat(event).as("an event within 10 s").isNotNull();
      return event;
    }

    /** The next event whose status is in {@code state}, passing over others (deadline moves). */
    StatusEvent nextIn(SandboxState state) throws InterruptedException {
      while (true) {
        StatusEvent event = next();
        if (event.status().state() == state) {
          return event;
        }
      }
    }
  }

  @Test
  void aSubscriberSeesTheStatusThenEveryTransitionAndResumesWithoutGapsOrDuplicates() throws Exception {
    try (SandmanTestEnv t = new SandmanTestEnv();
        SandmanClient client = new SandmanClient(t.client, SandmanClient.Options.defaults().withTaskQueue(SandmanTestEnv.TASK_QUEUE))) {
      String id = t.newSandbox();
      client.track(new TrackRequest(id, "p1", "u1", null, null, IDLE_10M));
      Events first = new Events();
      StatusEvent pausedEvent;
      try (Subscription s = client.subscribe(id, null, first)) {
        StatusEvent snapshot = first.next();
        assertThat(snapshot.type()).isEqualTo(StatusEvent.STATUS);
        assertThat(snapshot.status().state()).isEqualTo(SandboxState.RUNNING);
        client.pause(id, "lunch");
        pausedEvent = first.nextIn(SandboxState.PAUSED);
        assertThat(pausedEvent.status().transitions()).isNotEmpty();
      }
      // what happens while nobody watches is delivered on resumption, once, in order
      client.resume(id, "back");
      Events second = new Events();
      try (Subscription s = client.subscribe(id, pausedEvent.id(), second)) {
        List<SandboxState> seen = new java.util.ArrayList<>();
        StatusEvent e;
        do {
          e = second.next();
          seen.add(e.status().state());
        } while (e.status().state() != SandboxState.RUNNING);
        assertThat(seen).doesNotContain(SandboxState.PAUSED).endsWith(SandboxState.RUNNING);
        client.kill(id, "done");
        assertThat(second.nextIn(SandboxState.KILLED).status().state()).isEqualTo(SandboxState.KILLED);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!second.ended && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertThat(second.ended).isTrue();
        assertThat(second.failure).isNull();
      }
      // a killed sandbox's stream gives its final status and ends
      Events late = new Events();
      client.subscribe(id, null, late).close();
      assertThat(late.next().status().state()).isEqualTo(SandboxState.KILLED);
    }
  }

  @Test
  void anUntrackedSandboxOrAForgedPositionIsRefused() throws Exception {
    try (SandmanTestEnv t = new SandmanTestEnv();
        SandmanClient client = new SandmanClient(t.client, SandmanClient.Options.defaults().withTaskQueue(SandmanTestEnv.TASK_QUEUE))) {
      assertThatThrownBy(() -> client.subscribe("nobody-here", null, new Events()))
          .isInstanceOfSatisfying(SandmanException.class, e -> assertThat(e.kind()).isEqualTo(SandmanException.Kind.NOT_FOUND));
      assertThatThrownBy(() -> client.subscribe("nobody-here", "x/../y", new Events()))
          .isInstanceOfSatisfying(SandmanException.class, e -> assertThat(e.field()).isEqualTo("Last-Event-ID"));
    }
  }

  @Test
  void aFeedFollowsEveryOneOfAUsersSandboxesIncludingNewOnesAndResumes() throws Exception {
    try (SandmanTestEnv t = new SandmanTestEnv();
        SandmanClient client = new SandmanClient(t.client, SandmanClient.Options.defaults().withTaskQueue(SandmanTestEnv.TASK_QUEUE))) {
      String a = t.newSandbox();
      client.track(new TrackRequest(a, "p1", "ann", null, null, IDLE_10M));
      String other = t.newSandbox();
      client.track(new TrackRequest(other, "p1", "bob", null, null, IDLE_10M));
      Events feed = new Events();
      StatusEvent last;
      String b = t.newSandbox();
      try (Subscription s = client.subscribeAll(new ListQuery("p1", "ann", null, 1, null), null, feed)) {
        assertThat(feed.next().status().sandboxId()).isEqualTo(a);
        client.track(new TrackRequest(b, "p1", "ann", null, null, IDLE_10M));
        StatusEvent joined = feed.next();
        assertThat(joined.status().sandboxId()).isEqualTo(b);
        client.pause(a, "lunch");
        client.pause(other, "not ann's");
        last = feed.nextIn(SandboxState.PAUSED);
        assertThat(last.status().sandboxId()).isEqualTo(a);
      }
      client.pause(b, "while away");
      Events resumed = new Events();
      try (Subscription s = client.subscribeAll(new ListQuery("p1", "ann", null, 1, null), last.id(), resumed)) {
        StatusEvent e = resumed.nextIn(SandboxState.PAUSED);
        while (!e.status().sandboxId().equals(b)) {
          // before b's pause, only what a's feed had not delivered yet: the warning of a's retention kill
          assertThat(e.type()).isEqualTo(StatusEvent.WARNING);
          assertThat(e.status().sandboxId()).isEqualTo(a);
          e = resumed.nextIn(SandboxState.PAUSED);
        }
        assertThat(e.type()).isEqualTo(StatusEvent.STATUS);
        StatusEvent more;
        while ((more = resumed.events.poll(1500, TimeUnit.MILLISECONDS)) != null) {
          assertThat(more.status().sandboxId()).as("nothing of bob's").isNotEqualTo(other);
          assertThat(more.type().equals(StatusEvent.STATUS) && more.status().sandboxId().equals(a)).as("a's status again").isFalse();
        }
      }
    }
  }
}
