package dev.sandman.devserver;

import io.temporal.internal.testservice.TestServicesStarter;
import io.temporal.testing.TestWorkflowEnvironment;
import java.lang.reflect.Field;
import java.util.Collection;
import java.util.LinkedList;

/**
 * Keeps Temporal's Java test server (1.38.0) from slowing down as it works.
 *
 * <p>Its time-skipping timer ({@code SelfAdvancingTimerImpl}) appends every lock and unlock of time
 * skipping to a diagnostics list ({@code lockEvents}) and never trims it: each workflow task, activity
 * and query adds entries. Releasing a lock by its handle then searches that list from the start. After
 * a few hundred thousand operations every state change of every workflow pays a walk over the whole
 * list: measured here, 57% of all CPU at 10,000 open sandboxes, signals down from ~2,000/s to ~150/s,
 * and the heap growing without end. The list only serves diagnostics (the lock count itself is a
 * separate counter), so this swaps it for one that keeps the newest {@value #KEEP} entries and treats
 * releasing an entry it no longer holds as done.
 *
 * <p>Used by the benchmarks and by {@code sandman dev} (which may run for days); the test suite's
 * short-lived environments do not need it.
 */
public final class TestServerLockLog {
  static final int KEEP = 1024;

  private TestServerLockLog() {}

  /** Bounds the lock log of a test environment built by {@link TestWorkflowEnvironment#newInstance}. */
  public static void bound(TestWorkflowEnvironment env) {
    try {
      bound(TestServerInternals.services(env));
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("cannot reach the test server's lock log (Temporal SDK version changed?)", e);
    }
  }

  /** How many entries the lock log of a test environment holds now (for tests). */
  static int size(TestWorkflowEnvironment env) throws ReflectiveOperationException {
    Object timer = TestServerInternals.field(TestServerInternals.services(env), "selfAdvancingTimer");
    return ((Collection<?>) TestServerInternals.field(timer, "lockEvents")).size();
  }

  /** Bounds the lock log of a test server's services. Call before any work starts. */
  public static void bound(TestServicesStarter services) {
    try {
      Object timer = TestServerInternals.field(services, "selfAdvancingTimer");
      Field log = TestServerInternals.declared(timer.getClass(), "lockEvents");
      @SuppressWarnings("unchecked")
      Collection<Object> old = (Collection<Object>) log.get(timer);
      log.set(timer, new Bounded(old));
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("cannot reach the test server's lock log (Temporal SDK version changed?)", e);
    }
  }

  /** The newest entries only; removing an entry already dropped counts as removed. */
  static final class Bounded extends LinkedList<Object> {
    Bounded(Collection<Object> initial) {
      super(initial);
      trim();
    }

    @Override
    public boolean add(Object event) {
      super.add(event);
      trim();
      return true;
    }

    @Override
    public boolean remove(Object event) {
      removeLastOccurrence(event); // a handle's own entry is among the newest
      return true;
    }

    private void trim() {
      while (size() > KEEP) {
        removeFirst();
      }
    }
  }
}
