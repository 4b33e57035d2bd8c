package dev.sandman.devserver;

/** The Temporal that dev mode runs: Temporal's Java test server in process, or the real server. */
public interface DevTemporal extends AutoCloseable {
  int port();

  /** What it is, for the banner. */
  String description();

  /** True when Sandman must register its search attributes itself. */
  boolean needsSearchAttributes();

  @Override
  void close();
}
