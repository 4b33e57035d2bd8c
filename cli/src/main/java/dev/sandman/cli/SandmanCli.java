package dev.sandman.cli;

import dev.sandman.starter.ListQuery;
import dev.sandman.starter.SandmanException;
import dev.sandman.starter.TrackRequest;
import dev.sandman.starter.TrackResult;
import dev.sandman.worker.Env;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.PolicyPatch;
import dev.sandman.workflows.SandboxState;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code sandman} command. Client commands talk to Temporal through the standard environment
 * (TEMPORAL_ADDRESS, ...); {@code serve}, {@code worker}, {@code dev} and {@code e2b-sim} run servers.
 * Exit codes: 0 done, 2 bad input, 3 not tracked, 4 impossible in this state, 5 E2B failed,
 * 6 Temporal unavailable, 1 anything else.
 */
@Command(
    name = "sandman",
    mixinStandardHelpOptions = true,
    version = "sandman 0.1.0",
    description = "Durable lifecycle orchestration for E2B sandboxes, on Temporal.",
    subcommands = {ServeCommand.class, WorkerCommand.class, DevCommand.class, E2bSimCommand.class, HealthcheckCommand.class, BenchCommand.class, E2bWebhookCommand.class,
        CommandLine.HelpCommand.class})
public final class SandmanCli {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int BAD_INPUT = 2;
  static final int NOT_FOUND = 3;
  static final int CONFLICT = 4;
  static final int E2B_FAILED = 5;
  static final int UNAVAILABLE = 6;

  @Option(names = "--json", scope = CommandLine.ScopeType.INHERIT, description = "Print JSON instead of tables.")
  boolean json;

  private final Env env;
  private final PrintStream out;
  private Connection connection;

  SandmanCli(Env env, PrintStream out) {
    this.env = env;
    this.out = out;
  }

  @Option(names = Logging.VERBOSE, scope = CommandLine.ScopeType.INHERIT,
      description = "Log to stderr at INFO (commands log only warnings; dev mode logs to .tools/dev/dev.log).")
  boolean verbose;

  public static void main(String[] args) {
    Env env = Env.system();
    Path log = Logging.configure(args, env);
    if (log != null) {
      System.setProperty(DevCommand.LOG_FILE_PROPERTY, log.toString());
    }
    System.exit(run(env, System.out, System.err, args));
  }

  static int run(Env env, PrintStream out, PrintStream err, String... args) {
    SandmanCli cli = new SandmanCli(env, out);
    CommandLine commandLine = new CommandLine(cli, new CommandLine.IFactory() {
      @Override
      public <K> K create(Class<K> type) throws Exception {
        if (type == ServeCommand.class || type == WorkerCommand.class || type == DevCommand.class || type == E2bSimCommand.class) {
          return type.getDeclaredConstructor(Env.class).newInstance(env);
        }
        return CommandLine.defaultFactory().create(type);
      }
    });
    commandLine.setOut(new java.io.PrintWriter(out, true));
    commandLine.setErr(new java.io.PrintWriter(err, true));
    commandLine.setExecutionExceptionHandler((e, line, parsed) -> {
      int code = exitCode(e);
      String message = e.getMessage() == null ? e.toString() : e.getMessage();
      if (code == UNAVAILABLE && cli.connection != null && !message.contains(cli.connection.where)) {
        message = cli.connection.where + " is unavailable (" + message + "): " + cli.connection.fix;
      }
      err.println("sandman: " + message);
      return code;
    });
    try {
      return commandLine.execute(args);
    } finally {
      if (cli.connection != null) {
        cli.connection.close();
      }
    }
  }

  static int exitCode(Throwable e) {
    if (e instanceof SandmanException s) {
      return switch (s.kind()) {
        case INVALID_ARGUMENT -> BAD_INPUT;
        case NOT_FOUND -> NOT_FOUND;
        case CONFLICT -> CONFLICT;
        case E2B_FAILED -> E2B_FAILED;
        case UNAVAILABLE -> UNAVAILABLE;
      };
    }
    if (e instanceof Env.ConfigException || e instanceof IllegalArgumentException) {
      return BAD_INPUT;
    }
    return FAILED;
  }

  private Connection connection() {
    if (connection == null) {
      connection = Connection.open(env);
    }
    return connection;
  }

  private Output output() {
    return new Output(out, json);
  }

  // ---- client commands --------------------------------------------------------------------

