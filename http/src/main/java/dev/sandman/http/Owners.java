package dev.sandman.http;

import dev.sandman.starter.SandmanClient;
import dev.sandman.starter.SandmanException;
import dev.sandman.workflows.SandboxStatus;

/**
 * The one check a token passes to act on a sandbox: the owner is the one its workflow holds now (its
 * published status, read fresh: a describe, not billed), never a remembered one. To an app token another
 * user's sandbox is one never tracked (404), so an app user cannot tell whether an id is in use; to a
 * browser token it is not granted (403), the same answer as for an id that does not exist.
 */
final class Owners {
  private final SandmanClient client;

  Owners(SandmanClient client) {
    this.client = client;
  }

  /** The caller may act on the sandbox: the admin always, another token for its own user's. */
  void check(Auth.Principal caller, String sandboxId) {
    if (!caller.admin()) {
      status(caller, sandboxId);
    }
  }

  /** The sandbox's status, if the caller may see it. */
  SandboxStatus status(Auth.Principal caller, String sandboxId) {
    caller.requireSandbox(sandboxId);
    SandboxStatus status;
    try {
      status = client.status(sandboxId);
    } catch (SandmanException e) {
      if (caller.browser() != null && e.kind() == SandmanException.Kind.NOT_FOUND) {
        throw notGranted(sandboxId);
      }
      throw e;
    }
    check(caller, status);
    return status;
  }

  /** As {@link #check(Auth.Principal, String)}, with the status just read. */
  void check(Auth.Principal caller, SandboxStatus status) {
    caller.requireSandbox(status.sandboxId());
    if (!caller.mayActFor(status.userId())) {
      throw caller.browser() != null ? notGranted(status.sandboxId()) : SandmanException.notTracked(status.sandboxId());
    }
  }

  private static ApiException notGranted(String sandboxId) {
    return ApiException.forbidden("this browser token does not grant sandbox " + sandboxId, null);
  }
}
