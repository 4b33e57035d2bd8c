// Staying true to E2B, end to end on `./sandman dev` in real time: E2B's simulator changes sandboxes behind
// Sandman's back and sends its signed webhooks, the sweep adopts and kills orphans, a busy sandbox is not
// paused, and an app's pre-pause hook (a server of this test) answers 2xx, 409, 500 or nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createHmac } from "node:crypto";
import { startSandman } from "./dev.mjs";

const HOOK_SECRET = "ts-pre-pause-secret-0123456789";
const E2B_KEY = "e2b_dev_simulator_key";
const external = Boolean(process.env.SANDMAN_URL); // a Sandman this test did not start has no hook of ours

let sandman;
let hook;
/** What the hook answers, by sandbox id: [{ status, delayMs }, ...] in order; 204 when nothing is planned. */
const plans = new Map();
/** What the hook received: { sandboxId, cause, signedRight }. */
const asked = [];

before(async () => {
  hook = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const [t, v1] = (req.headers["x-sandman-signature"] ?? "").split(",").map((p) => p.split("=")[1]);
      const expected = createHmac("sha256", HOOK_SECRET).update(`${t}.`).update(body).digest("hex");
      const event = JSON.parse(body.toString());
      asked.push({ sandboxId: event.sandboxId, cause: event.cause, type: event.type, signedRight: expected === v1 });
      const plan = plans.get(event.sandboxId)?.shift() ?? { status: 204, delayMs: 0 };
      setTimeout(() => {
        if (!res.destroyed) res.writeHead(plan.status).end();
      }, plan.delayMs);
    });
  });
  await new Promise((r) => hook.listen(0, "127.0.0.1", r));
  sandman = await startSandman({
    SANDMAN_PRE_PAUSE_URL: `http://127.0.0.1:${hook.address().port}/pausing`,
    SANDMAN_PRE_PAUSE_SECRET: HOOK_SECRET,
    SANDMAN_PRE_PAUSE_WAIT: "PT2S",
    SANDMAN_PRE_PAUSE_DEFER: "PT3S",
  });
});

after(async () => {
  await sandman?.stop();
  hook?.closeAllConnections?.();
  await new Promise((r) => hook?.close(r) ?? r());
});