  @Command(name = "track", description = "Track a sandbox (or create one through E2B with --template and no id).")
  int track(
      @Parameters(arity = "0..1", paramLabel = "SANDBOX_ID") String sandboxId,
      @Option(names = "--project", paramLabel = "PROJECT", required = true) String projectId,
      @Option(names = "--user", paramLabel = "USER", required = true) String userId,
      @Option(names = "--template", paramLabel = "TEMPLATE") String template,
      @Option(names = "--meta", paramLabel = "KEY=VALUE", description = "key=value, repeatable") Map<String, String> metadata,
      @Option(names = "--idle-timeout", paramLabel = "DURATION", description = "e.g. PT10M") String idleTimeout,
      @Option(names = "--paused-retention", paramLabel = "DURATION", description = "e.g. P30D") String retention,
      @Option(names = "--max-lifetime", paramLabel = "DURATION", description = "e.g. P7D") String lifetime) {
    Policy policy = idleTimeout == null && retention == null && lifetime == null ? null
        : new Policy(duration("--idle-timeout", idleTimeout), duration("--paused-retention", retention), duration("--max-lifetime", lifetime));
    TrackRequest request = new TrackRequest(sandboxId, projectId, userId, template,
        metadata == null ? null : new LinkedHashMap<>(metadata), policy);
    TrackResult result = sandboxId == null ? connection().client.create(request) : connection().client.track(request);
    if (!json) {
      out.println(result.created() ? "tracking " + result.status().sandboxId() : result.status().sandboxId() + " was already tracked");
    }
    output().status(result.status());
    return OK;
  }

  @Command(name = "touch", description = "Record activity (pushes the idle deadline back; wakes a paused sandbox).")
  int touch(@Parameters(paramLabel = "SANDBOX_ID") String sandboxId,
      @Option(names = "--at", paramLabel = "TIME", description = "RFC 3339 time of the activity (default now)") String at) {
    connection().client.touch(sandboxId, at == null ? null : instant("--at", at));
    output().message("activity recorded for " + sandboxId, Map.of("sandboxId", sandboxId, "accepted", true));
    return OK;
  }

  @Command(name = "status", description = "Show a sandbox's state, deadlines, policy and recent transitions.")
  int status(@Parameters(paramLabel = "SANDBOX_ID") String sandboxId) {
    output().status(connection().client.status(sandboxId));
    return OK;
  }

  @Command(name = "watch", description = "Print a sandbox's changes as they happen (its event stream), until it is killed or Ctrl-C.")
  int watch(@Parameters(paramLabel = "SANDBOX_ID") String sandboxId,
      @Option(names = "--after", paramLabel = "EVENT_ID", description = "resume after this event id") String after) throws InterruptedException {
    java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
    Throwable[] failure = new Throwable[1];
    Output output = output();
    try (dev.sandman.starter.Subscription s = connection().client.subscribe(sandboxId, after, new dev.sandman.starter.StatusListener() {
      @Override
      public void onEvent(dev.sandman.starter.StatusEvent event) {
        output.event(event);
      }

      @Override
      public void onEnd(Throwable why) {
        failure[0] = why;
        ended.countDown();
      }
    })) {
      ended.await();
    }
    if (failure[0] instanceof RuntimeException e) {
      throw e;
    }
    return OK;
  }

  @Command(name = "list", description = "List sandboxes by project, user and/or state.")
  int list(
      @Option(names = "--project", paramLabel = "PROJECT") String projectId,
      @Option(names = "--user", paramLabel = "USER") String userId,
      @Option(names = "--state", paramLabel = "STATE", description = "RUNNING, PAUSING, PAUSED, RESUMING or KILLED") String state,
      @Option(names = "--page-size", paramLabel = "N", defaultValue = "50") int pageSize,
      @Option(names = "--page-token", paramLabel = "TOKEN") String pageToken) {
    SandboxState parsed = null;
    if (state != null) {
      try {
        parsed = SandboxState.valueOf(state.toUpperCase());
      } catch (IllegalArgumentException e) {
        throw SandmanException.invalid("state", "--state must be one of RUNNING, PAUSING, PAUSED, RESUMING, KILLED");
      }
    }
    output().page(connection().client.list(new ListQuery(projectId, userId, parsed, pageSize, pageToken)));
    return OK;
  }

  @Command(name = "pause", description = "Pause now; returns once PAUSED.")
  int pause(@Parameters(paramLabel = "SANDBOX_ID") String sandboxId, @Option(names = "--reason", paramLabel = "TEXT") String reason) {
    output().status(connection().client.pause(sandboxId, reason));
    return OK;
  }

