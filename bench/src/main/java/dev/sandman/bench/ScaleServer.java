package dev.sandman.bench;

import dev.sandman.e2bsim.E2bSimulator;
import dev.sandman.devserver.EmbeddedTemporal;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * The far side of the scale benchmark, in its own JVM: the dev server's Temporal (the test server in
 * real time, with its fixes) on a TCP port and the E2B simulator, so the benchmark's JVM holds only what a Sandman worker holds and its
 * heap is the worker's. Talks over stdin/stdout, one line each way:
 * {@code create N} answers {@code ids a b c...}; {@code pauses} answers {@code pauses id=millis ...};
 * {@code heap} answers {@code heap MiB-after-GC}; end of input stops it.
 */
public final class ScaleServer {
  private ScaleServer() {}

  public static void main(String[] args) throws Exception {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    int port = Integer.parseInt(args[0]);
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.setOut(new PrintStream(java.io.OutputStream.nullOutputStream()));
    EmbeddedTemporal temporal = EmbeddedTemporal.start("127.0.0.1", port);
    E2bSimulator sim = new E2bSimulator(E2bSimulator.Options.defaults().withPauseMillisPerGiB(0)).start(0);
    out.println("ready " + port + " " + sim.url());
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      String[] words = line.trim().split(" ");
      StringBuilder answer = new StringBuilder(words[0]);
      switch (words[0]) {
        case "create" -> {
          int n = Integer.parseInt(words[1]);
          for (int i = 0; i < n; i++) {
            answer.append(' ').append(sim.createSandbox("base", Duration.ofHours(24), true, Map.of()));
          }
        }
        case "pauses" -> {
          for (E2bSimulator.Call call : sim.calls()) {
            if (call.operation().equals("pause") && call.status() == 204) {
              answer.append(' ').append(call.sandboxId()).append('=').append(call.at().toEpochMilli());
            }
          }
        }
        case "heap" -> {
          System.gc();
          Runtime runtime = Runtime.getRuntime();
          answer.append(' ').append((runtime.totalMemory() - runtime.freeMemory()) / (1024 * 1024));
        }
        default -> answer.append(" unknown");
      }
      out.println(answer);
    }
    sim.close();
    temporal.close();
    System.exit(0);
  }
}
