package dev.sandman.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run takes minutes and rewrites its results: help and bad arguments must do neither. */
class BenchMainTest {
  @TempDir
  Path dir;

  @Test
  void helpPrintsUsageAndRunsNothing() throws Exception {
    Path out = dir.resolve("results");
    assertThat(BenchMain.run("--help", "--out", out.toString())).isZero();
    assertThat(BenchMain.run("scale", "-h")).isZero();
    assertThat(Files.exists(out)).isFalse();
  }

  @Test
  void badArgumentsAreRefusedBeforeAnythingRuns() throws Exception {
    Path out = dir.resolve("results");
    String o = out.toString();
    assertThat(BenchMain.refusal(new String[] {"costs", "--out", o})).contains("no benchmark 'costs'");
    assertThat(BenchMain.refusal(new String[] {"cost", "--shards", "3", "--out", o})).contains("unknown argument '--shards'");
    assertThat(BenchMain.refusal(new String[] {"cost", "--sandboxes", "many", "--out", o})).contains("--sandboxes must be a whole number");
    assertThat(BenchMain.refusal(new String[] {"scale", "--signal-rates", "500;1000", "--out", o})).contains("comma-separated");
    assertThat(BenchMain.refusal(new String[] {"cost", "--out"})).contains("--out needs a value");
    assertThat(BenchMain.run("cost", "--sandboxes", "-5", "--out", o)).isEqualTo(2);
    assertThat(Files.exists(out)).isFalse();

    assertThat(BenchMain.refusal(new String[] {})).isNull();
    assertThat(BenchMain.refusal(new String[] {"scale", "--open", "10000", "--signal-rates", "500,1000", "--out", o})).isNull();
    assertThat(BenchMain.refusal(new String[] {"--sandboxes", "10", "--out", o})).isNull();
  }
}
