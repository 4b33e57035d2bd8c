package dev.sandman.worker;

import com.google.common.util.concurrent.RateLimiter;
import dev.sandman.activities.E2bClient;
import dev.sandman.activities.E2bException;
import dev.sandman.activities.E2bSandbox;
import dev.sandman.workflows.E2bNotice;
import dev.sandman.workflows.E2bView;
import dev.sandman.workflows.Executions;
import dev.sandman.workflows.FailureType;
import dev.sandman.workflows.SandboxSpec;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.Sandman;
import dev.sandman.workflows.StatusMemo;
import dev.sandman.workflows.SweepActivities;
import dev.sandman.workflows.SweepOrder;
import dev.sandman.workflows.SweepReport;
import io.temporal.activity.Activity;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.client.WorkflowClient;
import io.temporal.failure.ApplicationFailure;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sweep: lists E2B's running and paused sandboxes page by page (paced under E2B's rate limit) and
 * holds them against the open sandbox workflows. A tracked sandbox whose E2B state differs from its
 * status, or that E2B no longer lists, gets a notice (its workflow then asks E2B and reconciles, so a
 * stale list changes nothing); an orphan is reported, adopted or killed as ordered.
 */
public final class FleetSweep implements SweepActivities {
  private static final Logger log = LoggerFactory.getLogger(FleetSweep.class);
  static final int PAGE = 100;
  private static final int METADATA_KEPT = 32;

  private final E2bClient e2b;
  private final WorkflowClient temporal;
  private final Predicate<SandboxSpec> track;
  private final SweepConfig config;
  private final Clock clock;

  /** {@code track} starts a sandbox's workflow (true: started, false: running already), as a track does. */
  public FleetSweep(E2bClient e2b, WorkflowClient temporal, Predicate<SandboxSpec> track, SweepConfig config, Clock clock) {
    this.e2b = e2b;
    this.temporal = temporal;
    this.track = track;
    this.config = config;
    this.clock = clock;
  }

  @Override
  public SweepReport sweep(SweepOrder order) {
    String policy = order.orphans() != null ? order.orphans() : config.orphans();
    if (!SweepOrder.isAction(policy)) {
      throw ApplicationFailure.newNonRetryableFailure("orphans must be report, adopt or kill, got '" + policy + "'",
          FailureType.INVALID_ARGUMENT.name());
    }
    Map<String, String> filter = order.metadata() == null ? Map.of() : order.metadata();
    Duration grace = order.grace() != null ? order.grace() : config.grace();
    Tally tally = new Tally(clock.instant(), policy, order.dryRun(), RateLimiter.create(config.e2bRequestsPerSecond()));
    Map<String, WorkflowExecutionInfo> tracked = openSandboxes();
    tally.tracked = tracked.size();
    Set<String> listed = new HashSet<>();
    String token = null;
    do {
      E2bClient.Page page = listPage(filter, token, tally);
      tally.pages++;
      for (E2bSandbox sandbox : page.sandboxes()) {
        listed.add(sandbox.sandboxId());
        WorkflowExecutionInfo info = tracked.get(sandbox.sandboxId());
        if (info != null) {
          reconcile(sandbox, info, tally);
        } else {
          orphan(sandbox, policy, grace, order.dryRun(), tally);
        }
      }
      tally.listed += page.sandboxes().size();
      heartbeat(tally.pages);
      token = page.nextToken() == null || page.nextToken().isEmpty() ? null : page.nextToken();
    } while (token != null);
    if (filter.isEmpty()) { // a filtered list cannot tell what E2B no longer has
      tracked.forEach((sandboxId, info) -> {
        if (!listed.contains(sandboxId)) {
          Optional<SandboxStatus> status = statusOf(info);
          if (status.map(s -> s.state() != SandboxState.KILLED).orElse(true)) {
            tally.missing++;
            tally.item(sandboxId, null, status.map(s -> s.state().name()).orElse(null), "missing", null, null, null, null);
            notice(sandboxId, "gone", tally, order.dryRun());
          }
        }
      });
    }
    SweepReport report = tally.report(clock.instant());
    log.info("sweep: {} E2B sandboxes in {} pages ({} waits on E2B's rate limit), {} tracked; {} reconciled, {} missing; orphans {} ({}): {} young, {} adopted, {} killed, {} refused",
        report.e2bListed(), report.e2bPages(), report.rateLimited(), report.tracked(), report.reconciled(), report.missing(), report.orphans(),
        policy + (order.dryRun() ? ", dry run" : ""), report.young(), report.adopted(), report.killed(), report.refused());
    return report;
  }

