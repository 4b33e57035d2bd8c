package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {
  private static WorkerConfig config(String... pairs) {
    Map<String, String> env = new HashMap<>(Map.of("E2B_API_KEY", "e2b_test", "E2B_API_URL", "http://127.0.0.1:1"));
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return WorkerConfig.fromEnv(new Env(env));
  }

  @Test
  void workflowThreadsArePlatformThreadsUnlessAsked() {
    assertThat(config().virtualWorkflowThreads()).isFalse();
    assertThat(config("SANDMAN_VIRTUAL_WORKFLOW_THREADS", "false").virtualWorkflowThreads()).isFalse();
    assertThat(config("SANDMAN_WORKFLOW_CACHE_SIZE", "10000").workflowCacheSize()).isEqualTo(10_000);
  }

  @Test
  void virtualWorkflowThreadsNeedJava21AndAClearValue() {
    assertThatThrownBy(() -> config("SANDMAN_VIRTUAL_WORKFLOW_THREADS", "yes"))
        .isInstanceOf(Env.ConfigException.class).hasMessageContaining("true or false");
    if (Runtime.version().feature() >= 21) {
      assertThat(config("SANDMAN_VIRTUAL_WORKFLOW_THREADS", "true").virtualWorkflowThreads()).isTrue();
    } else {
      assertThatThrownBy(() -> config("SANDMAN_VIRTUAL_WORKFLOW_THREADS", "true"))
          .isInstanceOf(Env.ConfigException.class).hasMessageContaining("Java 21");
    }
  }

  @Test
  void futexHashIsSizedForTheWorkflowThreads() {
    assertThat(config().futexHashSlots()).isEqualTo(2048); // SANDMAN_MAX_WORKFLOW_THREADS defaults to 2000
    assertThat(config("SANDMAN_MAX_WORKFLOW_THREADS", "20000").futexHashSlots()).isEqualTo(32_768);
    assertThat(config("SANDMAN_FUTEX_HASH_SLOTS", "0").futexHashSlots()).isZero();
    assertThat(config("SANDMAN_FUTEX_HASH_SLOTS", "65536").futexHashSlots()).isEqualTo(65_536);
    for (String bad : new String[] {"3000", "8", "-1", "lots", "2097152"}) {
      assertThatThrownBy(() -> config("SANDMAN_FUTEX_HASH_SLOTS", bad))
          .isInstanceOf(Env.ConfigException.class).hasMessageContaining("power of two");
    }
    if (Runtime.version().feature() >= 21) { // virtual workflow threads park few carrier threads: nothing to size
      assertThat(config("SANDMAN_VIRTUAL_WORKFLOW_THREADS", "true").futexHashSlots()).isZero();
    }
  }
}