  @Command(name = "resume", description = "Resume now; returns once RUNNING.")
  int resume(@Parameters(paramLabel = "SANDBOX_ID") String sandboxId, @Option(names = "--reason", paramLabel = "TEXT") String reason) {
    output().status(connection().client.resume(sandboxId, reason));
    return OK;
  }

  @Command(name = "kill", description = "Kill the sandbox; returns once KILLED.")
  int kill(@Parameters(paramLabel = "SANDBOX_ID") String sandboxId, @Option(names = "--reason", paramLabel = "TEXT") String reason) {
    output().status(connection().client.kill(sandboxId, reason));
    return OK;
  }

  @Command(name = "policy", description = "Change a sandbox's policy; deadlines move at once.")
  int policy(
      @Parameters(paramLabel = "SANDBOX_ID") String sandboxId,
      @Option(names = "--idle-timeout", paramLabel = "DURATION") String idleTimeout,
      @Option(names = "--paused-retention", paramLabel = "DURATION") String retention,
      @Option(names = "--max-lifetime", paramLabel = "DURATION") String lifetime,
      @Option(names = "--no-max-lifetime", description = "remove the lifetime limit") boolean noLifetime,
      @Option(names = "--busy-cpu-percent", paramLabel = "PERCENT",
          description = "not idle while E2B's CPU metric stays at or above it (0: off)") Integer busyCpuPercent,
      @Option(names = "--max-busy", paramLabel = "DURATION", description = "longest a busy sandbox's pause is put off") String maxBusy) {
    if (idleTimeout == null && retention == null && lifetime == null && !noLifetime && busyCpuPercent == null && maxBusy == null) {
      throw SandmanException.invalid("policy",
          "give at least one of --idle-timeout, --paused-retention, --max-lifetime, --no-max-lifetime, --busy-cpu-percent, --max-busy");
    }
    PolicyPatch patch = new PolicyPatch(duration("--idle-timeout", idleTimeout), duration("--paused-retention", retention),
        duration("--max-lifetime", lifetime), noLifetime ? Boolean.TRUE : null, null, busyCpuPercent, duration("--max-busy", maxBusy));
    output().status(connection().client.setPolicy(sandboxId, patch));
    return OK;
  }

  @Command(name = "hold", description = "Keep a sandbox awake (waking it if paused) for --ttl, capped by its maxHold.")
  int hold(@Parameters(paramLabel = "SANDBOX_ID") String sandboxId,
      @Option(names = "--ttl", paramLabel = "DURATION", required = true, description = "e.g. PT30M") String ttl,
      @Option(names = "--reason", paramLabel = "TEXT") String reason) {
    dev.sandman.workflows.Hold hold = connection().client.hold(sandboxId, reason, duration("--ttl", ttl));
    output().message("hold " + hold.holdId() + " until " + hold.expiresAt(), hold);
    return OK;
  }

  @Command(name = "release", description = "End a keep-awake hold early.")
  int release(@Parameters(index = "0", paramLabel = "SANDBOX_ID") String sandboxId,
      @Parameters(index = "1", paramLabel = "HOLD_ID") String holdId) {
    output().status(connection().client.release(sandboxId, holdId));
    return OK;
  }

  @Command(name = "project-policy", description = "Show or replace a project's policy layer (applies to its sandboxes at once).")
  int projectPolicy(@Parameters(paramLabel = "PROJECT_ID") String projectId,
      @Option(names = "--idle-timeout", paramLabel = "DURATION") String idleTimeout,
      @Option(names = "--paused-retention", paramLabel = "DURATION") String retention,
      @Option(names = "--max-lifetime", paramLabel = "DURATION") String lifetime,
      @Option(names = "--max-hold", paramLabel = "DURATION") String maxHold,
      @Option(names = "--busy-cpu-percent", paramLabel = "PERCENT") Integer busyCpuPercent,
      @Option(names = "--max-busy", paramLabel = "DURATION") String maxBusy,
      @Option(names = "--clear", description = "remove the project's layer") boolean clear) {
    dev.sandman.workflows.ProjectStatus status;
    if (clear) {
      status = connection().client.setProjectPolicy(projectId, null);
    } else if (idleTimeout == null && retention == null && lifetime == null && maxHold == null && busyCpuPercent == null
        && maxBusy == null) {
      status = connection().client.projectStatus(projectId);
    } else {
      status = connection().client.setProjectPolicy(projectId, new Policy(duration("--idle-timeout", idleTimeout),
          duration("--paused-retention", retention), duration("--max-lifetime", lifetime), duration("--max-hold", maxHold),
          busyCpuPercent, duration("--max-busy", maxBusy)));
    }
    output().message("project " + status.projectId() + ": policy " + Output.policy(status.policy())
        + (status.sandboxes() == null ? "" : ", " + Output.count(status.sandboxes(), "open sandbox", "open sandboxes")), status);
    return OK;
  }

