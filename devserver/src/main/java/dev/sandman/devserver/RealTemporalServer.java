package dev.sandman.devserver;

import dev.sandman.workflows.Sandman;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real Temporal server for dev mode: Temporal's CLI ({@code temporal server start-dev}) with its
 * SQLite file (sandboxes survive a dev restart) and the Temporal UI, on loopback, with Sandman's
 * search attributes registered at start. The binary comes from scripts/install-temporal.sh.
 */
public final class RealTemporalServer implements DevTemporal {
  private final Process process;
  private final int port;
  private final int uiPort;
  private final Path db;
  private final String host;

  private RealTemporalServer(Process process, String host, int port, int uiPort, Path db) {
    this.process = process;
    this.host = host;
    this.port = port;
    this.uiPort = uiPort;
    this.db = db;
  }

  /** SANDMAN_TEMPORAL_BIN, else the newest build under .tools/temporal/ of the Sandman checkout. */
  public static Optional<Path> find(java.util.Map<String, String> env) {
    String explicit = env.get("SANDMAN_TEMPORAL_BIN");
    if (explicit != null) {
      return Optional.of(Path.of(explicit)).filter(Files::isExecutable);
    }
    Path tools = Path.of(env.getOrDefault("SANDMAN_HOME", "."), ".tools", "temporal");
    if (!Files.isDirectory(tools)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(tools)) {
      return versions.map(v -> v.resolve("temporal")).filter(Files::isExecutable).max(Path::compareTo);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  public static RealTemporalServer start(Path binary, String host, int port, int uiPort, Path db) throws IOException {
    Files.createDirectories(db.toAbsolutePath().getParent());
    List<String> command = new ArrayList<>(List.of(binary.toString(), "server", "start-dev", "--ip", host,
        "--port", String.valueOf(port), "--ui-port", String.valueOf(uiPort), "--db-filename", db.toString(),
        "--log-level", "warn"));
    for (var attribute : Sandman.SEARCH_ATTRIBUTES) {
      command.addAll(List.of("--search-attribute", attribute.getName() + "=Keyword"));
    }
    Path log = db.toAbsolutePath().getParent().resolve("temporal-server.log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!listening(host, port) || !listening(host, uiPort)) {
      if (!process.isAlive()) {
        throw new IOException("the Temporal server exited (" + process.exitValue() + "); see " + log);
      }
      if (System.nanoTime() > until) {
        process.destroy();
        throw new IOException("the Temporal server did not listen on " + host + ":" + port + " within 60 s; see " + log);
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while starting Temporal", e);
      }
    }
    return new RealTemporalServer(process, host, port, uiPort, db);
  }

  private static boolean listening(String host, int port) {
    try (Socket socket = new Socket(host, port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public int port() {
    return port;
  }

  @Override
  public String description() {
    return "real server, SQLite " + db + ", UI http://" + host + ":" + uiPort;
  }

  @Override
  public boolean needsSearchAttributes() {
    return false;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
