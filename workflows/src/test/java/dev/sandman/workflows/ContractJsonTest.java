package dev.sandman.workflows;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The payloads other languages read and write: plain JSON, ISO-8601 durations, RFC 3339 times. */
class ContractJsonTest {
  private final ObjectMapper json = SandmanJson.mapper();

  @Test
  void aTypeScriptClientsInputIsUnderstood() throws Exception {
    String fromTs = "{\"sandboxId\":\"sb1\",\"projectId\":\"p\",\"userId\":\"u\",\"template\":\"base\","
        + "\"metadata\":{\"k\":\"v\"},\"policy\":{\"idleTimeout\":\"PT5M\"},\"someFutureField\":1}";
    SandboxSpec spec = json.readValue(fromTs, SandboxSpec.class);
    assertThat(spec.effectivePolicy().idleTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(spec.effectivePolicy().pausedRetention()).isEqualTo(Duration.ofDays(30));
    assertThat(spec.metadata()).containsEntry("k", "v");
    assertThat(spec.carried()).isNull();

    ActivitySignal signal = json.readValue("{\"at\":\"2026-11-29T10:00:00.123Z\"}", ActivitySignal.class);
    assertThat(signal.at()).isEqualTo(Instant.parse("2026-11-29T10:00:00.123Z"));
    assertThat(json.readValue("{}", ActivitySignal.class).at()).isNull();
    assertThat(json.readValue("{\"at\":\"2026-11-29T12:00:00+02:00\"}", ActivitySignal.class).at())
        .isEqualTo(Instant.parse("2026-11-29T10:00:00Z"));
  }

  @Test
  void theStatusIsPlainJsonWithReadableTimesAndDurations() throws Exception {
    Lifecycle lc = Lifecycle.track(
        new SandboxSpec("sb1", "p", "u", "base", Map.of(), Policy.defaults(), null, null), Instant.parse("2026-11-29T10:00:00Z"));
    lc.record(new Transition(null, SandboxState.RUNNING, lc.trackedAt, Cause.TRACK));
    lc.record(new Transition(SandboxState.PAUSED, SandboxState.KILLED, lc.trackedAt, Cause.SANDBOX_GONE));
    JsonNode status = json.readTree(json.writeValueAsString(lc.toStatus(lc.trackedAt)));
    assertThat(status.get("state").asText()).isEqualTo("RUNNING");
    assertThat(status.get("lastActivityAt").asText()).isEqualTo("2026-11-29T10:00:00Z");
    assertThat(status.get("pauseDeadline").asText()).isEqualTo("2026-11-29T10:10:00Z");
    assertThat(status.get("policy").get("idleTimeout").asText()).isEqualTo("PT10M");
    assertThat(status.get("policy").get("pausedRetention").asText()).isEqualTo("PT720H");
    assertThat(status.get("transitions").get(1).get("cause").asText()).isEqualTo("sandbox-gone");
    assertThat(status.get("counters").get("activitySignals").asLong()).isZero();
    assertThat(status.has("lastError")).isFalse(); // nulls are left out

    SandboxStatus back = json.readValue(json.writeValueAsString(lc.toStatus(lc.trackedAt)), SandboxStatus.class);
    assertThat(back).isEqualTo(lc.toStatus(lc.trackedAt));
  }

  @Test
  void theWholeStateSurvivesContinueAsNew() throws Exception {
    Lifecycle lc = Lifecycle.track(SandboxSpec.of("sb1", "p", "u", Policy.defaults()), Instant.parse("2026-11-29T10:00:00Z"));
    lc.state = SandboxState.PAUSED;
    lc.pausedAt = Instant.parse("2026-11-29T10:10:00Z");
    lc.resumeRequested = true;
    lc.e2bEndAt = Instant.parse("2026-11-29T10:42:00Z");
    lc.activitySignals = 12345;
    lc.runs = 4;
    lc.lastError = new LastError(lc.pausedAt, "pause", "E2B_CONFLICT", "busy");
    lc.record(new Transition(SandboxState.RUNNING, SandboxState.PAUSED, lc.pausedAt, Cause.IDLE));
    SandboxSpec next = SandboxSpec.of("sb1", "p", "u", Policy.defaults()).carrying(lc);
    SandboxSpec back = json.readValue(json.writeValueAsString(next), SandboxSpec.class);
    assertThat(back.carried()).usingRecursiveComparison().isEqualTo(lc);
    assertThat(json.writeValueAsString(back.carried())).doesNotContain("pauseDeadline");
  }
}
