package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.workflows.CreateSandboxWorkflowImpl;
import dev.sandman.workflows.SandboxWorkflowImpl;
import dev.sandman.workflows.SandmanJson;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays every committed history against the current workflow code: a change that would break
 * running workflows (a new command, a reordered activity) fails here. See the README on versioning.
 */
class ReplayTest {
  @TestFactory
  Stream<DynamicTest> everyRecordedHistoryReplays() throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(HistoryRecorder.DIR)) {
      files = list.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(3);
    return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
      WorkflowExecutionHistory history = WorkflowExecutionHistory.fromJson(Files.readString(file));
      try (TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance(
          TestEnvironmentOptions.newBuilder()
              .setWorkflowClientOptions(WorkflowClientOptions.newBuilder().setDataConverter(SandmanJson.dataConverter()).build())
              .build())) {
        WorkflowReplayer.replayWorkflowExecution(history, env, SandboxWorkflowImpl.class, CreateSandboxWorkflowImpl.class,
            dev.sandman.workflows.SweepWorkflowImpl.class);
      }
    }));
  }
}
