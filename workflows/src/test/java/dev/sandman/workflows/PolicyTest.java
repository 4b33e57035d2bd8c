package dev.sandman.workflows;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PolicyTest {
  @Test
  void defaultsAreThoseOfTheDesignItReplaces() {
    assertThat(Policy.defaults()).isEqualTo(new Policy(Duration.ofMinutes(10), Duration.ofDays(30), null));
    assertThat(Policy.defaults().validate()).isEmpty();
  }

  @Test
  void aPatchChangesOnlyWhatItSets() {
    Policy policy = Policy.defaults().merge(new PolicyPatch(Duration.ofMinutes(3), null, Duration.ofHours(8), null));
    assertThat(policy).isEqualTo(new Policy(Duration.ofMinutes(3), Duration.ofDays(30), Duration.ofHours(8)));
    assertThat(policy.merge(new PolicyPatch(null, null, null, true)).maxLifetime()).isNull();
    assertThat(policy.merge(null)).isEqualTo(policy);
  }

  @Test
  void impossibleDurationsAreRejectedFieldByField() {
    assertThat(new Policy(Duration.ofSeconds(-1), Duration.ofDays(1), null).validate())
        .extracting(Policy.FieldError::field).containsExactly("idleTimeout");
    assertThat(new Policy(Duration.ZERO, Duration.ZERO, Duration.ofSeconds(5)).validate())
        .extracting(Policy.FieldError::field).containsExactly("idleTimeout", "pausedRetention", "maxLifetime");
    assertThat(new Policy(Duration.ofDays(8), Duration.ofDays(1), null).validate()).hasSize(1);
    assertThat(new Policy(null, null, null).validate()).hasSize(2);
    assertThat(new Policy(Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofMinutes(1)).validate()).isEmpty();
  }

  @Test
  void aSpecWithAPartialPolicyTakesTheDefaultsForTheRest() {
    SandboxSpec spec = SandboxSpec.of("s", "p", "u", new Policy(Duration.ofMinutes(2), null, null));
    assertThat(spec.effectivePolicy()).isEqualTo(new Policy(Duration.ofMinutes(2), Duration.ofDays(30), null));
    assertThat(SandboxSpec.of("s", "p", "u", null).effectivePolicy()).isEqualTo(Policy.defaults());
    assertThat(spec.eventsPerRun()).isEqualTo(SandboxSpec.DEFAULT_MAX_EVENTS_PER_RUN);
    assertThat(spec.withMaxEventsPerRun(5).eventsPerRun()).isEqualTo(SandboxSpec.MIN_MAX_EVENTS_PER_RUN);
  }
}
