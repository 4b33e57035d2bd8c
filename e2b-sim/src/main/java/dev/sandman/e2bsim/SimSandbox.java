package dev.sandman.e2bsim;

import java.time.Instant;
import java.util.Map;

/** One simulated sandbox; guarded by the simulator's lock. */
final class SimSandbox {
  enum Phase {
    RUNNING,
    PAUSING,
    PAUSED
  }

  final String sandboxId;
  final String templateId;
  final String alias;
  final String clientId;
  final String envdAccessToken;
  final int cpuCount;
  final int memoryMb;
  final boolean autoPause;
  final Map<String, String> metadata;
  final Instant createdAt;
  Phase phase = Phase.RUNNING;
  /** Start of the current continuous running window (a resume starts a new one). */
  Instant startedAt;
  Instant endAt;
  /** The CPU use its metrics report while running (tests set it: a build, an agent's LLM call). */
  double cpuPercent = 2.0;

  SimSandbox(
      String sandboxId,
      String templateId,
      String alias,
      int cpuCount,
      int memoryMb,
      boolean autoPause,
      Map<String, String> metadata,
      Instant now,
      Instant endAt) {
    this.sandboxId = sandboxId;
    this.templateId = templateId;
    this.alias = alias;
    this.clientId = "sim-client";
    this.envdAccessToken = "sim-envd-" + sandboxId;
    this.cpuCount = cpuCount;
    this.memoryMb = memoryMb;
    this.autoPause = autoPause;
    this.metadata = metadata;
    this.createdAt = now;
    this.startedAt = now;
    this.endAt = endAt;
  }

  /** E2B reports a sandbox that is pausing as paused. */
  String apiState() {
    return phase == Phase.RUNNING ? "running" : "paused";
  }
}
