package dev.sandman.workflows;

import io.temporal.common.SearchAttributeKey;
import io.temporal.common.SearchAttributes;
import java.util.List;

/** Names shared by the worker and every client (Java or not): see docs/contract.md. */
public final class Sandman {
  private Sandman() {}

  public static final String DEFAULT_TASK_QUEUE = "sandman";
  public static final String WORKFLOW_TYPE = "SandboxWorkflow";
  public static final String WORKFLOW_ID_PREFIX = "sandbox-";

  public static final String SIGNAL_ACTIVITY = "activity";
  /** E2B told of a change (its lifecycle webhook, or a reconciliation): the workflow looks at E2B. */
  public static final String SIGNAL_E2B_NOTICE = "e2bNotice";
  public static final String UPDATE_PAUSE = "pause";
  public static final String UPDATE_RESUME = "resume";
  public static final String UPDATE_KILL = "kill";
  public static final String UPDATE_SET_POLICY = "setPolicy";
  public static final String QUERY_STATUS = "status";
  public static final String UPDATE_HOLD = "hold";
  public static final String UPDATE_RELEASE = "release";
  public static final String SIGNAL_PROJECT_POLICY = "projectPolicy";

  public static final String CREATE_WORKFLOW_TYPE = "CreateSandbox";
  public static final String CREATE_ID_PREFIX = "create-";

  public static final String PROJECT_WORKFLOW_TYPE = "ProjectWorkflow";
  public static final String PROJECT_ID_PREFIX = "project-";
  public static final String SIGNAL_JOIN = "join";
  public static final String SIGNAL_LEAVE = "leave";

  /** The sweep: E2B's sandboxes against the tracked ones (orphans found, states reconciled). */
  public static final String SWEEP_WORKFLOW_TYPE = "SandboxSweep";
  /** The Temporal Schedule that runs the sweep; its runs' workflow ids start with it too. */
  public static final String SWEEP_SCHEDULE_ID = "sandman-sweep";
  /** A sweep run by hand (sandman adopt, POST /v1/sweeps). */
  public static final String SWEEP_BY_HAND_PREFIX = "sandman-sweep-by-hand-";

  public static final SearchAttributeKey<String> SA_STATE = SearchAttributeKey.forKeyword("SandboxState");
  public static final SearchAttributeKey<String> SA_PROJECT_ID = SearchAttributeKey.forKeyword("SandboxProjectId");
  public static final SearchAttributeKey<String> SA_USER_ID = SearchAttributeKey.forKeyword("SandboxUserId");
  public static final SearchAttributeKey<String> SA_TEMPLATE = SearchAttributeKey.forKeyword("SandboxTemplate");

  /** Every custom search attribute the workflow sets; all Keyword. */
  public static final List<SearchAttributeKey<String>> SEARCH_ATTRIBUTES =
      List.of(SA_STATE, SA_PROJECT_ID, SA_USER_ID, SA_TEMPLATE);

  /** E2B ids and app ids: letters, digits and a few separators; no paths, spaces or control chars. */
  public static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");

  public static boolean isValidId(String value) {
    return value != null && ID.matcher(value).matches();
  }

  public static String workflowId(String sandboxId) {
    return WORKFLOW_ID_PREFIX + sandboxId;
  }

  /** The search attributes a sandbox's workflow starts with (setting them later would be billed). */
  public static SearchAttributes startAttributes(SandboxSpec spec) {
    return SearchAttributes.newBuilder()
        .set(SA_STATE, SandboxState.RUNNING.name())
        .set(SA_PROJECT_ID, spec.projectId())
        .set(SA_USER_ID, spec.userId())
        .set(SA_TEMPLATE, spec.template() == null ? "" : spec.template())
        .build();
  }

  public static String projectWorkflowId(String projectId) {
    return PROJECT_ID_PREFIX + projectId;
  }

  /** The sandbox id of a workflow id, or null when the id is not one of ours. */
  public static String sandboxIdOf(String workflowId) {
    return workflowId != null && workflowId.startsWith(WORKFLOW_ID_PREFIX)
        ? workflowId.substring(WORKFLOW_ID_PREFIX.length())
        : null;
  }
}