async function api(method, path, body) {
  const res = await fetch(sandman.url + path, {
    method,
    headers: { Authorization: `Bearer ${sandman.admin}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function e2b(method, path, body) {
  const res = await fetch(sandman.e2b + path, {
    method,
    headers: { "X-API-Key": E2B_KEY, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** A sandbox made in E2B as an app would make it; tracked unless asked not to. */
async function sandbox({ track = true, metadata = {}, policy } = {}) {
  const made = await e2b("POST", "/sandboxes", { templateID: "base", timeout: 600, autoPause: true, metadata });
  const id = made.body.sandboxID;
  if (track) {
    const tracked = await api("POST", "/v1/sandboxes", { sandboxId: id, projectId: "truth", userId: "ts", policy });
    assert.equal(tracked.status, 201, JSON.stringify(tracked.body));
  }
  return id;
}

async function until(what, check, seconds = 15) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const status = (await api("GET", `/v1/sandboxes/${what.id}`)).body;
    if (check(status)) return status;
    if (Date.now() > deadline) assert.fail(`${what.text} within ${seconds} s; status ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const last = (status) => status.transitions[status.transitions.length - 1];

test("an app's connect resumes a paused sandbox behind Sandman's back: RUNNING again within seconds", async () => {
  const id = await sandbox();
  assert.equal((await api("POST", `/v1/sandboxes/${id}/pause`)).body.state, "PAUSED");
  const started = Date.now();
  assert.equal((await e2b("POST", `/sandboxes/${id}/connect`, { timeout: 300 })).status, 201);
  const status = await until({ id, text: "RUNNING (e2b-resumed)" }, (s) => s.state === "RUNNING");
  assert.equal(last(status).cause, "e2b-resumed");
  console.log(`E2B's resume reached the status in ${Date.now() - started} ms`);
});

test("a kill from E2B's dashboard ends the sandbox KILLED (sandbox-gone)", async () => {
  const id = await sandbox();
  assert.equal((await e2b("DELETE", `/sandboxes/${id}`)).status, 204);
  const status = await until({ id, text: "KILLED" }, (s) => s.state === "KILLED");
  assert.equal(last(status).cause, "sandbox-gone");
});

test("a forged E2B webhook is refused and changes nothing", async () => {
  const event = { version: "v1", id: "forged-1", type: "sandbox.lifecycle.killed", sandboxId: "nobody", timestamp: new Date().toISOString() };
  const forged = await fetch(`${sandman.url}/v1/e2b/events`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "e2b-signature": "bm90LWEtc2lnbmF0dXJl", "e2b-signature-version": "v1" },
    body: JSON.stringify(event),
  });
  assert.equal(forged.status, 401);
});

test("the sweep adopts an orphan with its metadata's project and user, and kills another", async () => {
  const tag = "ts" + Math.random().toString(36).slice(2, 8);
  const adoptMe = await sandbox({ track: false, metadata: { batch: tag, projectId: "legacy", userId: "bob" } });
  const dry = await api("POST", "/v1/sweeps", { orphans: "adopt", metadata: { batch: tag }, dryRun: true, grace: "PT0S" });
  assert.equal(dry.status, 200);
  assert.deepEqual(dry.body.items.map((i) => i.outcome), ["would-adopt"]);
  const adopted = await api("POST", "/v1/sweeps", { orphans: "adopt", metadata: { batch: tag }, grace: "PT0S" });
  assert.equal(adopted.body.adopted, 1);
  const status = (await api("GET", `/v1/sandboxes/${adoptMe}`)).body;
  assert.equal(status.projectId, "legacy");
  assert.equal(status.userId, "bob");

  const killMe = await sandbox({ track: false, metadata: { batch: tag + "k" } });
  const killed = await api("POST", "/v1/sweeps", { orphans: "kill", metadata: { batch: tag + "k" }, grace: "PT0S" });
  assert.equal(killed.body.killed, 1);
  assert.equal((await e2b("GET", `/sandboxes/${killMe}`)).status, 404);
});

test("a busy sandbox is not paused at its deadline, and is once quiet; the hook is asked first, signed", { skip: external }, async () => {
  const id = await sandbox({ policy: { idleTimeout: "PT3S", busyCpuPercent: 50 } });
  await e2b("POST", "/_sim/cpu", { sandboxId: id, percent: 90 });
  const busy = await until({ id, text: "a pause put off as busy" }, (s) => last(s).cause === "busy");
  assert.equal(busy.state, "RUNNING");
  await e2b("POST", "/_sim/cpu", { sandboxId: id, percent: 1 });
  const paused = await until({ id, text: "PAUSED once quiet" }, (s) => s.state === "PAUSED");
  assert.equal(paused.prePause.outcome, "ok", JSON.stringify(paused.prePause));
  const told = asked.filter((a) => a.sandboxId === id);
  assert.equal(told.length, 1);
  assert.deepEqual(told[0], { sandboxId: id, cause: "idle", type: "sandbox.pausing", signedRight: true });
});

test("the hook's 409 puts an idle pause off once; a second 409 does not", { skip: external }, async () => {
  const id = await sandbox({ policy: { idleTimeout: "PT3S" } });
  plans.set(id, [{ status: 409, delayMs: 0 }, { status: 409, delayMs: 0 }]);
  const deferred = await until({ id, text: "a pause put off by the hook" }, (s) => last(s).cause === "pre-pause-deferred");
  assert.equal(deferred.state, "RUNNING");
  const paused = await until({ id, text: "PAUSED after the deferral" }, (s) => s.state === "PAUSED");
  assert.equal(paused.prePause.outcome, "refused");
});

test("a hook that answers 500, or nothing in its wait, never keeps a sandbox from its pause", { skip: external }, async () => {
  const failing = await sandbox({ policy: { idleTimeout: "PT3S" } });
  plans.set(failing, [{ status: 500, delayMs: 0 }]);
  const hanging = await sandbox({ policy: { idleTimeout: "PT3S" } });
  plans.set(hanging, [{ status: 200, delayMs: 10_000 }]);
  assert.equal((await until({ id: failing, text: "PAUSED" }, (s) => s.state === "PAUSED")).prePause.outcome, "failed");
  const hung = await until({ id: hanging, text: "PAUSED" }, (s) => s.state === "PAUSED");
  assert.equal(hung.prePause.outcome, "timeout");
  assert.ok(new Date(hung.stateSince) - new Date(hung.prePause.at) < 5000, "paused within seconds of the wait running out");
});
