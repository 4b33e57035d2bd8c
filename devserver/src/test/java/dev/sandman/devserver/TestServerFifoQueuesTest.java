package dev.sandman.devserver;

import static org.assertj.core.api.Assertions.assertThat;

import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.WorkerOptions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TestServerFifoQueuesTest {
  static final int BACKLOG = 60;
  static final ConcurrentLinkedQueue<Integer> ran = new ConcurrentLinkedQueue<>();

  @WorkflowInterface
  public interface Numbered {
    @WorkflowMethod
    int run(int n);
  }

  public static class NumberedImpl implements Numbered {
    @Override
    public int run(int n) {
      if (!Workflow.isReplaying()) {
        ran.add(n);
      }
      return n;
    }
  }

  /** Starts BACKLOG workflows with no worker polling, then a worker taking one task at a time: the order it ran them. */
  private static List<Integer> orderTakenFromABacklog(boolean fifo) throws Exception {
    ran.clear();
    TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance(TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    try {
      if (fifo) {
        TestServerFifoQueues.apply(env);
      }
      // two slots: one is held by the sticky queue's poller (empty here: each workflow ends in its first task)
      env.newWorker("numbers", WorkerOptions.newBuilder().setMaxConcurrentWorkflowTaskExecutionSize(2).build())
          .registerWorkflowImplementationTypes(NumberedImpl.class);
      WorkflowClient client = env.getWorkflowClient();
      List<Numbered> started = new ArrayList<>();
      for (int n = 0; n < BACKLOG; n++) {
        Numbered workflow = client.newWorkflowStub(Numbered.class,
            WorkflowOptions.newBuilder().setTaskQueue("numbers").setWorkflowId("n" + n).build());
        WorkflowClient.start(workflow::run, n);
        started.add(workflow);
      }
      env.start(); // the backlog of first workflow tasks is there before anyone polls
      for (int n = 0; n < BACKLOG; n++) {
        assertThat(client.newUntypedWorkflowStub("n" + n).getResult(20, java.util.concurrent.TimeUnit.SECONDS, Integer.class)).isEqualTo(n);
      }
      return List.copyOf(ran);
    } finally {
      env.close();
    }
  }

  /** How far from its place in arrival order the worst task was taken. */
  private static int displacement(List<Integer> taken) {
    int worst = 0;
    for (int position = 0; position < taken.size(); position++) {
      worst = Math.max(worst, Math.abs(taken.get(position) - position));
    }
    return worst;
  }

  @Test
  void aBacklogIsTakenInArrivalOrder() throws Exception {
    List<Integer> arrival = IntStream.range(0, BACKLOG).boxed().toList();
    List<Integer> unmended = orderTakenFromABacklog(false);
    assertThat(unmended).containsExactlyInAnyOrderElementsOf(arrival);
    assertThat(displacement(unmended)).isGreaterThan(BACKLOG / 4); // what this works around: the newest jump ahead
    List<Integer> mended = orderTakenFromABacklog(true);
    assertThat(mended).containsExactlyInAnyOrderElementsOf(arrival);
    assertThat(displacement(mended)).as("taken in order %s", mended).isLessThanOrEqualTo(1); // two slots may swap neighbours
  }

  @Test
  void keepsPriorityOrderAndArrivalWithinAPriority() {
    TestServerFifoQueues.ArrivalOrder queue = new TestServerFifoQueues.ArrivalOrder((a, b) -> Integer.compare((int) a / 10, (int) b / 10));
    for (int task : new int[] {31, 5, 32, 1, 7, 33, 2}) {
      queue.add(task);
    }
    List<Object> taken = new ArrayList<>();
    for (Object task = queue.poll(); task != null; task = queue.poll()) {
      taken.add(task);
    }
    assertThat(taken).containsExactly(5, 1, 7, 2, 31, 32, 33);
    assertThat(queue.isEmpty()).isTrue();
  }
}
