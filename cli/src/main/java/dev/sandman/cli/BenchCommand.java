package dev.sandman.cli;

import dev.sandman.bench.BenchMain;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "bench", description = BenchMain.USAGE)
final class BenchCommand implements Callable<Integer> {
  @picocli.CommandLine.Unmatched List<String> args;

  @Override
  public Integer call() throws Exception {
    return BenchMain.run(args == null ? new String[0] : args.toArray(String[]::new));
  }
}