  @Command(name = "adopt", description = "Sweep E2B's sandboxes now: track the orphans (no workflow) among them, "
      + "with project and user from their metadata; the way in from a cron table. Tracked ones whose state differs are reconciled.")
  int adopt(
      @Option(names = "--all", description = "every orphan") boolean all,
      @Option(names = "--metadata", paramLabel = "KEY=VALUE", description = "only sandboxes with this E2B metadata (repeatable)")
          java.util.Map<String, String> metadata,
      @Option(names = "--dry-run", description = "say what would be adopted, change nothing") boolean dryRun,
      @Option(names = "--grace", paramLabel = "DURATION", description = "leave orphans started less than this ago (default: the worker's)")
          String grace,
      @Option(names = "--kill", description = "kill the orphans instead of adopting them") boolean kill) {
    if (all == (metadata != null && !metadata.isEmpty())) {
      throw SandmanException.invalid("metadata", "give --all, or --metadata KEY=VALUE (repeatable), not both");
    }
    dev.sandman.workflows.SweepReport report = connection().client.sweep(new dev.sandman.workflows.SweepOrder(
        kill ? dev.sandman.workflows.SweepOrder.KILL : dev.sandman.workflows.SweepOrder.ADOPT,
        metadata == null ? java.util.Map.of() : metadata, dryRun, duration("--grace", grace)));
    output().sweep(report);
    return OK;
  }

  @Command(name = "advise", description = "The idle timeout (1-60 min) that costs each project least, from its recorded activity gaps.")
  int advise(@Option(names = "--project", paramLabel = "PROJECT") String projectId,
      @Option(names = "--wait-cost", paramLabel = "DOLLARS_PER_HOUR", description = "a user's time while a sandbox resumes (default 30)")
          Double waitCost) {
    dev.sandman.starter.IdleAdvice advice = connection().client.advice(
        new ListQuery(projectId, null, null, ListQuery.MAX_PAGE_SIZE, null),
        waitCost == null ? dev.sandman.starter.IdleAdvice.DEFAULT_WAIT_COST_PER_HOUR : waitCost);
    output().advice(advice);
    return OK;
  }

  @Command(name = "report", description = "Running and paused time, cost and savings by project and user.")
  int report(@Option(names = "--project", paramLabel = "PROJECT") String projectId, @Option(names = "--user", paramLabel = "USER") String userId) {
    dev.sandman.starter.Report report = connection().client.report(new ListQuery(projectId, userId, null, ListQuery.MAX_PAGE_SIZE, null));
    if (json) {
      output().json(report);
      return OK;
    }
    java.util.List<java.util.List<String>> rows = new java.util.ArrayList<>();
    for (dev.sandman.starter.Report.Row row : report.rows()) {
      rows.add(reportRow(row.projectId(), row.userId(), row));
    }
    rows.add(reportRow("TOTAL", "", report.total()));
    output().table(java.util.List.of("PROJECT", "USER", "SANDBOXES", "RUN/PAUSED/KILLED", "RUNNING H", "PAUSED H", "COST $", "SAVED $"), rows);
    return OK;
  }

  private static java.util.List<String> reportRow(String project, String user, dev.sandman.starter.Report.Row row) {
    return java.util.List.of(project, user, Integer.toString(row.sandboxes()), row.running() + "/" + row.paused() + "/" + row.killed(),
        String.format("%.2f", row.runningHours()), String.format("%.2f", row.pausedHours()),
        String.format("%.4f", row.cost()), String.format("%.4f", row.savedByPausing()));
  }

  static Duration duration(String option, String text) {
    return parse(option, text, Duration::parse, "an ISO-8601 duration like PT10M");
  }

  static Instant instant(String option, String text) {
    return parse(option, text, t -> OffsetDateTime.parse(t).toInstant(), "an RFC 3339 time like 2026-01-02T03:04:05Z");
  }

  private static <T> T parse(String option, String text, Function<String, T> parser, String expected) {
    if (text == null) {
      return null;
    }
    try {
      return parser.apply(text);
    } catch (DateTimeParseException e) {
      throw SandmanException.invalid(option, option + " must be " + expected + ", got '" + text + "'");
    }
  }
}
