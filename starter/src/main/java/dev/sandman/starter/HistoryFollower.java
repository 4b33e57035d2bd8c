package dev.sandman.starter;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import dev.sandman.workflows.Executions;
import dev.sandman.workflows.Sandman;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandmanJson;
import dev.sandman.workflows.StatusMemo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
import io.temporal.client.WorkflowClient;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Follows one sandbox's workflow history with long polls (a history read is not a billed Action): each
 * status the workflow publishes in its memo is an event, the completion's result is the last one, and a
 * continue-as-new is followed into the next run. The server answers a long poll as soon as the history
 * grows, so an event arrives within milliseconds of the workflow task that made it.
 */
final class HistoryFollower implements Subscription {
  /** Where to begin: the current status then what follows, after a position, or every event since a time. */
  sealed interface From {}

  record Now() implements From {}

  record After(StreamPosition position) implements From {}

  record Since(Instant time) implements From {}

  /** Where events go; {@code snapshot} marks the status a stream begins with (as it is now, not a change). */
  interface Sink {
    void onEvent(StatusEvent event, boolean snapshot);

    void onEnd(Throwable failure);
  }

  static Sink to(StatusListener listener) {
    return new Sink() {
      @Override
      public void onEvent(StatusEvent event, boolean snapshot) {
        listener.onEvent(event);
      }

      @Override
      public void onEnd(Throwable failure) {
        listener.onEnd(failure);
      }
    };
  }

  private static final long POLL_SECONDS = 30;
  /**
   * How long a wait lasts on a server that keeps no place in the history (the Java test server: it waits
   * for events past the end at the time of the call, so one landing between a read and the wait is seen
   * only when the wait ends and the history is read again).
   */
  private static final long PLACELESS_POLL_SECONDS = 2;
  private static final int PAGE = 256;

  private final WorkflowClient temporal;
  private final ScheduledExecutorService timers;
  private final String sandboxId;
  private final Sink listener;
  private String runId;
  private long cursor;
  /** Events at or before this time are passed over (From.Since), null otherwise. */
  private Instant since;
  private SandboxStatus latest;
  private StreamPosition latestAt;
  private ScheduledFuture<?> warning;
  /** The deadline the last warning was about: one warning per deadline. */
  private Instant warnedFor;
  private boolean caughtUp = true;
  /** The server answered a wait with a page token: it keeps our place, and a wait may last. */
  private boolean keepsPlace;
  private ListenableFuture<?> poll;
  private int failures;
  private boolean closed;

  private HistoryFollower(WorkflowClient temporal, ScheduledExecutorService timers, String sandboxId, Sink listener) {
    this.temporal = temporal;
    this.timers = timers;
    this.sandboxId = sandboxId;
    this.listener = listener;
  }

  /**
   * Starts following; what the sandbox's workflow is now is read before this returns, so an untracked
   * sandbox is an exception here, not an event.
   */
  static HistoryFollower start(WorkflowClient temporal, ScheduledExecutorService timers, String sandboxId, From from,
      Sink listener) {
    HistoryFollower follower = new HistoryFollower(temporal, timers, sandboxId, listener);
    follower.begin(from);
    return follower;
  }

  private void begin(From from) {
    WorkflowExecutionInfo info = Executions.describe(temporal, Sandman.workflowId(sandboxId))
        .orElseThrow(() -> SandmanException.notTracked(sandboxId));
    WorkflowExecutionStatus ended = info.getStatus();
    if (ended != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
        && ended != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
      throw new SandmanException(SandmanException.Kind.CONFLICT, "the workflow of sandbox " + sandboxId
          + " ended as " + SandboxLister.shortStatus(ended) + "; track it again to resume orchestration");
    }
    boolean running = ended == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
    runId = info.getExecution().getRunId();
    long length = info.getHistoryLength();
    Optional<SandboxStatus> published = StatusMemo.read(info.getMemo());
    synchronized (this) {
      if (from instanceof After after && after.position().runId().equals(runId) && after.position().eventId() <= length) {
        cursor = after.position().eventId();
        latestAt = after.position();
        latest = published.orElse(null);
        if (!running && cursor >= length) {
          end(null); // the final status was delivered already: nothing more, said before this returns
          return;
        }
        caughtUp = false; // the warning the published status calls for is armed once the history after the position is read
      } else if (from instanceof Since s) {
        since = s.time();
      } else {
        cursor = length;
        StreamPosition at = new StreamPosition(runId, length, false);
        if (!running) {
          SandboxStatus last;
          try {
            last = temporal.newUntypedWorkflowStub(Sandman.workflowId(sandboxId)).getResult(10, TimeUnit.SECONDS, SandboxStatus.class);
          } catch (java.util.concurrent.TimeoutException e) {
            throw new SandmanException(SandmanException.Kind.UNAVAILABLE, "Temporal did not answer with the final status of " + sandboxId);
          }
          emit(last, at, true);
          timers.execute(() -> end(null));
          return;
        }
        published.filter(HistoryFollower::notFinal).ifPresent(status -> emit(status.asOf(Instant.now()), at, true));
      }
    }
    poll(ByteString.EMPTY, false);
  }

