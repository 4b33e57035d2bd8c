import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SandmanClient, SandmanError } from "../dist/index.js";
import { generate, specPath, outPath } from "../scripts/gen-types.mjs";
import { startSandman } from "./dev.mjs";

let sandman;
let admin;

before(async () => {
  sandman = await startSandman();
  admin = new SandmanClient({ baseUrl: sandman.url, token: sandman.admin });
});

after(async () => {
  await sandman?.stop();
});

const newId = () => "u" + Math.random().toString(36).slice(2, 10);

/** A client for one user through the app token, counting the requests it makes. */
function appClient(userId, extra = {}) {
  const requests = [];
  const client = new SandmanClient({
    baseUrl: sandman.url,
    token: sandman.app,
    userId,
    fetch: (url, init) => {
      requests.push(`${init?.method ?? "GET"} ${new URL(url).pathname}`);
      return fetch(url, init);
    },
    ...extra,
  });
  return { client, requests };
}

test("the generated types are those of the API's OpenAPI document", () => {
  const spec = JSON.parse(readFileSync(specPath, "utf8"));
  assert.equal(readFileSync(outPath, "utf8"), generate(spec), "run `npm run generate`");
});

test("a sandbox's life: create, status, list, pause, resume, holds, policy, kill", async () => {
  const user = newId();
  const { client } = appClient(user);
  const created = await client.create({ projectId: "ts", template: "base", policy: { idleTimeout: "PT10M" } });
  assert.equal(created.created, true);
  const id = created.status.sandboxId;
  assert.equal(created.status.state, "RUNNING");
  assert.equal(created.status.userId, user);

  const again = await client.track({ sandboxId: id, projectId: "ts" });
  assert.equal(again.created, false);
  assert.equal((await client.status(id)).policy.idleTimeout, "PT10M");

  const listed = [];
  for await (const item of client.listAll({ projectId: "ts", pageSize: 1 })) listed.push(item.sandboxId);
  assert.deepEqual(listed, [id]);

  assert.equal((await client.pause(id, "lunch")).state, "PAUSED");
  assert.equal((await client.resume(id)).state, "RUNNING");
  const hold = await client.hold(id, "PT20M", "npm install");
  assert.ok(hold.holdId);
  assert.equal((await client.status(id)).holds.length, 1);
  assert.equal((await client.release(id, hold.holdId)).holds.length, 0);
  assert.equal((await client.setPolicy(id, { idleTimeout: "PT30M" })).policy.idleTimeout, "PT30M");
  const report = await client.report({ projectId: "ts" });
  assert.equal(report.total.sandboxes, 1);
  assert.equal((await client.kill(id, "done")).state, "KILLED");
  assert.equal((await client.kill(id)).state, "KILLED", "kill is idempotent");
});

test("refusals are SandmanErrors with the API's status, code and field", async () => {
  const { client } = appClient(newId());
  await assert.rejects(client.status("no-such-sandbox"), (e) => e instanceof SandmanError && e.status === 404 && e.code === "not_found");
  await assert.rejects(client.setPolicy("x", { idleTimeout: "ten minutes" }), (e) => e.status === 400 && e.field === "idleTimeout");
  await assert.rejects(client.setProjectPolicy("ts", { idleTimeout: "PT5M" }), (e) => e.status === 403);
  const project = await admin.setProjectPolicy("ts-policy", { idleTimeout: "PT5M" });
  assert.equal(project.policy.idleTimeout, "PT5M");
  assert.equal((await admin.projectPolicy("ts-policy")).policy.idleTimeout, "PT5M");
});

