package dev.sandman.starter;

/** Receives a subscription's events, one at a time and in order, on a thread of the client's. */
public interface StatusListener {
  void onEvent(StatusEvent event);

  /**
   * The subscription ended: {@code failure} is null when the story is over (the sandbox is killed and
   * its final status was delivered), else why it stopped (the sandbox is not tracked, Temporal refused).
   * Not called after {@link Subscription#close()}.
   */
  default void onEnd(Throwable failure) {}
}
