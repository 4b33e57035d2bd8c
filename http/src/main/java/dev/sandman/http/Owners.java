package dev.sandman.http;

import dev.sandman.starter.SandmanClient;
import dev.sandman.workflows.SandboxStatus;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Whose each sandbox is, remembered from what the API has read, and the one check an app token passes. */
final class Owners {
  private static final int KEPT = 100_000;

  private final SandmanClient client;
  private final Map<String, String> owners = Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > KEPT;
    }
  });

  Owners(SandmanClient client) {
    this.client = client;
  }

  /** The caller may act on the sandbox: the admin always, an app token for its own user's (404 if untracked). */
  void check(Auth.Principal caller, String sandboxId) {
    if (caller.admin()) {
      return;
    }
    String owner = owners.get(sandboxId);
    if (owner == null) {
      owner = client.status(sandboxId).userId();
      owners.put(sandboxId, owner);
    }
    require(caller, owner);
  }

  /** As {@link #check}, with the status already read. */
  void check(Auth.Principal caller, SandboxStatus status) {
    learn(status);
    require(caller, status.userId());
  }

  /** Tracking twice is idempotent, but not a way to reach another user's sandbox. */
  void checkKnown(Auth.Principal caller, String sandboxId) {
    String owner = owners.get(sandboxId);
    if (owner != null) {
      require(caller, owner);
    }
  }

  void learn(SandboxStatus status) {
    owners.put(status.sandboxId(), status.userId());
  }

  private static void require(Auth.Principal caller, String owner) {
    if (!caller.mayActFor(owner)) {
      throw ApiException.forbidden("sandbox belongs to another user", null);
    }
  }
}
