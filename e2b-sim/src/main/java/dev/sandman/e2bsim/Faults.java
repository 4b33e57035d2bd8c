package dev.sandman.e2bsim;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/** Faults injected into the simulated API: each matches operations and answers for them, a number of times. */
final class Faults {
  /** Thrown to close the connection without an answer. */
  static final class Reset extends RuntimeException {
    Reset() {
      super(null, null, false, false);
    }
  }

  private final List<Fault> faults = new CopyOnWriteArrayList<>();
  private final Map<Fault, AtomicLong> uses = new ConcurrentHashMap<>();

  void add(Fault fault) {
    faults.add(fault);
    uses.put(fault, new AtomicLong());
  }

  void clear() {
    faults.clear();
    uses.clear();
  }

  List<Fault> list() {
    return List.copyOf(faults);
  }

  /** A matching fault's answer, or null; may sleep (latency) or throw {@link Reset}. */
  SimAnswer answer(String operation) throws InterruptedException {
    for (Fault fault : faults) {
      if (!fault.matches(operation)) {
        continue;
      }
      AtomicLong used = this.uses.get(fault);
      if (used == null || (fault.times() >= 0 && used.get() >= fault.times())) {
        continue;
      }
      if (fault.rate() < 1.0 && ThreadLocalRandom.current().nextDouble() >= fault.rate()) {
        continue;
      }
      used.incrementAndGet();
      if (fault.latencyMs() > 0) {
        Thread.sleep(fault.latencyMs());
      }
      if (fault.reset()) {
        throw new Reset();
      }
      if (fault.status() > 0) {
        Map<String, String> headers =
            fault.retryAfterSeconds() == null ? Map.of() : Map.of("Retry-After", fault.retryAfterSeconds().toString());
        return new SimAnswer(fault.status(), SimAnswer.errorBody(fault.status(), "injected fault"), headers);
      }
    }
    return null;
  }
}
