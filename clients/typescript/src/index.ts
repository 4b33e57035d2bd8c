// Sandman's HTTP API for Node and edge runtimes: fetch only, no dependencies.
import type {
  ApiError,
  BrowserToken,
  Hold,
  ListPage,
  Policy,
  PolicyPatch,
  ProjectStatus,
  Report,
  SandboxStatus,
  SandboxSummary,
  TrackRequest,
} from "./api-types.js";
import { Touches } from "./touches.js";
import { readEvents } from "./sse.js";

export type * from "./api-types.js";
export type SandboxState = SandboxStatus["state"];

export interface ClientOptions {
  /** Where the API listens, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  /** The admin token, the app token (with userId), or a browser token from mintBrowserToken. */
  token: string;
  /** With the app token: the user the app acts for (sent as X-Sandman-User). */
  userId?: string;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
  /** How long before a held touch is due it is sent, in ms (default 30 000, as the Java client). */
  touchMarginMs?: number;
}

/** A refusal or failure of the API: the HTTP status and the API's error code, message and field. */
export class SandmanError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: number, body: Partial<ApiError>) {
    super(body.message ?? `HTTP ${status}`);
    this.name = "SandmanError";
    this.status = status;
    this.code = body.error ?? "http_" + status;
    this.field = body.field ?? undefined;
  }
}

export interface TrackResult {
  status: SandboxStatus;
  /** false when the sandbox was already tracked (tracking is idempotent) */
  created: boolean;
}

export interface ListQuery {
  projectId?: string;
  userId?: string;
  state?: SandboxState;
  pageSize?: number;
  pageToken?: string;
}

/** One change of a sandbox: its status as published, or a warning that it pauses or is killed soon. */
export interface StatusEvent {
  /** Give it back as lastEventId to resume after this event. */
  id: string;
  type: "status" | "warning";
  status: SandboxStatus;
}

export interface EventOptions {
  /** Resume after this event (a previous StatusEvent's id). */
  lastEventId?: string;
  /** Ends the iteration (and the connection) when aborted. */
  signal?: AbortSignal;
}

export interface FeedFilter {
  projectId?: string;
  userId?: string;
  /** Only events whose status is in this state. */
  state?: SandboxState;
}

export interface MintOptions {
  /** Required with the admin token; the app token mints for its own user. */
  userId?: string;
  /** Only this sandbox. */
  sandboxId?: string;
  /** read (default), or touch: may also report activity. */
  access?: "read" | "touch";
  /** ISO-8601 duration, at most PT1H (default PT15M). */
  ttl?: string;
}

export class SandmanClient {
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly userId: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly touches: Touches;

  constructor(options: ClientOptions) {
    if (!options.baseUrl) throw new TypeError("baseUrl is required");
    if (!options.token) throw new TypeError("token is required");
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.token = options.token;
    this.userId = options.userId;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.touches = new Touches(
      (id) => this.status(id),
      (id, at) => this.sendActivity(id, at),
      options.touchMarginMs ?? 30_000,
    );
  }

  // ---- sandboxes --------------------------------------------------------------------------

  /** Starts orchestrating an existing sandbox (idempotent). */
  async track(request: TrackRequest & { sandboxId: string }): Promise<TrackResult> {
    return this.trackOrCreate(request);
  }

  /** Creates a sandbox through E2B from a template and tracks it. */
  async create(request: TrackRequest & { template: string }): Promise<TrackResult> {
    const { sandboxId: _ignored, ...rest } = request;
    return this.trackOrCreate(rest);
  }

  private async trackOrCreate(request: TrackRequest): Promise<TrackResult> {
    const response = await this.call("POST", "/v1/sandboxes", request);
    return { status: (await response.json()) as SandboxStatus, created: response.status === 201 };
  }

  /**
   * Records activity (a keystroke, a request). Touches are coalesced as the Java client does: one is
   * sent at once when the sandbox is not RUNNING (it wakes it), otherwise the newest is held and sent
   * shortly before the workflow's activityDueBy: about one request per idle-timeout span however many
   * touches. Call flush() before the process exits.
   */
  touch(sandboxId: string, at: Date = new Date()): Promise<void> {
    return this.touches.touch(sandboxId, at.getTime());
  }

  /** Sends every held touch now. */
  flush(): Promise<void> {
    return this.touches.flushAll();
  }

  async status(sandboxId: string): Promise<SandboxStatus> {
    return (await this.call("GET", `/v1/sandboxes/${seg(sandboxId)}`)).json() as Promise<SandboxStatus>;
  }

  async list(query: ListQuery = {}): Promise<ListPage> {
    return (await this.call("GET", "/v1/sandboxes" + params(query))).json() as Promise<ListPage>;
  }

