package dev.sandman.bench;

import dev.sandman.activities.E2bClient;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import io.temporal.activity.ActivityOptions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The design Sandman replaces, implemented faithfully: a session table (lastActivity, state) written
 * by the app on every activity, and a job every 5 minutes that lists RUNNING sessions and pauses, one
 * after another, those idle for 10 minutes or more.
 */
final class BaselineCron {
  static final Duration EVERY = Duration.ofMinutes(5);
  static final Duration IDLE = Duration.ofMinutes(10);
  /** E2B pauses take ~4 s per GiB; the default sandbox has 0.5 GiB: each sequential pause takes ~2 s. */
  static final Duration PAUSE_TAKES = Duration.ofSeconds(2);

  @WorkflowInterface
  public interface CronWorkflow {
    @WorkflowMethod(name = "BaselineCron")
    void run(long untilEpochMillis);
  }

  @ActivityInterface
  public interface ScanActivities {
    @ActivityMethod(name = "ScanAndPause")
    int scanAndPause();
  }

  public static class CronWorkflowImpl implements CronWorkflow {
    private final ScanActivities scan = Workflow.newActivityStub(ScanActivities.class,
        ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofMinutes(5)).build());

    @Override
    public void run(long untilEpochMillis) {
      while (Workflow.currentTimeMillis() + EVERY.toMillis() <= untilEpochMillis) {
        Workflow.sleep(EVERY);
        scan.scanAndPause();
      }
    }
  }

  /** One row of the session table. */
  static final class Session {
    final String sandboxId;
    Instant lastActivity;
    boolean paused;

    Session(String sandboxId, Instant lastActivity) {
      this.sandboxId = sandboxId;
      this.lastActivity = lastActivity;
    }
  }

  /** A pause the job made: when it decided, and when its E2B call happened (modelled sequentially). */
  record Pause(String sandboxId, Instant decidedAt, Instant calledAt) {}

  static final class Table implements ScanActivities {
    final Map<String, Session> sessions = new TreeMap<>();
    final List<Pause> pauses = new ArrayList<>();
    long writes;
    private final E2bClient e2b;
    private final Supplier<Instant> clock;

    Table(E2bClient e2b, Supplier<Instant> clock) {
      this.e2b = e2b;
      this.clock = clock;
    }

    /** The app, on each user action: resume the sandbox if paused, then write lastActivity. */
    synchronized void activity(String sandboxId, Instant at) {
      Session session = sessions.get(sandboxId);
      if (session == null) {
        sessions.put(sandboxId, new Session(sandboxId, at));
        writes++;
        return;
      }
      if (session.paused) {
        e2b.connect(sandboxId, 86_400);
        session.paused = false;
        writes++;
      }
      session.lastActivity = at;
      writes++;
    }

    @Override
    public synchronized int scanAndPause() {
      Instant now = clock.get();
      List<Session> idle = sessions.values().stream()
          .filter(s -> !s.paused && !s.lastActivity.plus(IDLE).isAfter(now)).toList(); // getRunning + elapsed check
      int k = 0;
      for (Session session : idle) {
        e2b.pause(session.sandboxId);
        pauses.add(new Pause(session.sandboxId, now, now.plus(PAUSE_TAKES.multipliedBy(k++))));
        session.paused = true;
        writes++;
      }
      return idle.size();
    }
  }

  private BaselineCron() {}
}