  /**
   * Reads the history ({@code wait} false: what is there, page by page) or waits for it to grow (a long
   * poll). Temporal's Java test server waits only for events past the end at the time of the call and
   * fails the call (UNKNOWN) when they come; so the history is read whole first, and again after such a failure.
   */
  private synchronized void poll(ByteString token, boolean wait) {
    if (closed) {
      return;
    }
    GetWorkflowExecutionHistoryRequest request = historyRequest(token, wait);
    ListenableFuture<GetWorkflowExecutionHistoryResponse> answer = temporal.getWorkflowServiceStubs().futureStub()
        .withDeadlineAfter(wait && !keepsPlace ? PLACELESS_POLL_SECONDS : POLL_SECONDS, TimeUnit.SECONDS)
        .getWorkflowExecutionHistory(request);
    poll = answer;
    if (wait && !keepsPlace) {
      timers.schedule(this::lookAgain, 50, TimeUnit.MILLISECONDS);
    }
    Futures.addCallback(answer, new FutureCallback<>() {
      @Override
      public void onSuccess(GetWorkflowExecutionHistoryResponse response) {
        read(response, wait);
      }

      @Override
      public void onFailure(Throwable failure) {
        failed(failure, token, wait);
      }
    }, MoreExecutors.directExecutor());
  }

  private void read(GetWorkflowExecutionHistoryResponse response, boolean waited) {
    if (!consume(response)) {
      return;
    }
    ByteString next = response.getNextPageToken();
    if (waited && !next.isEmpty()) {
      keepsPlace = true;
    }
    if (next.isEmpty() && waited) {
      poll(ByteString.EMPTY, false); // a server that keeps no place: read what came while nobody waited, then wait
    } else {
      poll(next, waited || next.isEmpty()); // more pages, or (the read done) wait at the end
    }
  }

  /**
   * On a server that keeps no place, what landed between the last read and the wait's arrival: read
   * once more just after the wait is in place (the wait itself answers only what comes after it).
   */
  private void lookAgain() {
    synchronized (this) {
      if (closed) {
        return;
      }
    }
    GetWorkflowExecutionHistoryRequest request = historyRequest(ByteString.EMPTY, false);
    Futures.addCallback(temporal.getWorkflowServiceStubs().futureStub().withDeadlineAfter(10, TimeUnit.SECONDS)
        .getWorkflowExecutionHistory(request), new FutureCallback<>() {
          @Override
          public void onSuccess(GetWorkflowExecutionHistoryResponse response) {
            if (response.getNextPageToken().isEmpty()) { // the whole history (a long one is left to the wait)
              consume(response);
            }
          }

          @Override
          public void onFailure(Throwable failure) {
            // the wait is still there
          }
        }, MoreExecutors.directExecutor());
  }

  /** A page of the current run's history from {@code token}, or ({@code wait}) what comes after it. */
  private GetWorkflowExecutionHistoryRequest historyRequest(ByteString token, boolean wait) {
    return GetWorkflowExecutionHistoryRequest.newBuilder()
        .setNamespace(temporal.getOptions().getNamespace())
        .setExecution(WorkflowExecution.newBuilder().setWorkflowId(Sandman.workflowId(sandboxId)).setRunId(runId))
        .setNextPageToken(token)
        .setMaximumPageSize(PAGE)
        .setWaitNewEvent(wait)
        .build();
  }

