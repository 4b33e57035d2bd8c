package dev.sandman.worker;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The size of this process's futex hash table, on Linux.
 *
 * <p>A parked Java platform thread waits on a futex, and waking it walks the chain of one bucket of
 * the kernel's futex hash. Since Linux 6.16 a process gets a hash of its own, sized by its CPU count
 * (16 buckets on a 2-core machine), in place of the system-wide one. A worker on platform threads
 * parks one thread per cached workflow: with 10,000 of them that is ~600 waiters a bucket, and every
 * signal, timer and query walks them in the kernel. Measured on this project's 2-core machine (see
 * bench/results/scale.md): a park/unpark round trip with 10,000 parked threads took 120-160 µs with
 * 16 buckets and 10-25 µs with 16,384, and signals to 10,000 open sandboxes ran at a tenth of their rate.
 * {@code prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, n)} sizes the table for the threads the worker
 * may hold. Elsewhere (other systems, older kernels, which use the system-wide hash) there is nothing to do.
 */
public final class FutexHash {
  static final int PR_FUTEX_HASH = 78;
  static final int PR_FUTEX_HASH_SET_SLOTS = 1;
  static final int PR_FUTEX_HASH_GET_SLOTS = 2;
  public static final int MIN_SLOTS = 16;
  public static final int MAX_SLOTS = 1 << 20;

  /** What {@link #grow} found and did: slots before and after (0: the system-wide hash; -1: no private hash here). */
  public record Outcome(int before, int after, String detail) {
    public boolean changed() {
      return before != after;
    }
  }

  private FutexHash() {}

  /** The slots a process holding {@code threads} parked threads should have: a power of two, 16 to 2^20. */
  public static int slotsFor(int threads) {
    int slots = MIN_SLOTS;
    while (slots < threads && slots < MAX_SLOTS) {
      slots <<= 1;
    }
    return slots;
  }

  public static boolean isValidSlots(int slots) {
    return slots >= MIN_SLOTS && slots <= MAX_SLOTS && Integer.bitCount(slots) == 1;
  }

  /** This process's private futex hash slots; 0 when it uses the system-wide hash; -1 when there is no such setting here. */
  public static int slots() {
    if (!Platform.isLinux()) {
      return -1;
    }
    try {
      int slots = prctl().invokeInt(new Object[] {PR_FUTEX_HASH, (long) PR_FUTEX_HASH_GET_SLOTS, 0L, 0L, 0L});
      return Math.max(slots, -1);
    } catch (LinkageError | RuntimeException e) { // JNA's native part could not load (e.g. a noexec temp directory)
      return -1;
    }
  }

  /**
   * Grows this process's private futex hash to {@code wanted} slots (a power of two) if it is smaller;
   * never shrinks it, and leaves a process on the system-wide hash there.
   */
  public static Outcome grow(int wanted) {
    if (!isValidSlots(wanted)) {
      throw new IllegalArgumentException("futex hash slots must be a power of two from " + MIN_SLOTS + " to " + MAX_SLOTS + ", got " + wanted);
    }
    int before = slots();
    if (before < 0) {
      return new Outcome(before, before, "no per-process futex hash here (not Linux 6.16+): nothing to size");
    }
    if (before == 0) {
      return new Outcome(0, 0, "this process uses the system-wide futex hash");
    }
    if (before >= wanted) {
      return new Outcome(before, before, "the futex hash already has " + before + " slots");
    }
    int result;
    int errno;
    try {
      result = prctl().invokeInt(new Object[] {PR_FUTEX_HASH, (long) PR_FUTEX_HASH_SET_SLOTS, (long) wanted, 0L, 0L});
      errno = Native.getLastError();
    } catch (LinkageError | RuntimeException e) {
      return new Outcome(before, before, "could not call prctl: " + e);
    }
    int after = slots();
    return new Outcome(before, after, result == 0
        ? "futex hash grown from " + before + " to " + after + " slots"
        : "prctl(PR_FUTEX_HASH_SET_SLOTS, " + wanted + ") failed with errno " + errno + "; it stays at " + after + " slots");
  }

  private static Function prctl() {
    return NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getFunction("prctl");
  }
}
