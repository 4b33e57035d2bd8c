package dev.sandman.worker;

import dev.sandman.activities.E2bConfig;
import dev.sandman.workflows.Sandman;

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
    int activityPollers) {

  public static WorkerConfig fromEnv(Env env) {
    E2bConfig e2b =
        E2bConfig.fromEnv(env.asMap())
            .withTimeouts(
                env.getDuration("SANDMAN_E2B_REQUEST_TIMEOUT", E2bConfig.DEFAULT_REQUEST_TIMEOUT),
                env.getDuration("SANDMAN_E2B_PAUSE_TIMEOUT", E2bConfig.DEFAULT_PAUSE_TIMEOUT));
    return new WorkerConfig(
        env.get("SANDMAN_TASK_QUEUE", Sandman.DEFAULT_TASK_QUEUE),
        e2b,
        env.get("SANDMAN_WORKER_HEALTH_HOST", "127.0.0.1"),
        env.getInt("SANDMAN_WORKER_HEALTH_PORT", 9464, 0, 65535),
        env.getInt("SANDMAN_WORKFLOW_CACHE_SIZE", 2000, 1, 1_000_000),
        env.getInt("SANDMAN_MAX_WORKFLOW_THREADS", 2000, 2, 100_000),
        env.getInt("SANDMAN_MAX_CONCURRENT_WORKFLOW_TASKS", 200, 1, 10_000),
        env.getInt("SANDMAN_MAX_CONCURRENT_ACTIVITIES", 200, 1, 10_000),
        env.getInt("SANDMAN_WORKFLOW_POLLERS", 5, 1, 100),
        env.getInt("SANDMAN_ACTIVITY_POLLERS", 5, 1, 100));
  }

  public WorkerConfig withE2b(E2bConfig e2b) {
    return new WorkerConfig(taskQueue, e2b, healthHost, healthPort, workflowCacheSize, maxWorkflowThreads,
        maxConcurrentWorkflowTasks, maxConcurrentActivities, workflowPollers, activityPollers);
  }

  public WorkerConfig withHealthPort(int port) {
    return new WorkerConfig(taskQueue, e2b, healthHost, port, workflowCacheSize, maxWorkflowThreads,
        maxConcurrentWorkflowTasks, maxConcurrentActivities, workflowPollers, activityPollers);
  }
}