  /** Delivers the events past the cursor; false when the follower ended or moved on (closed, completed, a new run). */
  private boolean consume(GetWorkflowExecutionHistoryResponse response) {
    synchronized (this) {
      if (closed) {
        return false;
      }
      for (HistoryEvent event : response.getHistory().getEventsList()) {
        if (event.getEventId() <= cursor) {
          continue;
        }
        cursor = event.getEventId();
        failures = 0;
        if (since != null && !Instant.ofEpochSecond(event.getEventTime().getSeconds(), event.getEventTime().getNanos()).isAfter(since)) {
          continue;
        }
        StreamPosition at = new StreamPosition(runId, cursor, false);
        switch (event.getEventType()) {
          case EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED ->
              StatusMemo.read(event.getWorkflowPropertiesModifiedEventAttributes().getUpsertedMemo())
                  .filter(HistoryFollower::notFinal).ifPresent(status -> emit(status, at, false));
          case EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED -> {
            var result = event.getWorkflowExecutionCompletedEventAttributes().getResult();
            emit(SandmanJson.dataConverter().fromPayloads(0, Optional.of(result), SandboxStatus.class, SandboxStatus.class), at, false);
            timers.execute(() -> end(null));
            return false;
          }
          case EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW -> {
            runId = event.getWorkflowExecutionContinuedAsNewEventAttributes().getNewExecutionRunId();
            cursor = 0;
            since = null; // the next run began after whatever time was asked for
            timers.execute(() -> poll(ByteString.EMPTY, false));
            return false;
          }
          case EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
              EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED -> {
            String how = event.getEventType().name().replace("EVENT_TYPE_WORKFLOW_EXECUTION_", "").toLowerCase();
            timers.execute(() -> end(new SandmanException(SandmanException.Kind.CONFLICT, "the workflow of sandbox "
                + sandboxId + " ended (" + how + "); track it again to resume orchestration")));
            return false;
          }
          default -> {
            // timers, activities, signals: the status they change is published in a memo event of their own
          }
        }
      }
      if (!caughtUp) {
        caughtUp = true;
        if (latest != null) {
          scheduleWarning();
        }
      }
      return true;
    }
  }

  private void failed(Throwable failure, ByteString token, boolean wait) {
    Status.Code code = failure instanceof StatusRuntimeException e ? e.getStatus().getCode() : Status.Code.UNKNOWN;
    synchronized (this) {
      if (closed || code == Status.Code.CANCELLED) {
        return;
      }
    }
    switch (code) {
      case DEADLINE_EXCEEDED -> poll(keepsPlace ? token : ByteString.EMPTY, keepsPlace); // a quiet wait: wait again (or read first)
      case NOT_FOUND -> end(SandmanException.notTracked(sandboxId));
      default -> {
        // the test server's answer to a long poll the history outgrew (read it again at once), or Temporal
        // restarting (try again, slower each time nothing new arrives)
        long delay = code == Status.Code.UNKNOWN && failures == 0 ? 0 : Math.min(10_000, 250L << Math.min(6, failures));
        failures++;
        timers.schedule(() -> poll(ByteString.EMPTY, false), delay, TimeUnit.MILLISECONDS);
      }
    }
  }

  /** The KILLED status is delivered from the completion, the last event, so its position is the end of the story. */
  private static boolean notFinal(SandboxStatus status) {
    return status.state() != SandboxState.KILLED;
  }

  /** Delivers a status, and arms the warning its deadlines call for. Called holding the lock. */
  private void emit(SandboxStatus status, StreamPosition at, boolean snapshot) {
    latest = status;
    latestAt = at;
    listener.onEvent(new StatusEvent(at.toString(), StatusEvent.STATUS, status), snapshot);
    scheduleWarning();
  }

  /** The warning a status calls for: when, and the deadline it warns of; null for none. */
  private record Warning(Instant at, Instant deadline) {}

  private static Warning warningOf(SandboxStatus status) {
    Warning pause = status.state() == SandboxState.RUNNING && status.pauseWarningAt() != null
        ? new Warning(status.pauseWarningAt(), status.pauseDeadline()) : null;
    Warning kill = status.state() != SandboxState.KILLED && status.killWarningAt() != null
        ? new Warning(status.killWarningAt(), status.killDeadline()) : null;
    return pause == null || kill != null && kill.at().isBefore(pause.at()) ? kill : pause;
  }

  /**
   * A warning is due when the latest status's pause (or kill) warning time comes and nothing newer
   * happened; once per deadline, however many statuses share it.
   */
  private void scheduleWarning() {
    if (warning != null) {
      warning.cancel(false);
      warning = null;
    }
    Warning due = warningOf(latest);
    if (latestAt.warned() && due != null) {
      warnedFor = due.deadline();
    }
    if (due == null || due.deadline() == null || due.deadline().equals(warnedFor)) {
      return;
    }
    StreamPosition at = latestAt;
    warning = timers.schedule(() -> warn(at, due.deadline()), Math.max(0, due.at().toEpochMilli() - System.currentTimeMillis()),
        TimeUnit.MILLISECONDS);
  }

  private synchronized void warn(StreamPosition due, Instant deadline) {
    if (closed || !due.equals(latestAt)) {
      return;
    }
    warnedFor = deadline;
    latestAt = due.withWarning();
    listener.onEvent(new StatusEvent(latestAt.toString(), StatusEvent.WARNING, latest), false);
  }

  private void end(Throwable failure) {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (warning != null) {
        warning.cancel(false);
      }
    }
    listener.onEnd(failure);
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (warning != null) {
      warning.cancel(false);
    }
    if (poll != null) {
      poll.cancel(true);
    }
  }
}

