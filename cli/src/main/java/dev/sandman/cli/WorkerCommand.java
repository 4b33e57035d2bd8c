package dev.sandman.cli;

import dev.sandman.worker.Env;
import dev.sandman.worker.WorkerMain;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "worker", description = "Run a Sandman worker against the Temporal in TEMPORAL_ADDRESS until SIGTERM.")
final class WorkerCommand implements Callable<Integer> {
  private final Env env;

  WorkerCommand(Env env) {
    this.env = env;
  }

  @Override
  public Integer call() throws Exception {
    return WorkerMain.run(env);
  }
}
