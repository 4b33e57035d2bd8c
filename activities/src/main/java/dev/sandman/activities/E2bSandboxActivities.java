package dev.sandman.activities;

import dev.sandman.workflows.E2bView;
import dev.sandman.workflows.FailureType;
import dev.sandman.workflows.SandboxActivities;
import io.temporal.failure.ApplicationFailure;
import java.time.Clock;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The activities, on E2B's REST API. Decides what is retryable: 404 means the sandbox is gone (never
 * retried), 400/401/403 are E2B refusing (never retried), 409/429/5xx/I-O are retried by Temporal
 * with backoff, 429 after the Retry-After E2B asked for.
 */
public class E2bSandboxActivities implements SandboxActivities {
  private static final Logger log = LoggerFactory.getLogger(E2bSandboxActivities.class);

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
  public E2bView describe(String sandboxId) {
    try {
      return view(e2b.get(sandboxId));
    } catch (E2bException e) {
      throw toFailure(e);
    }
  }

  @Override
  public E2bView pause(String sandboxId) {
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

  private static E2bView view(E2bSandbox sandbox) {
    String state = sandbox.state() == null ? E2bView.RUNNING : sandbox.state();
    return new E2bView(sandbox.sandboxId(), state, E2bView.RUNNING.equals(state) ? sandbox.endAt() : null);
  }

  /** The one place E2B answers become Temporal failures. */
  static ApplicationFailure toFailure(E2bException e) {
    int status = e.status();
    FailureType type;
    if (status == 404) {
      type = FailureType.SANDBOX_GONE;
    } else if (status == 400 || status == 401 || status == 403) {
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
      failure.setNextRetryDelay(e.retryAfter());
    }
    return failure.build();
  }
}
