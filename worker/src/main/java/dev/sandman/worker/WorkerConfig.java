package dev.sandman.worker;

import dev.sandman.activities.E2bConfig;
import dev.sandman.activities.SafeUrls;
import dev.sandman.workflows.OperatorConfig;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.Sandman;
import java.util.Arrays;
import java.util.List;

/**
 * Everything the worker reads from its environment (see the README's configuration table). The
 * Temporal connection itself comes from Temporal's own variables (TEMPORAL_ADDRESS, ...).
 */
public record WorkerConfig(
    String taskQueue,
    E2bConfig e2b,
    String healthHost,
    int healthPort,
    int workflowCacheSize,
    int maxWorkflowThreads,
    int maxConcurrentWorkflowTasks,
    int maxConcurrentActivities,
    int workflowPollers,
    int activityPollers,
    OperatorConfig operator,
    List<String> webhookUrls,
    List<String> webhookSecrets,
    boolean virtualWorkflowThreads,
    int futexHashSlots,
    SweepConfig sweep,
    PrePauseHook prePause) {

  /** The operator's pre-pause hook: where it is and the secret its events are signed with (null: none). */
  public record PrePauseHook(String url, String secret) {
    @Override
    public String toString() {
      return "PrePauseHook[<set>]";
    }
  }

  /** Longest a pause waits for the hook: under E2B's own timeout's 2-minute grace after the idle deadline. */
  public static final java.time.Duration MAX_PRE_PAUSE_WAIT = java.time.Duration.ofSeconds(90);

  public static WorkerConfig fromEnv(Env env) {
    E2bConfig e2b =
        E2bConfig.fromEnv(env.asMap())
            .withTimeouts(
                env.getDuration("SANDMAN_E2B_REQUEST_TIMEOUT", E2bConfig.DEFAULT_REQUEST_TIMEOUT),
                env.getDuration("SANDMAN_E2B_PAUSE_TIMEOUT", E2bConfig.DEFAULT_PAUSE_TIMEOUT));
    boolean plainHttp = env.getBoolean("SANDMAN_ALLOW_PLAIN_HTTP", false);
    String e2bRefusal = SafeUrls.refusal(e2b.baseUrl(), plainHttp);
    if (e2bRefusal != null) {
      throw new Env.ConfigException("E2B_API_URL: " + e2bRefusal);
    }
    List<String> urls = list(env.get("SANDMAN_WEBHOOK_URLS", ""));
    for (String url : urls) {
      String refusal = SafeUrls.refusal(url, plainHttp);
      if (refusal != null) {
        throw new Env.ConfigException("SANDMAN_WEBHOOK_URLS: " + refusal);
      }
    }
    List<String> secrets = webhookSecrets(env, urls.size());
    OperatorConfig standard = OperatorConfig.standard();
    Policy defaults = new Policy(
        env.getDuration("SANDMAN_DEFAULT_IDLE_TIMEOUT", Policy.DEFAULT_IDLE_TIMEOUT),
        env.getDuration("SANDMAN_DEFAULT_PAUSED_RETENTION", Policy.DEFAULT_PAUSED_RETENTION),
        env.getDuration("SANDMAN_DEFAULT_MAX_LIFETIME", null),
        env.getDuration("SANDMAN_DEFAULT_MAX_HOLD", Policy.DEFAULT_MAX_HOLD));
    List<Policy.FieldError> errors = defaults.validate();
    if (!errors.isEmpty()) {
      throw new Env.ConfigException("SANDMAN_DEFAULT_*: " + errors.get(0).message());
    }
    double price;
    try {
      price = Double.parseDouble(env.get("SANDMAN_PRICE_PER_HOUR", Double.toString(OperatorConfig.E2B_DEFAULT_PRICE_PER_HOUR)));
    } catch (NumberFormatException e) {
      throw new Env.ConfigException("SANDMAN_PRICE_PER_HOUR must be a number of dollars, e.g. 0.109");
    }
    if (price < 0 || price > 1000) {
      throw new Env.ConfigException("SANDMAN_PRICE_PER_HOUR must be between 0 and 1000");
    }
    OperatorConfig operatorSettings = new OperatorConfig(
        defaults,
        env.getDuration("SANDMAN_MIN_IDLE_TIMEOUT", standard.minIdleTimeout()),
        env.getDuration("SANDMAN_MAX_IDLE_TIMEOUT", standard.maxIdleTimeout()),
        env.getDuration("SANDMAN_MAX_PAUSED_RETENTION", standard.maxPausedRetention()),
        env.getDuration("SANDMAN_MAX_HOLD", standard.maxHold()),
        env.getDuration("SANDMAN_PAUSE_WARNING_LEAD", standard.pauseWarningLead()),
        env.getDuration("SANDMAN_KILL_WARNING_LEAD", standard.killWarningLead()),
        !urls.isEmpty(),
        price);
    OperatorConfig operator = operatorSettings;
    PrePauseHook hook = prePauseHook(env, plainHttp);
    if (hook != null) {
      java.time.Duration wait = env.getDuration("SANDMAN_PRE_PAUSE_WAIT", java.time.Duration.ofSeconds(60));
      java.time.Duration deferFor = env.getDuration("SANDMAN_PRE_PAUSE_DEFER", java.time.Duration.ofMinutes(5));
      if (wait.compareTo(java.time.Duration.ofSeconds(1)) < 0 || wait.compareTo(MAX_PRE_PAUSE_WAIT) > 0) {
        throw new Env.ConfigException("SANDMAN_PRE_PAUSE_WAIT must be between 1s and " + MAX_PRE_PAUSE_WAIT.toSeconds() + "s");
      }
      if (deferFor.compareTo(java.time.Duration.ofSeconds(1)) < 0 || deferFor.compareTo(java.time.Duration.ofHours(1)) > 0) {
        throw new Env.ConfigException("SANDMAN_PRE_PAUSE_DEFER must be between 1s and 1h");
      }
      operator = operator.withPrePause(new OperatorConfig.PrePause(wait, deferFor));
    }
    if (operator.minIdleTimeout().compareTo(operator.maxIdleTimeout()) > 0) {
      throw new Env.ConfigException("SANDMAN_MIN_IDLE_TIMEOUT is above SANDMAN_MAX_IDLE_TIMEOUT");
    }
    int maxWorkflowThreads = env.getInt("SANDMAN_MAX_WORKFLOW_THREADS", 2000, 2, 100_000);
    boolean virtual = virtualWorkflowThreads(env);
    return new WorkerConfig(
        env.get("SANDMAN_TASK_QUEUE", Sandman.DEFAULT_TASK_QUEUE),
        e2b,
        env.get("SANDMAN_WORKER_HEALTH_HOST", "127.0.0.1"),
        env.getInt("SANDMAN_WORKER_HEALTH_PORT", 9464, 0, 65535),
        env.getInt("SANDMAN_WORKFLOW_CACHE_SIZE", 2000, 1, 1_000_000),
        maxWorkflowThreads,
        env.getInt("SANDMAN_MAX_CONCURRENT_WORKFLOW_TASKS", 200, 1, 10_000),
        env.getInt("SANDMAN_MAX_CONCURRENT_ACTIVITIES", 200, 1, 10_000),
        env.getInt("SANDMAN_WORKFLOW_POLLERS", 5, 1, 100),
        env.getInt("SANDMAN_ACTIVITY_POLLERS", 5, 1, 100),
        operator,
        urls,
        secrets,
        virtual,
        futexHashSlots(env, maxWorkflowThreads, virtual),
        SweepConfig.fromEnv(env),
        hook);
  }

  /** SANDMAN_PRE_PAUSE_URL and SANDMAN_PRE_PAUSE_SECRET (16+ characters), both or neither. */
  private static PrePauseHook prePauseHook(Env env, boolean plainHttp) {
    String url = env.get("SANDMAN_PRE_PAUSE_URL", null);
    if (url == null || url.isBlank()) {
      return null;
    }
    String refusal = SafeUrls.refusal(url, plainHttp);
    if (refusal != null) {
      throw new Env.ConfigException("SANDMAN_PRE_PAUSE_URL: " + refusal);
    }
    String secret = env.get("SANDMAN_PRE_PAUSE_SECRET", null);
    if (secret == null || secret.length() < 16) {
      throw new Env.ConfigException("SANDMAN_PRE_PAUSE_SECRET (16+ characters) is required with SANDMAN_PRE_PAUSE_URL");
    }
    return new PrePauseHook(url, secret);
  }

  /**
   * SANDMAN_FUTEX_HASH_SLOTS: the size this process's futex hash is grown to on Linux 6.16+ (see {@link FutexHash});
   * {@code auto} sizes it for SANDMAN_MAX_WORKFLOW_THREADS parked threads (none with virtual workflow threads, which
   * park few carriers), {@code 0} leaves the kernel's choice.
   */
  private static int futexHashSlots(Env env, int maxWorkflowThreads, boolean virtual) {
    String value = env.get("SANDMAN_FUTEX_HASH_SLOTS", "auto");
    if (value.equals("auto")) {
      return virtual ? 0 : FutexHash.slotsFor(maxWorkflowThreads);
    }
    try {
      int slots = Integer.parseInt(value);
      if (slots == 0 || FutexHash.isValidSlots(slots)) {
        return slots;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new Env.ConfigException("SANDMAN_FUTEX_HASH_SLOTS must be auto, 0, or a power of two from " + FutexHash.MIN_SLOTS
        + " to " + FutexHash.MAX_SLOTS + ", got '" + value + "'");
  }

  /** SANDMAN_VIRTUAL_WORKFLOW_THREADS: workflow code on virtual threads, which needs a Java 21+ runtime. */
  private static boolean virtualWorkflowThreads(Env env) {
    boolean wanted = env.getBoolean("SANDMAN_VIRTUAL_WORKFLOW_THREADS", false);
    if (wanted && Runtime.version().feature() < 21) {
      throw new Env.ConfigException("SANDMAN_VIRTUAL_WORKFLOW_THREADS=true needs a Java 21+ runtime (this is Java "
          + Runtime.version().feature() + ")");
    }
    return wanted;
  }

  public WorkerConfig withE2b(E2bConfig e2b) {
    return new WorkerConfig(taskQueue, e2b, healthHost, healthPort, workflowCacheSize, maxWorkflowThreads,
        maxConcurrentWorkflowTasks, maxConcurrentActivities, workflowPollers, activityPollers, operator, webhookUrls, webhookSecrets, virtualWorkflowThreads, futexHashSlots, sweep, prePause);
  }

  public WorkerConfig withSweep(SweepConfig newSweep) {
    return new WorkerConfig(taskQueue, e2b, healthHost, healthPort, workflowCacheSize, maxWorkflowThreads,
        maxConcurrentWorkflowTasks, maxConcurrentActivities, workflowPollers, activityPollers, operator, webhookUrls, webhookSecrets, virtualWorkflowThreads, futexHashSlots, newSweep, prePause);
  }

  public WorkerConfig withHealthPort(int port) {
    return new WorkerConfig(taskQueue, e2b, healthHost, port, workflowCacheSize, maxWorkflowThreads,
        maxConcurrentWorkflowTasks, maxConcurrentActivities, workflowPollers, activityPollers, operator, webhookUrls, webhookSecrets, virtualWorkflowThreads, futexHashSlots, sweep, prePause);
  }

  /** The operator's defaults replaced field by field by {@code overrides} (dev mode's flags). */
  public WorkerConfig withDefaults(Policy overrides) {
    if (overrides == null) {
      return this;
    }
    OperatorConfig o = operator;
    OperatorConfig changed = new OperatorConfig(overrides.over(o.defaults()), o.minIdleTimeout(), o.maxIdleTimeout(),
        o.maxPausedRetention(), o.maxHold(), o.pauseWarningLead(), o.killWarningLead(), o.events(), o.pricePerHour(), o.prePause());
    return new WorkerConfig(taskQueue, e2b, healthHost, healthPort, workflowCacheSize, maxWorkflowThreads,
        maxConcurrentWorkflowTasks, maxConcurrentActivities, workflowPollers, activityPollers, changed, webhookUrls, webhookSecrets, virtualWorkflowThreads, futexHashSlots, sweep, prePause);
  }

  @Override
  public String toString() {
    return "WorkerConfig[taskQueue=" + taskQueue + ", e2b=" + e2b + ", webhooks=" + webhookUrls.size()
        + ", webhookSecrets=" + webhookSecrets.size() + " <set>, operator=" + operator + ", sweep=" + sweep
        + ", prePause=" + (prePause == null ? "none" : "<set>") + "]";
  }

  private static List<String> list(String commaSeparated) {
    return Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(u -> !u.isEmpty()).toList();
  }

  /**
   * One signing secret per webhook URL: {@code SANDMAN_WEBHOOK_SECRETS}, in the URLs' order, so a
   * receiver cannot replay an event to another; or one {@code SANDMAN_WEBHOOK_SECRET} for all. 16+ characters each.
   */
  private static List<String> webhookSecrets(Env env, int urls) {
    if (urls == 0) {
      return List.of();
    }
    List<String> perUrl = list(env.get("SANDMAN_WEBHOOK_SECRETS", ""));
    String shared = env.get("SANDMAN_WEBHOOK_SECRET", null);
    if (!perUrl.isEmpty() && perUrl.size() != urls) {
      throw new Env.ConfigException("SANDMAN_WEBHOOK_SECRETS needs one secret per URL of SANDMAN_WEBHOOK_URLS (" + urls
          + " URLs, " + perUrl.size() + " secrets)");
    }
    List<String> secrets = perUrl.isEmpty() ? java.util.Collections.nCopies(urls, shared) : perUrl;
    if (secrets.stream().anyMatch(secret -> secret == null || secret.length() < 16)) {
      throw new Env.ConfigException("SANDMAN_WEBHOOK_SECRET or SANDMAN_WEBHOOK_SECRETS (16+ characters each) is required with SANDMAN_WEBHOOK_URLS");
    }
    return secrets;
  }
}
