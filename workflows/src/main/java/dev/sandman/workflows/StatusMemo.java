package dev.sandman.workflows;

import io.temporal.api.common.v1.Memo;
import io.temporal.api.common.v1.Payload;
import java.util.Optional;

/**
 * The status a sandbox's or a project's workflow publishes in its memo. Describe and list calls
 * return it, and neither is a billed Temporal Action, unlike a query.
 */
public final class StatusMemo {
  private StatusMemo() {}

  /** The published sandbox status, or empty for a run that publishes none (the oldest versions). */
  public static Optional<SandboxStatus> read(Memo memo) {
    return read(memo, SandboxStatus.MEMO_KEY, SandboxStatus.class);
  }

  /** The published project status, or empty for project runs that publish none. */
  public static Optional<ProjectStatus> readProject(Memo memo) {
    return read(memo, ProjectStatus.MEMO_KEY, ProjectStatus.class);
  }

  private static <T> Optional<T> read(Memo memo, String key, Class<T> type) {
    Payload payload = memo == null ? null : memo.getFieldsMap().get(key);
    if (payload == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(SandmanJson.dataConverter().fromPayload(payload, type, type));
  }
}
