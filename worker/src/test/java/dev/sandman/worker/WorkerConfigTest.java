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

  @Test
  void secretsGoOnlyOverHttpsOrToThisMachine() {
    assertThat(config("E2B_API_URL", "https://api.e2b.app").e2b().baseUrl()).isEqualTo("https://api.e2b.app");
    assertThat(config("E2B_API_URL", "http://localhost:3000").e2b().baseUrl()).isEqualTo("http://localhost:3000");
    assertThatThrownBy(() -> config("E2B_API_URL", "http://e2b.example.com"))
        .isInstanceOf(Env.ConfigException.class).hasMessageContaining("E2B_API_URL").hasMessageContaining("https");
    assertThatThrownBy(() -> config("SANDMAN_WEBHOOK_URLS", "http://hooks.example.com/x", "SANDMAN_WEBHOOK_SECRET", "s".repeat(16)))
        .isInstanceOf(Env.ConfigException.class).hasMessageContaining("SANDMAN_WEBHOOK_URLS");
    assertThat(config("E2B_API_URL", "http://e2b.internal", "SANDMAN_ALLOW_PLAIN_HTTP", "true").e2b().baseUrl())
        .isEqualTo("http://e2b.internal");
  }

  @Test
  void eachWebhookMayHaveItsOwnSecret() {
    WorkerConfig shared = config("SANDMAN_WEBHOOK_URLS", "https://a.example/h,https://b.example/h", "SANDMAN_WEBHOOK_SECRET", "s".repeat(16));
    assertThat(shared.webhookSecrets()).containsExactly("s".repeat(16), "s".repeat(16));
    WorkerConfig own = config("SANDMAN_WEBHOOK_URLS", "https://a.example/h,https://b.example/h",
        "SANDMAN_WEBHOOK_SECRETS", "a".repeat(16) + "," + "b".repeat(16));
    assertThat(own.webhookSecrets()).containsExactly("a".repeat(16), "b".repeat(16));
    assertThatThrownBy(() -> config("SANDMAN_WEBHOOK_URLS", "https://a.example/h,https://b.example/h", "SANDMAN_WEBHOOK_SECRETS", "a".repeat(16)))
        .isInstanceOf(Env.ConfigException.class).hasMessageContaining("one secret per URL");
    assertThatThrownBy(() -> config("SANDMAN_WEBHOOK_URLS", "https://a.example/h", "SANDMAN_WEBHOOK_SECRET", "short"))
        .isInstanceOf(Env.ConfigException.class).hasMessageContaining("16+");
  }
}
