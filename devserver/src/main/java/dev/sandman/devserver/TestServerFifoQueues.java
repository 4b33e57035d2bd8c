package dev.sandman.devserver;

import io.temporal.internal.testservice.TestServicesStarter;
import io.temporal.testing.TestWorkflowEnvironment;
import java.lang.reflect.Field;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Makes the task queues of Temporal's Java test server (1.38.0) first in, first out, as the real
 * server's are.
 *
 * <p>Each task queue of the test server keeps the tasks no poller has taken yet in a
 * {@code java.util.PriorityQueue} ordered by priority alone. Every task has the same priority, and a
 * binary heap does not keep insertion order among equals: after each poll the newest task moves to the
 * head, so while the worker has a backlog the task waiting longest can wait until the backlog is gone.
 * Measured with 10,000 open sandboxes and 1,000 to 2,000 signals a second: the workflow tasks of a few
 * idle sandboxes waited 10 to 25 s in the queue while the median waited 0.1 s, and their pauses came that
 * late. Temporal's server matches tasks in order; this swaps each backlog for one that orders equal
 * priorities by arrival (the priority order is kept), so a benchmark or {@code sandman dev} sees the
 * order a real server gives.
 */
public final class TestServerFifoQueues {
  private static final String[] QUEUE_MAPS = {"workflowTaskQueues", "activityTaskQueues", "nexusTaskQueues"};

  private TestServerFifoQueues() {}

  /** Applies to a test environment built by {@link TestWorkflowEnvironment#newInstance}. */
  public static void apply(TestWorkflowEnvironment env) {
    try {
      apply(TestServerInternals.services(env));
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("cannot reach the test server's task queues (Temporal SDK version changed?)", e);
    }
  }

  /** Applies to a test server's services: to the task queues that exist and to every one created later. */
  public static void apply(TestServicesStarter services) {
    try {
      Object store = TestServerInternals.field(services, "workflowStore");
      for (String name : QUEUE_MAPS) {
        Field f = TestServerInternals.declared(store.getClass(), name);
        @SuppressWarnings("unchecked")
        Map<Object, Object> queues = (Map<Object, Object>) f.get(store);
        Fifo fifo = new Fifo();
        queues.forEach((id, queue) -> fifo.mend(queue));
        fifo.putAll(queues);
        f.set(store, fifo);
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("cannot reach the test server's task queues (Temporal SDK version changed?)", e);
    }
  }

  /** The test server's map from task queue id to task queue, mending each queue put into it. */
  static final class Fifo extends HashMap<Object, Object> {
    @Override
    public Object put(Object id, Object queue) {
      mend(queue);
      return super.put(id, queue);
    }

    void mend(Object queue) {
      try {
        Field backlog = TestServerInternals.declared(queue.getClass(), "backlog");
        Object old = backlog.get(queue);
        if (!(old instanceof ArrivalOrder)) {
          @SuppressWarnings("unchecked")
          PriorityQueue<Object> heap = (PriorityQueue<Object>) old;
          ArrivalOrder ordered = new ArrivalOrder(heap.comparator());
          for (Object task = heap.poll(); task != null; task = heap.poll()) {
            ordered.add(task);
          }
          backlog.set(queue, ordered);
        }
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot reach a test server task queue's backlog", e);
      }
    }
  }

  /**
   * A priority queue keeping arrival order among equal priorities. The test server's task queue calls
   * only {@code add}, {@code isEmpty} and {@code poll}, under its own monitor; the rest follows.
   */
  static final class ArrivalOrder extends PriorityQueue<Object> {
    private record Arrival(long seq, Object task) {}

    private final PriorityQueue<Arrival> heap;
    private long next;

    ArrivalOrder(Comparator<Object> byPriority) {
      Comparator<Object> priority = byPriority == null ? (a, b) -> 0 : byPriority;
      this.heap = new PriorityQueue<>(Comparator.<Arrival, Object>comparing(Arrival::task, priority)
          .thenComparingLong(Arrival::seq));
    }

    @Override
    public boolean add(Object task) {
      return offer(task);
    }

    @Override
    public boolean offer(Object task) {
      return heap.add(new Arrival(next++, task));
    }

    @Override
    public Object poll() {
      Arrival first = heap.poll();
      return first == null ? null : first.task();
    }

    @Override
    public Object peek() {
      Arrival first = heap.peek();
      return first == null ? null : first.task();
    }

    @Override
    public int size() {
      return heap.size();
    }

    @Override
    public boolean isEmpty() {
      return heap.isEmpty();
    }

    @Override
    public boolean remove(Object task) {
      return heap.removeIf(a -> a.task() == task);
    }

    @Override
    public void clear() {
      heap.clear();
    }

    @Override
    public java.util.Iterator<Object> iterator() {
      return heap.stream().sorted(heap.comparator()).map(Arrival::task).iterator();
    }
  }
}