  /** The open sandbox workflows by sandbox id (listing them is no billed Action). */
  private Map<String, WorkflowExecutionInfo> openSandboxes() {
    Map<String, WorkflowExecutionInfo> open = new HashMap<>();
    Executions.open(temporal.getWorkflowServiceStubs(), temporal.getOptions().getNamespace(), Executions.SCAN_PAGE, page -> {
      for (WorkflowExecutionInfo info : page) {
        String sandboxId = Sandman.sandboxIdOf(info.getExecution().getWorkflowId());
        if (sandboxId != null && Sandman.WORKFLOW_TYPE.equals(info.getType().getName())) {
          open.put(sandboxId, info);
        }
      }
    });
    return open;
  }

  /** Pages a sweep may wait on E2B's 429 for before it gives up (and Temporal retries it whole, later). */
  static final int WAITS_PER_PAGE = 5;
  private static final Duration LONGEST_WAIT = Duration.ofSeconds(60);

  /**
   * One page; E2B's 429 is waited out here, as long as its Retry-After asks, so a sweep of many pages under
   * a tight limit goes on from the page it reached instead of starting over.
   */
  private E2bClient.Page listPage(Map<String, String> filter, String token, Tally tally) {
    for (int waits = 0; ; waits++) {
      tally.pace.acquire();
      try {
        return e2b.list(List.of(E2bView.RUNNING, E2bView.PAUSED), filter, PAGE, token);
      } catch (E2bException e) {
        if (e.status() == 400) { // E2B refused the filter: no retry makes it take it
          throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), FailureType.INVALID_ARGUMENT.name(), "metadata");
        }
        if (e.status() != 429 || waits == WAITS_PER_PAGE) {
          throw retryLater("E2B list", e);
        }
        tally.rateLimited++;
        Duration wait = e.retryAfter() == null ? Duration.ofSeconds(1) : e.retryAfter();
        sleep(wait.compareTo(LONGEST_WAIT) > 0 ? LONGEST_WAIT : wait, tally.pages);
      }
    }
  }

  private static void sleep(Duration wait, int pages) {
    long until = System.nanoTime() + wait.toNanos();
    try {
      for (long left = wait.toMillis(); left > 0; left = (until - System.nanoTime()) / 1_000_000) {
        heartbeat(pages);
        Thread.sleep(Math.min(left, 5_000));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApplicationFailure.newFailure("the sweep was interrupted", FailureType.E2B_UNAVAILABLE.name());
    }
  }

  /** The state the workflow published (listings of servers without visibility omit the memo: then describe). */
  private Optional<SandboxStatus> statusOf(WorkflowExecutionInfo listed) {
    Optional<SandboxStatus> status = StatusMemo.read(listed.getMemo());
    if (status.isPresent()) {
      return status;
    }
    return Executions.describe(temporal, listed.getExecution().getWorkflowId()).flatMap(info -> StatusMemo.read(info.getMemo()));
  }

  private void reconcile(E2bSandbox sandbox, WorkflowExecutionInfo info, Tally tally) {
    Optional<SandboxStatus> status = statusOf(info);
    if (status.isEmpty()) {
      return; // not published yet: its first look at E2B is on its way
    }
    SandboxState state = status.get().state();
    boolean e2bRunning = E2bView.RUNNING.equals(sandbox.state());
    if (state == SandboxState.PAUSED && e2bRunning || state == SandboxState.RUNNING && !e2bRunning) {
      tally.reconciled++;
      tally.item(sandbox.sandboxId(), sandbox.state(), state.name(), "reconciled", status.get().projectId(),
          status.get().userId(), sandbox.startedAt(), null);
      notice(sandbox.sandboxId(), sandbox.state(), tally, tally.dryRun);
    }
  }

  private void notice(String sandboxId, String type, Tally tally, boolean dryRun) {
    if (dryRun) {
      return;
    }
    try {
      temporal.newUntypedWorkflowStub(Sandman.workflowId(sandboxId))
          .signal(Sandman.SIGNAL_E2B_NOTICE, new E2bNotice("sweep:" + tally.startedAt.getEpochSecond(), type, tally.startedAt));
    } catch (RuntimeException closed) {
      log.debug("sandbox {} closed before its notice", sandboxId);
    }
  }

  private void orphan(E2bSandbox sandbox, String policy, Duration grace, boolean dryRun, Tally tally) {
    tally.orphans++;
    String id = sandbox.sandboxId();
    Map<String, String> metadata = sandbox.metadata() == null ? Map.of() : sandbox.metadata();
    String projectId = firstOf(metadata, config.projectKeys(), config.fallbackProject());
    String userId = firstOf(metadata, config.userKeys(), config.fallbackUser());
    Instant started = sandbox.startedAt();
    if (started != null && started.plus(grace).isAfter(tally.startedAt)) {
      tally.young++;
      tally.item(id, sandbox.state(), null, "young", projectId, userId, started, "started less than " + grace + " ago");
      return;
    }
    switch (policy) {
      case SweepOrder.ADOPT -> adopt(sandbox, projectId, userId, dryRun, tally);
      case SweepOrder.KILL -> kill(sandbox, projectId, userId, dryRun, tally);
      default -> tally.item(id, sandbox.state(), null, "reported", projectId, userId, started, null);
    }
  }

  private void adopt(E2bSandbox sandbox, String projectId, String userId, boolean dryRun, Tally tally) {
    String id = sandbox.sandboxId();
    if (!Sandman.isValidId(id) || !Sandman.isValidId(projectId) || !Sandman.isValidId(userId)) {
      tally.refused(id, sandbox, projectId, userId, "its id, project or user is not a valid id");
      return;
    }
    if (dryRun) {
      tally.item(id, sandbox.state(), null, "would-adopt", projectId, userId, sandbox.startedAt(), null);
      return;
    }
    try {
      track.test(new SandboxSpec(id, projectId, userId, sandbox.templateId(), appMetadata(sandbox.metadata()), null, null, null));
      tally.adopted++;
      tally.item(id, sandbox.state(), SandboxState.RUNNING.name(), "adopted", projectId, userId, sandbox.startedAt(), null);
    } catch (ApplicationFailure refused) {
      tally.refused(id, sandbox, projectId, userId, refused.getOriginalMessage());
    }
  }

  private void kill(E2bSandbox sandbox, String projectId, String userId, boolean dryRun, Tally tally) {
    String id = sandbox.sandboxId();
    if (dryRun) {
      tally.item(id, sandbox.state(), null, "would-kill", projectId, userId, sandbox.startedAt(), null);
      return;
    }
    tally.pace.acquire();
    try {
      e2b.kill(id); // false: gone already, as good
      tally.killed++;
      tally.item(id, sandbox.state(), null, "killed", projectId, userId, sandbox.startedAt(), null);
    } catch (E2bException e) {
      if (e.status() == 429) {
        throw retryLater("E2B kill", e);
      }
      tally.refused(id, sandbox, projectId, userId, e.getMessage());
    }
  }

  /** The app's own metadata, without Sandman's keys, within what a track accepts. */
  private static Map<String, String> appMetadata(Map<String, String> metadata) {
    Map<String, String> kept = new LinkedHashMap<>();
    if (metadata != null) {
      metadata.forEach((key, value) -> {
        if (kept.size() < METADATA_KEPT && !key.startsWith("sandman") && key.length() <= 64 && value != null && value.length() <= 512) {
          kept.put(key, value);
        }
      });
    }
    return kept;
  }

  private static String firstOf(Map<String, String> metadata, List<String> keys, String fallback) {
    for (String key : keys) {
      String value = metadata.get(key);
      if (value != null && !value.isBlank()) {
        return value;
      }
    }
    return fallback;
  }

  /** E2B's refusal: the whole sweep is retried by Temporal, after Retry-After when E2B gave one. */
  private static ApplicationFailure retryLater(String what, E2bException e) {
    ApplicationFailure.Builder failure = ApplicationFailure.newBuilder()
        .setMessage(what + " failed: " + e.getMessage())
        .setType(e.status() == 429 ? FailureType.E2B_RATE_LIMITED.name() : FailureType.E2B_UNAVAILABLE.name());
    if (e.retryAfter() != null) {
      failure.setNextRetryDelay(e.retryAfter());
    }
    return failure.build();
  }

  private static void heartbeat(int pages) {
    try {
      Activity.getExecutionContext().heartbeat(pages);
    } catch (IllegalStateException notAnActivity) {
      // called directly (a test): nothing to report to
    }
  }

  /** The counts and the first items of one sweep. */
  private static final class Tally {
    final Instant startedAt;
    final String policy;
    final boolean dryRun;
    /** This sweep's own pace, so one never starts with a burst saved up while the worker idled. */
    final RateLimiter pace;
    int pages;
    int listed;
    int tracked;
    int reconciled;
    int missing;
    int orphans;
    int young;
    int adopted;
    int killed;
    int refusedCount;
    int rateLimited;
    final List<SweepReport.Item> items = new java.util.ArrayList<>();

    Tally(Instant startedAt, String policy, boolean dryRun, RateLimiter pace) {
      this.startedAt = startedAt;
      this.policy = policy;
      this.dryRun = dryRun;
      this.pace = pace;
    }

    void item(String id, String e2bState, String sandmanState, String outcome, String projectId, String userId,
        Instant started, String detail) {
      if (items.size() < SweepReport.ITEMS_KEPT) {
        items.add(new SweepReport.Item(id, e2bState, sandmanState, outcome, projectId, userId, started, detail));
      }
    }

    void refused(String id, E2bSandbox sandbox, String projectId, String userId, String why) {
      refusedCount++;
      item(id, sandbox.state(), null, "refused", projectId, userId, sandbox.startedAt(), why);
    }

    SweepReport report(Instant finishedAt) {
      return new SweepReport(startedAt, finishedAt, policy, dryRun, pages, listed, tracked, reconciled, missing, orphans,
          young, adopted, killed, refusedCount, rateLimited, List.copyOf(items));
    }
  }
}
