package dev.sandman.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** CPU seconds and bytes written by a group of processes, from /proc (Linux), for per-phase deltas. */
record ProcessUsage(double cpuSeconds, long writeBytes) {
  private static final double TICKS = 100.0; // USER_HZ on Linux

  static ProcessUsage of(List<Long> pids) {
    double cpu = 0;
    long written = 0;
    for (long pid : pids) {
      try {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        cpu += (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS; // utime, stime
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "io"))) {
          if (line.startsWith("write_bytes:")) {
            written += Long.parseLong(line.substring(12).trim());
          }
        }
      } catch (IOException | RuntimeException gone) {
        // the process ended between the listing and the read
      }
    }
    return new ProcessUsage(cpu, written);
  }

  /** Every process of this user (PostgreSQL's server processes run as postgres). */
  static List<Long> ofUser(String user) {
    try (var procs = Files.list(Path.of("/proc"))) {
      int uid = uid(user);
      return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
        try {
          return Files.readAllLines(p.resolve("status")).stream().filter(l -> l.startsWith("Uid:"))
              .anyMatch(l -> l.split("\\s+")[1].equals(Integer.toString(uid)));
        } catch (IOException | RuntimeException gone) {
          return false;
        }
      }).map(p -> Long.parseLong(p.getFileName().toString())).toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static int uid(String user) throws IOException {
    for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
      String[] fields = line.split(":");
      if (fields[0].equals(user)) {
        return Integer.parseInt(fields[2]);
      }
    }
    return -1;
  }

  ProcessUsage minus(ProcessUsage before) {
    return new ProcessUsage(cpuSeconds - before.cpuSeconds, writeBytes - before.writeBytes);
  }
}
