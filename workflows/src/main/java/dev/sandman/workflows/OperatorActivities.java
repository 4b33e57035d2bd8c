package dev.sandman.workflows;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Worker-side facts the workflow needs, read through local activities so replay sees the same. */
@ActivityInterface
public interface OperatorActivities {
  @ActivityMethod(name = "OperatorConfig")
  OperatorConfig operatorConfig();

  /** Signal-with-start the project's workflow with "join" for this sandbox. */
  @ActivityMethod(name = "JoinProject")
  void joinProject(String projectId, String sandboxId);
}
