package dev.sandman.worker;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/** A UTC clock reading epoch milliseconds from a supplier, e.g. a time-skipping test server's clock. */
public final class SuppliedClock extends Clock {
  private final LongSupplier millis;

  public SuppliedClock(LongSupplier millis) {
    this.millis = millis;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis.getAsLong());
  }
}
