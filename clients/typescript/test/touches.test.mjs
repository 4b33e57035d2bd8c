// The touch rule alone, on a mocked clock: when a held touch goes out, as the Java client decides it.
import { test, mock } from "node:test";
import assert from "node:assert/strict";
import { Touches, marginFor } from "../dist/touches.js";

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A sandbox RUNNING with `spanMs` of activity left from the clock's start; records what is sent, and when. */
function running(spanMs) {
  const sent = [];
  const status = { state: "RUNNING", lastActivityAt: new Date(0).toISOString(), activityDueBy: new Date(spanMs).toISOString() };
  const touches = new Touches(async () => status, async (id, at) => { sent.push({ at, when: Date.now() }); }, 30_000);
  return { touches, sent };
}

/** Touches once a second for `forMs`, then returns when the first held touch was sent. */
async function firstSend(spanMs, forMs) {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
  try {
    const { touches, sent } = running(spanMs);
    for (let t = 1_000; t <= spanMs && sent.length === 0; t += 1_000) {
      mock.timers.tick(1_000);
      await settle();
      if (t <= forMs) await touches.touch("sb", Date.now());
      await settle();
    }
    assert.equal(sent.length, 1, "one request for the span");
    return sent[0];
  } finally {
    mock.timers.reset();
  }
}

test("the margin is the option's, at most a third of the span", () => {
  assert.equal(marginFor(30_000, 600_000), 30_000);
  assert.equal(marginFor(30_000, 90_000), 30_000);
  assert.equal(marginFor(30_000, 30_000), 10_000);
  assert.equal(marginFor(30_000, -5), 0);
});

test("with a 10-minute idle timeout the newest touch goes 30-45 s before it is due", async () => {
  const first = await firstSend(600_000, 600_000);
  assert.ok(first.when >= 555_000 && first.when <= 570_000, `sent at ${first.when} ms`);
  assert.ok(first.at >= first.when - 1_000, "the newest touch");
});

test("with a 30 s idle timeout touches are held and sent 10-15 s before due, not every one at once", async () => {
  const first = await firstSend(30_000, 30_000);
  assert.ok(first.when >= 15_000 && first.when <= 20_000, `sent at ${first.when} ms`);
});
