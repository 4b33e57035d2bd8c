package dev.sandman.cli;

import dev.sandman.worker.Env;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * What a running {@code ./sandman dev} tells the CLI of the same checkout: its HTTP API, admin token,
 * Temporal address and E2B URL, in {@code .tools/dev/stack.env} (owner-only), gone when it stops. A
 * file left by a dev stack that was killed is passed over (its process is gone).
 */
final class DevStackFile {
  record Found(String url, String token, Path file) {}

  private DevStackFile() {}

  static Path path(Env env) {
    return Path.of(env.get("SANDMAN_HOME", "."), ".tools", "dev", "stack.env");
  }

  static void write(Env env, Map<String, String> settings) {
    Path file = path(env);
    Map<String, String> all = new LinkedHashMap<>(settings);
    all.put("pid", Long.toString(ProcessHandle.current().pid()));
    StringBuilder text = new StringBuilder("# written by ./sandman dev while it runs; the CLI reads it\n");
    all.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    try {
      Files.createDirectories(file.getParent());
      Path temp = file.resolveSibling("stack.env.tmp");
      Files.deleteIfExists(temp);
      Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(temp, text);
      Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Removes the file, if it is this process's. */
  static void remove(Env env) {
    Path file = path(env);
    Properties read = read(file);
    if (read != null && Long.toString(ProcessHandle.current().pid()).equals(read.getProperty("pid"))) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // a stale file is passed over by its pid
      }
    }
  }

  static Optional<Found> find(Env env) {
    Path file = path(env);
    Properties read = read(file);
    if (read == null || read.getProperty("SANDMAN_URL") == null || read.getProperty("SANDMAN_TOKEN") == null) {
      return Optional.empty();
    }
    try {
      if (ProcessHandle.of(Long.parseLong(read.getProperty("pid", "-1"))).map(ProcessHandle::isAlive).orElse(false)) {
        return Optional.of(new Found(read.getProperty("SANDMAN_URL"), read.getProperty("SANDMAN_TOKEN"), file));
      }
    } catch (NumberFormatException ignored) {
      // not a file dev mode wrote
    }
    return Optional.empty();
  }

  private static Properties read(Path file) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    Properties properties = new Properties();
    try (var in = Files.newBufferedReader(file)) {
      properties.load(in);
      return properties;
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }
}
