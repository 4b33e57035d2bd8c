package dev.sandman.starter;

/** A live subscription to status events; closing it stops delivery and frees its long poll. */
public interface Subscription extends AutoCloseable {
  @Override
  void close();
}
