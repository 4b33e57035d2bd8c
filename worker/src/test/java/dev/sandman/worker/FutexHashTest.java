package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class FutexHashTest {
  @Test
  void slotsArePowersOfTwoCoveringTheThreads() {
    assertThat(FutexHash.slotsFor(1)).isEqualTo(16);
    assertThat(FutexHash.slotsFor(2000)).isEqualTo(2048);
    assertThat(FutexHash.slotsFor(2048)).isEqualTo(2048);
    assertThat(FutexHash.slotsFor(20_000)).isEqualTo(32_768);
    assertThat(FutexHash.slotsFor(Integer.MAX_VALUE)).isEqualTo(FutexHash.MAX_SLOTS);
    assertThatThrownBy(() -> FutexHash.grow(3000)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("power of two");
    assertThatThrownBy(() -> FutexHash.grow(8)).isInstanceOf(IllegalArgumentException.class);
  }

  /** On Linux 6.16+ (this project's machines) the JVM starts with a small private hash; grow sizes it and never shrinks it. */
  @Test
  void growsThePrivateHashAndKeepsItAsThreadsComeAndGo() throws Exception {
    int before = FutexHash.slots();
    assumeTrue(before > 0, "no per-process futex hash on this kernel (" + System.getProperty("os.name") + ")");

    FutexHash.Outcome grown = FutexHash.grow(Math.max(8192, before));
    assertThat(grown.after()).isGreaterThanOrEqualTo(8192);
    assertThat(FutexHash.slots()).isEqualTo(grown.after());

    // the kernel resizes an unset hash as threads are created; a set one must stay
    CountDownLatch release = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      Thread t = new Thread(() -> {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      t.start();
      threads.add(t);
    }
    assertThat(FutexHash.slots()).isEqualTo(grown.after());
    release.countDown();
    for (Thread t : threads) {
      t.join();
    }

    FutexHash.Outcome smaller = FutexHash.grow(16);
    assertThat(smaller.changed()).isFalse();
    assertThat(FutexHash.slots()).isEqualTo(grown.after());
  }
}