  /** Every sandbox matching the query, page after page. */
  async *listAll(query: Omit<ListQuery, "pageToken"> = {}): AsyncGenerator<SandboxSummary> {
    let pageToken: string | undefined;
    do {
      const page = await this.list({ ...query, ...(pageToken ? { pageToken } : {}) });
      yield* page.items ?? [];
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
  }

  /** Pauses now; answers once PAUSED. */
  async pause(sandboxId: string, reason?: string): Promise<SandboxStatus> {
    return this.json("POST", `/v1/sandboxes/${seg(sandboxId)}/pause`, reason ? { reason } : {});
  }

  /** Resumes now; answers once RUNNING. */
  async resume(sandboxId: string, reason?: string): Promise<SandboxStatus> {
    return this.json("POST", `/v1/sandboxes/${seg(sandboxId)}/resume`, reason ? { reason } : {});
  }

  /** Kills the sandbox (idempotent); answers its final status. */
  async kill(sandboxId: string, reason?: string): Promise<SandboxStatus> {
    return this.json("DELETE", `/v1/sandboxes/${seg(sandboxId)}`, reason ? { reason } : {});
  }

  /** Keeps the sandbox awake (waking it if paused) for ttl (ISO-8601), capped by its maxHold. */
  async hold(sandboxId: string, ttl: string, reason?: string): Promise<Hold> {
    return this.json("POST", `/v1/sandboxes/${seg(sandboxId)}/holds`, reason ? { ttl, reason } : { ttl });
  }

  async release(sandboxId: string, holdId: string): Promise<SandboxStatus> {
    return this.json("DELETE", `/v1/sandboxes/${seg(sandboxId)}/holds/${seg(holdId)}`);
  }

  /** Changes the sandbox's own policy layer; deadlines move at once. */
  async setPolicy(sandboxId: string, patch: PolicyPatch): Promise<SandboxStatus> {
    return this.json("PUT", `/v1/sandboxes/${seg(sandboxId)}/policy`, patch);
  }

  // ---- projects and the report -------------------------------------------------------------

  async projectPolicy(projectId: string): Promise<ProjectStatus> {
    return this.json("GET", `/v1/projects/${seg(projectId)}/policy`);
  }

  /** Replaces a project's policy layer (admin token); null removes it. */
  async setProjectPolicy(projectId: string, layer: Policy | null): Promise<ProjectStatus> {
    return layer === null
      ? this.json("DELETE", `/v1/projects/${seg(projectId)}/policy`)
      : this.json("PUT", `/v1/projects/${seg(projectId)}/policy`, layer);
  }

  async report(filter: { projectId?: string; userId?: string } = {}): Promise<Report> {
    return this.json("GET", "/v1/report" + params(filter));
  }

  /** A short-lived token for a browser: one user's (optionally one sandbox's), read or touch. */
  async mintBrowserToken(options: MintOptions = {}): Promise<BrowserToken> {
    return this.json("POST", "/v1/browser-tokens", options);
  }

  // ---- live events -------------------------------------------------------------------------

  /**
   * The sandbox's changes as they happen: its status now, then every transition, deadline move,
   * warning, hold and kill. Reconnects by itself (resuming after the last event, without gaps or
   * duplicates) and ends after the sandbox's final KILLED status, or when the signal aborts.
   */
  events(sandboxId: string, options: EventOptions = {}): AsyncGenerator<StatusEvent> {
    return this.stream(`/v1/sandboxes/${seg(sandboxId)}/events`, options, true);
  }

  /** The changes of every sandbox of a project and/or user (an app token: its own user's), as they happen. */
  feed(filter: FeedFilter = {}, options: EventOptions = {}): AsyncGenerator<StatusEvent> {
    return this.stream("/v1/events" + params(filter), options, false);
  }

  private async *stream(path: string, options: EventOptions, endsWithKill: boolean): AsyncGenerator<StatusEvent> {
    let lastEventId = options.lastEventId;
    let retryMs = 2000;
    let failures = 0;
    while (!options.signal?.aborted) {
      let response: Response;
      try {
        response = await this.fetchImpl(this.baseUrl + path, {
          headers: { ...this.headers(), Accept: "text/event-stream", ...(lastEventId ? { "Last-Event-ID": lastEventId } : {}) },
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (e) {
        if (options.signal?.aborted) return;
        await sleep(Math.min(30_000, retryMs * 2 ** Math.min(failures++, 4)), options.signal);
        continue;
      }
      if (response.status === 204) return; // nothing more: the sandbox was killed and its final status delivered
      if (!response.ok) {
        const error = new SandmanError(response.status, await errorBody(response));
        if (response.status < 500) throw error; // refused: retrying changes nothing
        await sleep(Math.min(30_000, retryMs * 2 ** Math.min(failures++, 4)), options.signal);
        continue;
      }
      failures = 0;
      try {
        for await (const event of readEvents(response.body!, (ms) => (retryMs = ms))) {
          if (event.type === "error") break;
          lastEventId = event.id ?? lastEventId;
          const status = JSON.parse(event.data) as SandboxStatus;
          yield { id: event.id ?? "", type: event.type === "warning" ? "warning" : "status", status };
          if (endsWithKill && status.state === "KILLED") return;
        }
      } catch (e) {
        if (options.signal?.aborted) return;
      }
      await sleep(retryMs, options.signal);
    }
  }

  // ---- the wire ----------------------------------------------------------------------------

  private async sendActivity(sandboxId: string, at: number): Promise<void> {
    await this.call("POST", `/v1/sandboxes/${seg(sandboxId)}/activity`, { at: new Date(at).toISOString() });
  }

  private headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.token}`, ...(this.userId ? { "X-Sandman-User": this.userId } : {}) };
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.call(method, path, body)).json() as Promise<T>;
  }

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    const response = await this.fetchImpl(this.baseUrl + path, {
      method,
      headers: { ...this.headers(), ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new SandmanError(response.status, await errorBody(response));
    return response;
  }
}

const seg = (s: string) => encodeURIComponent(s);

function params(query: object): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) search.set(name, String(value));
  }
  const text = search.toString();
  return text ? "?" + text : "";
}

async function errorBody(response: Response): Promise<Partial<ApiError>> {
  const text = await response.text();
  try {
    return JSON.parse(text) as Partial<ApiError>;
  } catch {
    return { message: text || `HTTP ${response.status}` };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
