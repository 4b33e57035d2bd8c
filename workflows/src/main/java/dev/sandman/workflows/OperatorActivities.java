package dev.sandman.workflows;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Worker-side facts the workflow needs, read through local activities so replay sees the same. */
@ActivityInterface
public interface OperatorActivities {
  @ActivityMethod(name = "OperatorConfig")
  OperatorConfig operatorConfig();

  /** Signal-with-start the project's workflow with "join" for this sandbox (runs that keep project members). */
  @ActivityMethod(name = "JoinProject")
  void joinProject(String projectId, String sandboxId);

  /** The project's policy layer as its workflow published it (null: none), read without a billed Action. */
  @ActivityMethod(name = "ProjectPolicy")
  Policy projectPolicy(String projectId);

  /**
   * Sends {@code layer} to every open sandbox of the project, found through visibility (no membership
   * list to keep): one signal each. A regular activity, heartbeating, since a project may be large.
   */
  @ActivityMethod(name = "PushProjectPolicy")
  ProjectPush pushProjectPolicy(String projectId, Policy layer);

  /**
   * Starts the sandbox's workflow as a track does. True if this call started it, false if it was
   * running already; a closed workflow holding the id (a sandbox Sandman killed) is refused, typed
   * {@link FailureType#INVALID_STATE}.
   */
  @ActivityMethod(name = "TrackSandbox")
  boolean track(SandboxSpec spec);
}
