package dev.sandman.http;

import dev.sandman.starter.SandmanClient;
import dev.sandman.starter.SandmanException;
import dev.sandman.workflows.SandboxStatus;

/**
 * The one check an app token passes to act on a sandbox: the owner is the one its workflow holds now
 * (its published status, read fresh: a describe, not billed), never a remembered one. Another user's
 * sandbox is answered as one never tracked, so an app user cannot tell whether an id is in use.
 */
final class Owners {
  private final SandmanClient client;

  Owners(SandmanClient client) {
    this.client = client;
  }

  /** The caller may act on the sandbox: the admin always, an app token for its own user's (404 otherwise). */
  void check(Auth.Principal caller, String sandboxId) {
    if (!caller.admin()) {
      check(caller, client.status(sandboxId));
    }
  }

  /** As {@link #check(Auth.Principal, String)}, with the status just read. */
  void check(Auth.Principal caller, SandboxStatus status) {
    if (!caller.mayActFor(status.userId())) {
      throw SandmanException.notTracked(status.sandboxId());
    }
  }
}
