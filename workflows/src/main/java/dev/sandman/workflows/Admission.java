package dev.sandman.workflows;

import java.time.Instant;

/**
 * What an update must satisfy to be admitted (its validator): checked against the sandbox's state
 * before anything is written to history. A refusal is a {@link Rejection}.
 */
public final class Admission {
  private final Lifecycle lc;

  public Admission(Lifecycle lc) {
    this.lc = lc;
  }

  public void checkChange(ChangeRequest request) {
    checkAlive();
    Limits.reason(request == null ? null : request.reason());
  }

  public void checkPolicy(PolicyPatch patch) {
    checkAlive();
    Limits.policyChange(lc.policy, patch, lc.operator);
  }

  public void checkHold(HoldRequest request, Instant now) {
    checkAlive();
    if (request == null) {
      throw Rejection.invalid("ttl", "a hold needs a ttl");
    }
    Limits.holdTtl(request.ttl());
    Limits.reason(request.reason());
    if (lc.activeHolds(now).size() >= Lifecycle.HOLDS_LIMIT) {
      throw new Rejection(FailureType.INVALID_STATE, null,
          "sandbox " + lc.sandboxId + " already has " + Lifecycle.HOLDS_LIMIT + " holds");
    }
  }

  public void checkRelease(String holdId, Instant now) {
    if (lc.activeHolds(now).stream().noneMatch(hold -> hold.holdId().equals(holdId))) {
      throw new Rejection(FailureType.NOT_FOUND, "holdId", "no active hold " + holdId);
    }
  }

  public void checkAlive() {
    if (lc.state == SandboxState.KILLED) {
      throw new Rejection(FailureType.INVALID_STATE, null, "sandbox " + lc.sandboxId + " is already killed");
    }
  }
}
