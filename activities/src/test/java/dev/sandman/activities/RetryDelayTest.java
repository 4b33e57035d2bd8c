package dev.sandman.activities;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryDelayTest {
  @Test
  void retryAfterIsHonouredUpToAMinute() {
    assertThat(E2bSandboxActivities.toFailure(new E2bException(429, "slow down", Duration.ofSeconds(15), null)).getNextRetryDelay())
        .isEqualTo(Duration.ofSeconds(15));
    assertThat(E2bSandboxActivities.toFailure(new E2bException(429, "slow down", Duration.ofHours(3), null)).getNextRetryDelay())
        .isEqualTo(E2bSandboxActivities.MAX_RETRY_DELAY);
    assertThat(E2bSandboxActivities.toFailure(new E2bException(503, "down", null, null)).getNextRetryDelay()).isNull();
  }
}
