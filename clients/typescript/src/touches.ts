// The Java client's touch rule: the fewest activity requests that keep an active sandbox from pausing.
import type { SandboxStatus } from "./api-types.js";

/** How old the known status may be when a touch decides on it. */
const KNOWLEDGE_TTL_MS = 5_000;
/** Where nothing says when activity is due (not RUNNING): at most one request a second. */
const UNKNOWN_DUE_WINDOW_MS = 1_000;

interface Entry {
  known?: SandboxStatus;
  knownAt: number;
  /** The newest touch not sent yet (0: none). */
  pendingAt: number;
  timer?: ReturnType<typeof setTimeout>;
  /** When a touch that wakes the sandbox was last sent (those go at once, at most once a second). */
  lastWake: number;
  /** This process's share of the margin (up to half of it more), so processes sharing a sandbox send seconds apart. */
  spread: number;
  chain: Promise<void>;
}

/**
 * Never more than a third of the time activity lasts, so short idle timeouts keep most of it; not less, so
 * a user touching every fifth of it still has time, when the process holding their touch dies just before
 * sending it, for the next touch to be sent through another process and arrive.
 */
export function marginFor(marginMs: number, spanMs: number): number {
  return Math.min(marginMs, Math.max(0, spanMs / 3));
}

export class Touches {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly read: (sandboxId: string) => Promise<SandboxStatus>,
    private readonly send: (sandboxId: string, at: number) => Promise<void>,
    private readonly marginMs: number,
  ) {}

  /** Resolves once the touch is sent or held; rejects if the sandbox is not tracked or killed. */
  touch(sandboxId: string, at: number): Promise<void> {
    const entry = this.entry(sandboxId);
    const next = entry.chain.then(() => this.decide(sandboxId, entry, at));
    entry.chain = next.catch(() => {});
    return next;
  }

  async flushAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.flush(id)));
  }

  private entry(sandboxId: string): Entry {
    let entry = this.entries.get(sandboxId);
    if (!entry) {
      entry = { knownAt: -Infinity, pendingAt: 0, lastWake: -Infinity, spread: Math.random() * 0.5, chain: Promise.resolve() };
      this.entries.set(sandboxId, entry);
    }
    return entry;
  }

  private async decide(sandboxId: string, entry: Entry, at: number): Promise<void> {
    const now = Date.now();
    if (!entry.known || now - entry.knownAt > KNOWLEDGE_TTL_MS) {
      entry.known = await this.read(sandboxId);
      entry.knownAt = Date.now();
    }
    const status = entry.known;
    if (status.state === "KILLED") {
      throw Object.assign(new Error(`sandbox ${sandboxId} is killed`), { status: 409, code: "conflict" });
    }
    const has = status.lastActivityAt ? Date.parse(status.lastActivityAt) : 0;
    if (at <= has || at <= entry.pendingAt) return; // the workflow (or a held touch) has newer activity already
    if (status.state !== "RUNNING" || !status.activityDueBy || !status.lastActivityAt) {
      entry.pendingAt = at; // wakes a paused sandbox: sent at once, at most once a second
      entry.lastWake = Math.max(now, entry.lastWake + UNKNOWN_DUE_WINDOW_MS);
      this.schedule(sandboxId, entry, entry.lastWake);
      return;
    }
    entry.pendingAt = at;
    const due = Date.parse(status.activityDueBy);
    const margin = marginFor(this.marginMs, due - has);
    this.schedule(sandboxId, entry, due - margin * (1 + entry.spread));
  }

  private schedule(sandboxId: string, entry: Entry, when: number): void {
    if (entry.timer) clearTimeout(entry.timer);
    const delay = Math.max(0, when - Date.now());
    entry.timer = setTimeout(() => void this.flush(sandboxId).catch(() => {}), delay);
    (entry.timer as { unref?: () => void }).unref?.();
  }

  /** Sends the held touch unless the workflow has newer activity by now (another process sent it). */
  private async flush(sandboxId: string): Promise<void> {
    const entry = this.entries.get(sandboxId);
    if (!entry || entry.pendingAt === 0) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    const at = entry.pendingAt;
    if (entry.known?.state === "RUNNING" && entry.known.activityDueBy) {
      entry.known = await this.read(sandboxId);
      entry.knownAt = Date.now();
      const has = entry.known.lastActivityAt ? Date.parse(entry.known.lastActivityAt) : 0;
      if (has >= at) {
        entry.pendingAt = 0;
        return;
      }
    }
    entry.pendingAt = 0;
    await this.send(sandboxId, at);
    entry.knownAt = -Infinity; // what the workflow has changed: read it again on the next touch
  }
}
