package dev.sandman.cli;

import dev.sandman.e2bsim.E2bSimulator;
import dev.sandman.worker.Env;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "e2b-sim", description = "Run the E2B simulator (E2B's API on loopback, with fault injection under /_sim).")
final class E2bSimCommand implements Callable<Integer> {
  private final Env env;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "3000") int port;
  @Option(names = "--api-key", description = "Accept only this key (default: any key starting with e2b_)") String apiKey;
  @Option(names = "--pause-ms-per-gib", defaultValue = "100", description = "Simulated snapshot time") long pauseMillisPerGiB;
  @Option(names = "--max-running", defaultValue = "PT24H", description = "Cap on continuous running time") String maxRunning;

  E2bSimCommand(Env env) {
    this.env = env;
  }

  @Override
  public Integer call() throws Exception {
    E2bSimulator sim = new E2bSimulator(E2bSimulator.Options.defaults()
        .withApiKey(apiKey)
        .withPauseMillisPerGiB(pauseMillisPerGiB)
        .withMaxRunningLength(SandmanCli.duration("--max-running", maxRunning))).start(port);
    System.out.println("E2B simulator on " + sim.url() + " (E2B_API_URL=" + sim.url() + ")");
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      sim.close();
      stopped.countDown();
    }));
    stopped.await();
    return 0;
  }
}
