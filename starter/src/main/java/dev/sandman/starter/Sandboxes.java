package dev.sandman.starter;

import dev.sandman.workflows.Hold;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.PolicyPatch;
import dev.sandman.workflows.ProjectStatus;
import dev.sandman.workflows.SandboxStatus;
import java.time.Duration;
import java.time.Instant;

/**
 * What a caller asks of Sandman, whichever way it reaches it: {@link SandmanClient} talks to Temporal;
 * the CLI also speaks the HTTP API, which starts faster. Failures are {@link SandmanException}s either way.
 */
public interface Sandboxes extends AutoCloseable {
  TrackResult track(TrackRequest request);

  TrackResult create(TrackRequest request);

  void touch(String sandboxId, Instant at);

  SandboxStatus status(String sandboxId);

  ListPage list(ListQuery query);

  SandboxStatus pause(String sandboxId, String reason);

  SandboxStatus resume(String sandboxId, String reason);

  SandboxStatus kill(String sandboxId, String reason);

  SandboxStatus setPolicy(String sandboxId, PolicyPatch patch);

  Hold hold(String sandboxId, String reason, Duration ttl);

  SandboxStatus release(String sandboxId, String holdId);

  ProjectStatus setProjectPolicy(String projectId, Policy layer);

  ProjectStatus projectStatus(String projectId);

  Report report(ListQuery filter);

  /** Advice on each project's idle timeout from its recorded activity gaps. */
  IdleAdvice advice(ListQuery filter, double waitCostPerHour);

  /** One sweep of E2B's sandboxes now: orphans reported, adopted or killed, states reconciled. */
  dev.sandman.workflows.SweepReport sweep(dev.sandman.workflows.SweepOrder order);

  Subscription subscribe(String sandboxId, String lastEventId, StatusListener listener);

  @Override
  void close();
}
