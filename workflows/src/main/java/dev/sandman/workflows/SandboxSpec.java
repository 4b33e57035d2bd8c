package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * The workflow's input: which sandbox, whose, and its policy (unset policy fields take the defaults).
 * {@code maxEventsPerRun} bounds one run's history before continue-as-new (null: the default).
 * {@code carried} is set only by continue-as-new and holds the whole state of the previous run.
 */
public record SandboxSpec(
    @JsonProperty("sandboxId") String sandboxId,
    @JsonProperty("projectId") String projectId,
    @JsonProperty("userId") String userId,
    @JsonProperty("template") String template,
    @JsonProperty("metadata") Map<String, String> metadata,
    @JsonProperty("policy") Policy policy,
    @JsonProperty("maxEventsPerRun") Integer maxEventsPerRun,
    @JsonProperty("carried") Lifecycle carried) {

  public static final int DEFAULT_MAX_EVENTS_PER_RUN = 3000;
  /** Below this a run could not even hold one pause/resume cycle plus its signals. */
  public static final int MIN_MAX_EVENTS_PER_RUN = 100;

  public static SandboxSpec of(String sandboxId, String projectId, String userId, Policy policy) {
    return new SandboxSpec(sandboxId, projectId, userId, null, null, policy, null, null);
  }

  public SandboxSpec withMaxEventsPerRun(int events) {
    return new SandboxSpec(sandboxId, projectId, userId, template, metadata, policy, events, carried);
  }

  /** The input of the next run: same sandbox, the current policy, the whole state. */
  public SandboxSpec carrying(Lifecycle lifecycle) {
    return new SandboxSpec(
        sandboxId, projectId, userId, template, metadata, lifecycle.policy, maxEventsPerRun, lifecycle);
  }

  public int eventsPerRun() {
    return maxEventsPerRun == null
        ? DEFAULT_MAX_EVENTS_PER_RUN
        : Math.max(MIN_MAX_EVENTS_PER_RUN, maxEventsPerRun);
  }

  /** The policy with every unset field taking its default. */
  public Policy effectivePolicy() {
    return Policy.stack(policy);
  }
}
