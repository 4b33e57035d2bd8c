package dev.sandman.devserver;

import static org.assertj.core.api.Assertions.assertThat;

import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TestServerLockLogTest {
  static final int TIMERS = 1500;

  @WorkflowInterface
  public interface Ticker {
    @WorkflowMethod
    int tick(int times);
  }

  public static class TickerImpl implements Ticker {
    @Override
    public int tick(int times) {
      for (int i = 0; i < times; i++) {
        Workflow.sleep(Duration.ofMinutes(1));
      }
      return times;
    }
  }

  /** Runs TIMERS one-minute timers through a time-skipping environment; returns the lock log's size after. */
  private static int logSizeAfterTicking(boolean bounded) throws Exception {
    TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance();
    try {
      if (bounded) {
        TestServerLockLog.bound(env);
      }
      env.newWorker("ticks").registerWorkflowImplementationTypes(TickerImpl.class);
      env.start();
      long before = env.currentTimeMillis();
      Ticker ticker = env.getWorkflowClient().newWorkflowStub(Ticker.class,
          WorkflowOptions.newBuilder().setTaskQueue("ticks").setWorkflowId("ticker").build());
      assertThat(ticker.tick(TIMERS)).isEqualTo(TIMERS);
      // time skipping still works: the hours of timers took no wall time
      assertThat(env.currentTimeMillis() - before).isGreaterThanOrEqualTo(Duration.ofMinutes(TIMERS).toMillis());
      WorkflowClient client = env.getWorkflowClient();
      assertThat(client.fetchHistory("ticker").getEvents()).isNotEmpty();
      return TestServerLockLog.size(env);
    } finally {
      env.close();
    }
  }

  @Test
  void theTestServersLockLogGrowsWithEveryTaskUnlessBounded() throws Exception {
    assertThat(logSizeAfterTicking(false)).isGreaterThan(2 * TestServerLockLog.KEEP); // the leak this works around
    assertThat(logSizeAfterTicking(true)).isLessThanOrEqualTo(TestServerLockLog.KEEP);
  }
}
