package dev.sandman.worker;

import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Counts the Temporal Cloud Actions a workflow history holds, by kind, by Temporal Cloud's rules: a
 * start (continue-as-new included), a signal, a timer started, an activity scheduled or retried, a
 * search-attribute upsert, an accepted update, a signal sent to another workflow, the local activities
 * of one workflow task. Memo changes and version markers are not billed. Queries and rejected updates
 * leave no event: count them where they are sent.
 */
public final class BillableActions {
  public static final String START = "start";
  public static final String SIGNAL = "signal";
  public static final String TIMER = "timer";
  public static final String ACTIVITY = "activity";
  public static final String UPSERT = "search attributes";
  public static final String UPDATE = "update";
  public static final String LOCAL_ACTIVITY = "local activities";
  public static final String SIGNAL_OUT = "signal sent";

  private BillableActions() {}

  public static Map<String, Long> count(List<HistoryEvent> events) {
    Map<String, Long> actions = new TreeMap<>();
    Set<Long> tasksWithLocalActivities = new HashSet<>();
    for (HistoryEvent event : events) {
      switch (event.getEventType()) {
        case EVENT_TYPE_WORKFLOW_EXECUTION_STARTED -> add(actions, START, 1);
        case EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED -> add(actions, SIGNAL, 1);
        case EVENT_TYPE_TIMER_STARTED -> add(actions, TIMER, 1);
        case EVENT_TYPE_ACTIVITY_TASK_SCHEDULED -> add(actions, ACTIVITY, 1);
        case EVENT_TYPE_ACTIVITY_TASK_STARTED ->
            add(actions, ACTIVITY, Math.max(0, event.getActivityTaskStartedEventAttributes().getAttempt() - 1));
        case EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES -> add(actions, UPSERT, 1);
        case EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED -> add(actions, UPDATE, 1);
        case EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED -> add(actions, SIGNAL_OUT, 1);
        case EVENT_TYPE_MARKER_RECORDED -> {
          if ("LocalActivity".equals(event.getMarkerRecordedEventAttributes().getMarkerName())
              && tasksWithLocalActivities.add(event.getMarkerRecordedEventAttributes().getWorkflowTaskCompletedEventId())) {
            add(actions, LOCAL_ACTIVITY, 1);
          }
        }
        default -> { }
      }
    }
    return actions;
  }

  public static long total(Map<String, Long> actions) {
    return actions.values().stream().mapToLong(Long::longValue).sum();
  }

  /** History events of one kind: on a self-hosted cluster the unit of load. */
  public static long events(List<HistoryEvent> events, EventType type) {
    return events.stream().filter(e -> e.getEventType() == type).count();
  }

  private static void add(Map<String, Long> actions, String kind, long n) {
    if (n > 0) {
      actions.merge(kind, n, Long::sum);
    }
  }
}