test("touches are coalesced: many touches of a running sandbox are one request, sent before it is due", async () => {
  const { client, requests } = appClient(newId());
  const { status } = await client.create({ projectId: "ts", template: "base", policy: { idleTimeout: "PT10M" } });
  const before = Date.parse(status.lastActivityAt);
  for (let i = 0; i < 25; i++) await client.touch(status.sandboxId);
  assert.equal(requests.filter((r) => r.endsWith("/activity")).length, 0, "held: nothing is due for minutes");
  await client.flush();
  assert.equal(requests.filter((r) => r.endsWith("/activity")).length, 1);
  const after = await client.status(status.sandboxId);
  assert.ok(Date.parse(after.lastActivityAt) > before, "the newest touch reached the workflow");

  // a touch of a paused sandbox wakes it at once
  await client.pause(status.sandboxId);
  await client.touch(status.sandboxId);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(requests.filter((r) => r.endsWith("/activity")).length, 2);
  let state;
  for (let i = 0; i < 40 && state !== "RUNNING"; i++) {
    state = (await client.status(status.sandboxId)).state;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(state, "RUNNING");
});

test("events: the status now, each change as it happens, resumption after a reconnect, and the end at the kill", async () => {
  const { client } = appClient(newId());
  const { status } = await client.create({ projectId: "ts", template: "base" });
  const id = status.sandboxId;
  const controller = new AbortController();
  const seen = [];
  let pausedId;
  for await (const event of client.events(id, { signal: controller.signal })) {
    seen.push(event.status.state);
    if (seen.length === 1) {
      assert.equal(event.status.state, "RUNNING");
      await client.pause(id, "from the test");
    }
    if (event.status.state === "PAUSED") {
      pausedId = event.id;
      controller.abort();
    }
  }
  assert.ok(pausedId, `saw ${seen}`);
  await client.resume(id);
  await client.kill(id);
  const later = [];
  for await (const event of client.events(id, { lastEventId: pausedId })) later.push(event.status.state);
  assert.ok(!later.includes("PAUSED"), `nothing before the resumption point: ${later}`);
  assert.equal(later.at(-1), "KILLED");
  assert.ok(later.includes("RUNNING"));
});

test("a feed shows the user's own sandboxes only", async () => {
  const user = newId();
  const { client } = appClient(user);
  const other = appClient(newId()).client;
  const mine = (await client.create({ projectId: "ts-feed", template: "base" })).status.sandboxId;
  const theirs = (await other.create({ projectId: "ts-feed", template: "base" })).status.sandboxId;
  // pause both: mine must come, theirs must not
  const second = new AbortController();
  const seen = [];
  const timer = setTimeout(() => second.abort(), 8000);
  const reading = (async () => {
    for await (const event of client.feed({ projectId: "ts-feed", state: "PAUSED" }, { signal: second.signal })) {
      seen.push(event.status.sandboxId);
      if (event.status.sandboxId === mine) second.abort();
    }
  })();
  await new Promise((r) => setTimeout(r, 500));
  await other.pause(theirs);
  await client.pause(mine);
  await reading;
  clearTimeout(timer);
  assert.ok(seen.includes(mine), `saw ${seen}`);
  assert.ok(!seen.includes(theirs));
});

test("a browser token reads and follows its sandbox, and touches only when it grants touch", async () => {
  const user = newId();
  const { client } = appClient(user);
  const id = (await client.create({ projectId: "ts", template: "base" })).status.sandboxId;
  const readOnly = await client.mintBrowserToken({ sandboxId: id });
  assert.equal(readOnly.access, "read");
  const browser = new SandmanClient({ baseUrl: sandman.url, token: readOnly.token });
  assert.equal((await browser.status(id)).sandboxId, id);
  const controller = new AbortController();
  for await (const event of browser.events(id, { signal: controller.signal })) {
    assert.equal(event.status.sandboxId, id);
    controller.abort();
  }
  await assert.rejects(browser.pause(id), (e) => e.status === 403);
  await assert.rejects(browser.touch(id).then(() => browser.flush()), (e) => e.status === 403);
  const toucher = new SandmanClient({ baseUrl: sandman.url, token: (await client.mintBrowserToken({ access: "touch", ttl: "PT5M" })).token });
  await client.pause(id);
  await toucher.touch(id);
  await toucher.flush();
  await assert.rejects(new SandmanClient({ baseUrl: sandman.url, token: readOnly.token + "x" }).status(id), (e) => e.status === 401);
});
