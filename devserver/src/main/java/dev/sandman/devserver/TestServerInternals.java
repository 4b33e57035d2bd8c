package dev.sandman.devserver;

import io.temporal.internal.testservice.TestServicesStarter;
import io.temporal.testing.TestWorkflowEnvironment;
import java.lang.reflect.Field;

/** Reaches into Temporal's Java test server (1.38.0) for the mends beside it ({@link TestServerLockLog}, {@link TestServerFifoQueues}). */
final class TestServerInternals {
  private TestServerInternals() {}

  /** The services behind a test environment built by {@link TestWorkflowEnvironment#newInstance}. */
  static TestServicesStarter services(TestWorkflowEnvironment env) throws ReflectiveOperationException {
    return (TestServicesStarter) field(field(env, "inProcessServer"), "testServicesStarter");
  }

  /** A field declared on {@code type} or a superclass, made accessible. */
  static Field declared(Class<?> type, String name) throws NoSuchFieldException {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      try {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f;
      } catch (NoSuchFieldException next) {
        // look in the superclass
      }
    }
    throw new NoSuchFieldException(type.getName() + "." + name);
  }

  static Object field(Object owner, String name) throws ReflectiveOperationException {
    return declared(owner.getClass(), name).get(owner);
  }
}
