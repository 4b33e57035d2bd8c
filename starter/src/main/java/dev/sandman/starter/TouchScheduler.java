package dev.sandman.starter;

import java.time.Instant;

/** Runs a held touch's send at a time: a scheduled executor in apps, the test clock in benchmarks. */
@FunctionalInterface
public interface TouchScheduler {
  void at(Instant when, Runnable task);
}
