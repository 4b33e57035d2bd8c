package dev.sandman.activities;

import dev.sandman.workflows.CpuReading;
import dev.sandman.workflows.CreateRequest;
import dev.sandman.workflows.E2bView;
import dev.sandman.workflows.FailureType;
import dev.sandman.workflows.CreateSpec;
import dev.sandman.workflows.SandboxActivities;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.failure.ApplicationFailure;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The activities, on E2B's REST API. Decides what is retryable: 404 means the sandbox is gone (never
 * retried), 400/401/403 are E2B refusing (never retried), 409/429/5xx/I-O are retried by Temporal
 * with backoff, 429 after the Retry-After E2B asked for.
 *
 * <p>Every call heartbeats every {@link #HEARTBEAT_EVERY} while it waits for E2B, so when a worker dies
 * mid-call Temporal retries the call on another worker after the workflow's heartbeat timeout (20 s),
 * not after the call's start-to-close timeout (minutes).
 */
public class E2bSandboxActivities implements SandboxActivities {
  private static final Logger log = LoggerFactory.getLogger(E2bSandboxActivities.class);

  public static final Duration HEARTBEAT_EVERY = Duration.ofSeconds(2);
  /** The longest retry wait a Retry-After header can ask for. */
  public static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(15);
  private static final ScheduledExecutorService HEARTBEATS =
      Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "e2b-heartbeats");
        thread.setDaemon(true);
        return thread;
      });

  private final E2bClient e2b;
  private final Clock clock;

  public E2bSandboxActivities(E2bClient e2b) {
    this(e2b, Clock.systemUTC());
  }

  public E2bSandboxActivities(E2bClient e2b, Clock clock) {
    this.e2b = e2b;
    this.clock = clock;
  }

  @Override
  public E2bView create(CreateRequest request) {
    return beating(() -> createNow(request));
  }

  private E2bView createNow(CreateRequest request) {
    String createId = request.metadata().get(CreateSpec.META_CREATE);
    try {
      if (createId != null) {
        List<E2bSandbox> made = e2b.list(List.of(E2bView.RUNNING, E2bView.PAUSED), Map.of(CreateSpec.META_CREATE, createId), 1, null).sandboxes();
        if (!made.isEmpty()) {
          log.info("sandbox {} was created by {} already", made.get(0).sandboxId(), createId);
          return view(made.get(0));
        }
      }
      E2bSandbox sandbox = e2b.create(new NewSandbox(request.template(),
          (int) request.timeoutSeconds(), true, request.metadata(), null));
      log.info("sandbox {} created from template {}", sandbox.sandboxId(), request.template());
      return new E2bView(sandbox.sandboxId(), E2bView.RUNNING, sandbox.endAt());
    } catch (E2bException e) {
      if (e.status() == 400) {
        throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), FailureType.INVALID_ARGUMENT.name());
      }
      throw toFailure(e);
    }
  }

  @Override
  public E2bView describe(String sandboxId) {
    return beating(() -> describeNow(sandboxId));
  }

  private E2bView describeNow(String sandboxId) {
    try {
      return view(e2b.get(sandboxId));
    } catch (E2bException e) {
      throw toFailure(e);
    }
  }

  @Override
  public CpuReading cpu(String sandboxId, long windowSeconds) {
    return beating(() -> {
      long end = clock.instant().getEpochSecond();
      try {
        List<E2bClient.Metric> samples = e2b.metrics(sandboxId, end - windowSeconds, end);
        double mean = samples.stream().mapToDouble(E2bClient.Metric::cpuUsedPct).average().orElse(0);
        return new CpuReading(samples.size(), mean);
      } catch (E2bException e) {
        throw toFailure(e);
      }
    });
  }

  @Override
  public E2bView pause(String sandboxId) {
    return beating(() -> pauseNow(sandboxId));
  }

  private E2bView pauseNow(String sandboxId) {
    try {
      if (e2b.pause(sandboxId)) {
        log.info("sandbox {} paused", sandboxId);
        return new E2bView(sandboxId, E2bView.PAUSED, null);
      }
      // 409: already paused, or busy changing state; E2B's current view tells which
      E2bView now = view(e2b.get(sandboxId));
      if (now.isPaused()) {
        log.info("sandbox {} was already paused", sandboxId);
        return now;
      }
      throw ApplicationFailure.newFailure(
          "E2B refused to pause sandbox " + sandboxId + " (409) and still reports it " + now.state(),
          FailureType.E2B_CONFLICT.name());
    } catch (E2bException e) {
      throw toFailure(e);
    }
  }

  @Override
  public E2bView connect(String sandboxId, long timeoutSeconds) {
    return beating(() -> connectNow(sandboxId, timeoutSeconds));
  }

  private E2bView connectNow(String sandboxId, long timeoutSeconds) {
    try {
      Instant asked = clock.instant();
      E2bClient.Connected connected = e2b.connect(sandboxId, timeoutSeconds);
      log.info("sandbox {} {}", sandboxId, connected.resumed() ? "resumed" : "was already running");
      return new E2bView(sandboxId, E2bView.RUNNING, asked.plusSeconds(timeoutSeconds));
    } catch (E2bException e) {
      throw toFailure(e);
    }
  }

  @Override
  public E2bView kill(String sandboxId) {
    return beating(() -> killNow(sandboxId));
  }

  private E2bView killNow(String sandboxId) {
    try {
      boolean existed = e2b.kill(sandboxId);
      log.info("sandbox {} {}", sandboxId, existed ? "killed" : "was already gone");
      return new E2bView(sandboxId, E2bView.KILLED, null);
    } catch (E2bException e) {
      throw toFailure(e);
    }
  }

  @Override
  public E2bView setTimeout(String sandboxId, long timeoutSeconds) {
    return beating(() -> setTimeoutNow(sandboxId, timeoutSeconds));
  }

  private E2bView setTimeoutNow(String sandboxId, long timeoutSeconds) {
    try {
      Instant asked = clock.instant();
      e2b.setTimeout(sandboxId, timeoutSeconds);
      return new E2bView(sandboxId, E2bView.RUNNING, asked.plusSeconds(timeoutSeconds));
    } catch (E2bException e) {
      if (e.isNotFound()) {
        // 404 means paused or gone: ask which
        try {
          return view(e2b.get(sandboxId));
        } catch (E2bException again) {
          throw toFailure(again);
        }
      }
      throw toFailure(e);
    }
  }

  /** Runs an E2B call, heartbeating while it waits when it runs as a Temporal activity. */
  private static <T> T beating(Supplier<T> call) {
    ActivityExecutionContext context;
    try {
      context = Activity.getExecutionContext();
    } catch (RuntimeException notAnActivity) {
      return call.get();
    }
    long every = HEARTBEAT_EVERY.toMillis();
    ScheduledFuture<?> beat = HEARTBEATS.scheduleAtFixedRate(() -> {
      try {
        context.heartbeat(null);
      } catch (RuntimeException e) {
        // cancelled or timed out: the call's own outcome is what gets reported
      }
    }, every, every, TimeUnit.MILLISECONDS);
    try {
      return call.get();
    } finally {
      beat.cancel(false);
    }
  }

  private static E2bView view(E2bSandbox sandbox) {
    String state = sandbox.state() == null ? E2bView.RUNNING : sandbox.state();
    return new E2bView(sandbox.sandboxId(), state, E2bView.RUNNING.equals(state) ? sandbox.endAt() : null);
  }

  /** The one place E2B answers become Temporal failures; a redirect is refused, never followed. */
  static ApplicationFailure toFailure(E2bException e) {
    int status = e.status();
    FailureType type;
    if (status == 404) {
      type = FailureType.SANDBOX_GONE;
    } else if (status == 400 || status == 401 || status == 403 || (status >= 300 && status < 400)) {
      type = FailureType.E2B_REJECTED;
    } else if (status == 409) {
      type = FailureType.E2B_CONFLICT;
    } else if (status == 429) {
      type = FailureType.E2B_RATE_LIMITED;
    } else {
      type = FailureType.E2B_UNAVAILABLE;
    }
    ApplicationFailure.Builder failure =
        ApplicationFailure.newBuilder()
            .setMessage(e.getMessage())
            .setType(type.name())
            .setNonRetryable(type == FailureType.SANDBOX_GONE || type == FailureType.E2B_REJECTED);
    if (e.retryAfter() != null) {
      // E2B's Retry-After is honoured up to 15 s: past that the workflow's own backoff is in charge, and a
      // retry wait must stay under the heartbeat timeout (20 s; see E2bCalls)
      failure.setNextRetryDelay(e.retryAfter().compareTo(MAX_RETRY_DELAY) > 0 ? MAX_RETRY_DELAY : e.retryAfter());
    }
    return failure.build();
  }
}
