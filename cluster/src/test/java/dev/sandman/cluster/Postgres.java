package dev.sandman.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Debian's PostgreSQL, started by hand: its own data folder under a temp dir, run as the postgres user
 * when this runs as root (PostgreSQL refuses root), on loopback and a free port, its socket in the folder.
 */
final class Postgres {
  static final String USER = "temporal";
  private final Path bin;
  private final Path data;
  private final Path log;
  private final int port;

  private Postgres(Path bin, Path data, Path log, int port) {
    this.bin = bin;
    this.data = data;
    this.log = log;
    this.port = port;
  }

  static Postgres create(Path bin, Path runDir) {
    try {
      Path data = Files.createTempDirectory("sandman-cluster-pg");
      Path log = runDir.resolve("postgres.log");
      Postgres pg = new Postgres(bin, data, log, Launched.freePort());
      pg.chownToPostgres(data);
      pg.as("initdb", "-D", data.toString(), "-U", USER, "--auth=trust", "--no-sync", "-E", "UTF8");
      return pg;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int port() {
    return port;
  }

  void start() {
    as("pg_ctl", "-D", data.toString(), "-l", data.resolve("server.log").toString(), "-w", "-t", "60",
        "-o", "-p " + port + " -k " + data + " -c listen_addresses=127.0.0.1 -c max_connections=300", "start");
  }

  /** A fast shutdown (what systemd and Kubernetes do): open connections are cut, nothing committed is lost. */
  void stop() {
    as("pg_ctl", "-D", data.toString(), "-m", "fast", "-w", "-t", "60", "stop");
  }

  /** Bytes of Temporal's two databases. */
  long temporalBytes() {
    return Long.parseLong(sql("select sum(pg_database_size(datname)) from pg_database where datname like 'temporal%'").trim());
  }

  String sql(String query) {
    Path out = data.resolve("query.out");
    as("psql", "-h", data.toString(), "-p", String.valueOf(port), "-U", USER, "-d", "postgres", "-tAc", query, "-o", out.toString());
    try {
      return Files.readString(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void delete() {
    try {
      stop();
    } catch (RuntimeException ignored) {
      // already down
    }
    Launched.run("rm", List.of("rm", "-rf", data.toString()), Map.of(), Path.of("."), log);
  }

  private void as(String program, String... args) {
    List<String> command = new ArrayList<>();
    if (root()) {
      command.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    command.add(bin.resolve(program).toString());
    command.addAll(List.of(args));
    Launched.run(program, command, Map.of(), data, log);
  }

  private void chownToPostgres(Path dir) {
    if (root()) {
      Launched.run("chown", List.of("chown", "postgres:postgres", dir.toString()), Map.of(), Path.of("."), log);
    }
  }

  private static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }
}
