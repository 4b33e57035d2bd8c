package dev.sandman.workflows;

import io.temporal.api.common.v1.Memo;
import io.temporal.api.common.v1.Payload;
import java.util.Optional;

/**
 * The status a sandbox's workflow publishes in its memo. Describe and list calls return it, and
 * neither is a billed Temporal Action, unlike the {@code status} query.
 */
public final class StatusMemo {
  private StatusMemo() {}

  /** The published status, or empty for runs that publish none (recorded before version "economy"). */
  public static Optional<SandboxStatus> read(Memo memo) {
    Payload payload = memo == null ? null : memo.getFieldsMap().get(SandboxStatus.MEMO_KEY);
    if (payload == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(SandmanJson.dataConverter().fromPayload(payload, SandboxStatus.class, SandboxStatus.class));
  }
}
