package dev.sandman.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import dev.sandman.worker.Env;
import dev.sandman.workflows.Policy;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** What a person reads: durations, policies and counts as words; a command's logs out of its way. */
class OutputTest {
  @Test
  void durationsPoliciesAndCountsReadAsWords() {
    assertThat(Output.duration(Duration.ofDays(30))).isEqualTo("30d");
    assertThat(Output.duration(Duration.ofMinutes(150))).isEqualTo("2h30m");
    assertThat(Output.duration(Duration.ofSeconds(45))).isEqualTo("45s");
    assertThat(Output.duration(Duration.ZERO)).isEqualTo("0s");
    assertThat(Output.policy(new Policy(Duration.ofMinutes(5), Duration.ofDays(30), null, Duration.ofHours(2))))
        .isEqualTo("idle 5m, paused retention 30d, max hold 2h");
    assertThat(Output.policy(null)).isEqualTo("(operator defaults)");
    assertThat(Output.count(1, "open sandbox", "open sandboxes")).isEqualTo("1 open sandbox");
    assertThat(Output.count(2, "open sandbox", "open sandboxes")).isEqualTo("2 open sandboxes");
  }

  @Test
  void aClientCommandLogsOnlyWarningsUnlessVerbose() {
    Logger root = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Level before = root.getLevel();
    try {
      Logging.configure(new String[] {"status", "sb1", "--verbose"}, new Env(Map.of()));
      assertThat(root.getLevel()).isEqualTo(before);
      Logging.configure(new String[] {"serve"}, new Env(Map.of()));
      assertThat(root.getLevel()).isEqualTo(before);
      Logging.configure(new String[] {"--json", "status", "sb1"}, new Env(Map.of()));
      assertThat(root.getLevel()).isEqualTo(Level.WARN);
    } finally {
      root.setLevel(before);
    }
  }

  @Test
  void aStatusWithHoldsKeepsItsLabelColumnNarrow() {
    java.time.Instant now = java.time.Instant.now();
    var holds = java.util.List.of(new dev.sandman.workflows.Hold("hold-7f3a9c2e-1b4d-4e8f-9a6b-5c3d2e1f0a9b", "npm install", now, now.plusSeconds(1800)));
    var status = new dev.sandman.workflows.SandboxStatus("sb1", "p1", "u1", null, null, dev.sandman.workflows.SandboxState.RUNNING, now, now,
        now, now.plusSeconds(600), null, null, null, Policy.stack((Policy) null), new dev.sandman.workflows.Counters(0, 0, 0, 0, 1, 1),
        java.util.List.of(), null, null, null, holds, null, null, null, 0, null, null, null);
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    new Output(new java.io.PrintStream(bytes, true), false).status(status);
    String text = bytes.toString();
    assertThat(text).contains("hold-7f3a9c2e-1b4d-4e8f-9a6b-5c3d2e1f0a9b until").contains("npm install");
    for (String line : text.split("\n")) {
      if (line.startsWith("sandbox ")) {
        assertThat(line.indexOf("sb1")).as("where values begin").isLessThanOrEqualTo(16);
      }
    }
  }
}
