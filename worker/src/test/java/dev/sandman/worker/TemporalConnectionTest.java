package dev.sandman.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.temporal.serviceclient.RpcRetryOptions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the client retries a call Temporal cannot take (the stubs are lazy: nothing is dialled here). */
class TemporalConnectionTest {
  static final Map<String, String> NOWHERE = Map.of("TEMPORAL_ADDRESS", "127.0.0.1:1");

  @Test
  void aLongRunningProcessRetriesForTheSdksMinuteButAtLeastEverySecond() {
    try (TemporalConnection connection = TemporalConnection.connect(NOWHERE, null)) {
      RpcRetryOptions retry = connection.service().getOptions().getRpcRetryOptions();

      assertThat(retry.getMaximumInterval()).isEqualTo(Duration.ofSeconds(1));
      assertThat(retry.getExpiration()).isEqualTo(Duration.ofMinutes(1));
    }
  }

  @Test
  void aCliCommandGivesUpAfterThreeSeconds() {
    try (TemporalConnection connection = TemporalConnection.connect(NOWHERE, null, true)) {
      RpcRetryOptions retry = connection.service().getOptions().getRpcRetryOptions();

      assertThat(retry.getMaximumInterval()).isEqualTo(Duration.ofSeconds(1));
      assertThat(retry.getExpiration()).isEqualTo(Duration.ofSeconds(3));
    }
  }
}
