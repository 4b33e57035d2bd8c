// The Sandman console: plain DOM, no framework, no inline script. Every value from the API reaches the
// page as text (textContent / text nodes), never as markup. Live updates come from the API's event
// streams, read with fetch so the token travels in a header, never in a URL.
"use strict";

const $ = (id) => document.getElementById(id);
const session = window.sessionStorage;
let token = session.getItem("sandman.token");
let user = session.getItem("sandman.user") || "";
let admin = session.getItem("sandman.admin") === "true";

/** An element with properties and children; strings become text nodes. */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "style") node.style.cssText = value; // CSSOM: allowed by the page's style-src 'self'
    else if (key.startsWith("data-") || key.startsWith("aria-") || key === "role") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

function say(text) {
  $("notice").textContent = text || "";
}

// ---- the API -------------------------------------------------------------------------------

function headers(extra = {}) {
  const h = { Authorization: `Bearer ${token}`, ...extra };
  if (user) h["X-Sandman-User"] = user;
  return h;
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: headers(body ? { "Content-Type": "application/json" } : {}),
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error((json && json.message) || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return json;
}

/** Follows an event stream (Server-Sent Events) with fetch; reconnects with Last-Event-ID. Returns a stop function. */
function follow(path, onStatus) {
  const control = new AbortController();
  let stopped = false;
  let lastId = null;
  (async () => {
    while (!stopped) {
      try {
        const response = await fetch(path, {
          headers: headers({ Accept: "text/event-stream", ...(lastId ? { "Last-Event-ID": lastId } : {}) }),
          signal: control.signal,
        });
        if (response.status === 204) return; // the sandbox's story is over
        if (!response.ok) throw new Error(`stream answered ${response.status}`);
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true }).replace(/\r/g, "");
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let data = "";
            for (const line of block.split("\n")) {
              if (line.startsWith("data:")) data += line.slice(5).trim();
              else if (line.startsWith("id:")) lastId = line.slice(3).trim();
            }
            if (data) onStatus(JSON.parse(data));
          }
        }
      } catch (error) {
        if (stopped || error.name === "AbortError") return;
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  })();
  return () => {
    stopped = true;
    control.abort();
  };
}

// ---- formatting ----------------------------------------------------------------------------

function span(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 3600) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** An ISO-8601 duration (PT10M, P30D) as people say it. */
function iso(duration) {
  if (!duration) return "-";
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(duration);
  if (!m) return duration;
  const parts = [];
  if (m[1]) parts.push(`${m[1]} d`);
  if (m[2]) parts.push(`${m[2]} h`);
  if (m[3]) parts.push(`${m[3]} min`);
  if (m[4]) parts.push(`${m[4]} s`);
  return parts.join(" ") || "0 s";
}

const dollars = (n) => `$${(n ?? 0).toFixed(4)}`;
const hours = (n) => `${(n ?? 0).toFixed(2)} h`;
const when = (t) => (t ? new Date(t).toLocaleString() : "-");

/** What keeps a running sandbox awake, and when it will pause or be killed. */
function awake(status) {
  if (status.state !== "RUNNING") return "";
  if (status.holds && status.holds.length) return `held: ${status.holds.map((h) => h.reason || h.holdId).join(", ")}`;
  const last = status.transitions && status.transitions[status.transitions.length - 1];
  if (last && last.cause === "busy") return "busy (CPU)";
  if (last && last.cause === "pre-pause-deferred") return "the app asked for time";
  return "activity";
}

function deadlineOf(status) {
  if (status.state === "RUNNING" && status.pauseDeadline) return { at: status.pauseDeadline, what: "pauses" };
  if (status.killDeadline && status.state !== "KILLED") return { at: status.killDeadline, what: "killed" };
  return null;
}

function countdown(status) {
  const deadline = deadlineOf(status);
  const node = el("span", { class: "countdown" });
  if (deadline) {
    node.dataset.at = deadline.at;
    node.dataset.what = deadline.what;
  }
  return node;
}

function tick() {
  for (const node of document.querySelectorAll(".countdown")) {
    if (!node.dataset.at) continue;
    const left = new Date(node.dataset.at) - Date.now();
    node.textContent = left > 0 ? `${node.dataset.what} in ${span(left)}` : `${node.dataset.what} now`;
  }
}

// ---- views ---------------------------------------------------------------------------------

const views = ["sign-in", "sandboxes", "detail", "money", "advice"];
let stopFeed = null;
let stopDetail = null;

function show(view) {
  for (const id of views) $(id).hidden = id !== view;
  for (const button of document.querySelectorAll("nav button[data-view]")) {
    if (button.dataset.view === view || (view === "detail" && button.dataset.view === "sandboxes")) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  if (view !== "detail" && stopDetail) {
    stopDetail();
    stopDetail = null;
  }
}

function signedIn() {
  $("nav").hidden = false;
  $("user-filter-label").hidden = !admin;
  document.querySelector('nav button[data-view="advice"]').hidden = !admin;
  show("sandboxes");
  loadSandboxes(true);
}

$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  token = $("token").value.trim();
  user = $("user").value.trim();
  say("");
  try {
    await api("GET", "/v1/sandboxes?pageSize=1");
    try {
      await api("GET", "/v1/advice?projectId=sandman-console-probe");
      admin = true;
    } catch (error) {
      admin = false;
    }
    session.setItem("sandman.token", token);
    session.setItem("sandman.user", user);
    session.setItem("sandman.admin", String(admin));
    $("token").value = "";
    signedIn();
  } catch (error) {
    token = null;
    say(error.status === 401 ? "That token was refused." : `Could not sign in: ${error.message}`);
  }
});

$("sign-out").addEventListener("click", () => {
  session.clear();
  token = null;
  if (stopFeed) stopFeed();
  if (stopDetail) stopDetail();
  $("nav").hidden = true;
  rows.clear();
  for (const id of ["list", "facts", "holds", "timeline", "money-total", "money-rows", "advice-rows"]) $(id).replaceChildren();
  show("sign-in");
  $("token").focus();
});

for (const button of document.querySelectorAll("nav button[data-view]")) {
  button.addEventListener("click", () => {
    const view = button.dataset.view;
    show(view);
    if (view === "money") loadMoney();
    if (view === "advice") loadAdvice();
    if (view === "sandboxes") renderList();
  });
}

// ---- sandboxes -----------------------------------------------------------------------------

const rows = new Map(); // sandboxId -> status (or the list's summary until its status arrives)
let nextPage = null;

function scope() {
  const params = new URLSearchParams();
  if ($("state").value) params.set("state", $("state").value);
  if ($("project").value.trim()) params.set("projectId", $("project").value.trim());
  if (admin && $("user-filter").value.trim()) params.set("userId", $("user-filter").value.trim());
  return params;
}

async function loadSandboxes(reset) {
  if (reset) {
    rows.clear();
    nextPage = null;
  }
  const params = scope();
  params.set("pageSize", "50");
  if (!reset && nextPage) params.set("pageToken", nextPage);
  try {
    const page = await api("GET", `/v1/sandboxes?${params}`);
    nextPage = page.nextPageToken || null;
    for (const item of page.items) if (!rows.has(item.sandboxId)) rows.set(item.sandboxId, item);
    renderList();
    await Promise.all(page.items.map(async (item) => {
      try {
        rows.set(item.sandboxId, await api("GET", `/v1/sandboxes/${encodeURIComponent(item.sandboxId)}`));
      } catch (error) {
        // gone meanwhile: the summary stays
      }
    }));
    renderList();
    if (reset) followScope();
  } catch (error) {
    say(`Could not list sandboxes: ${error.message}`);
  }
}

function followScope() {
  if (stopFeed) stopFeed();
  const params = scope();
  $("live").textContent = "Live: changes appear as they happen.";
  stopFeed = follow(`/v1/events?${params}`, (status) => {
    rows.set(status.sandboxId, status);
    renderList();
    if (!$("detail").hidden && $("detail").dataset.id === status.sandboxId) renderDetail(status);
  });
}

function matches(status) {
  const text = $("search").value.trim().toLowerCase();
  if (!text) return true;
  return [status.sandboxId, status.projectId, status.userId].some((v) => (v || "").toLowerCase().includes(text));
}

function renderList() {
  const cards = [];
  for (const status of rows.values()) {
    if (!matches(status)) continue;
    const open = el("button", { type: "button", class: "link", "aria-label": `Open sandbox ${status.sandboxId}` }, status.sandboxId);
    open.addEventListener("click", () => openDetail(status.sandboxId));
    cards.push(el("li", { class: "card", "data-id": status.sandboxId },
      el("span", { class: "id" }, open),
      el("span", {}, el("span", { class: `badge ${status.state || ""}` }, status.state || "?")),
      el("span", {}, `${status.projectId || "-"} / ${status.userId || "-"}`),
      el("span", {}, countdown(status), " ", el("span", { class: "why" }, awake(status)))));
  }
  $("list").replaceChildren(...cards);
  if (!cards.length) $("list").append(el("li", { class: "help" }, "No sandboxes here."));
  $("more").hidden = !nextPage;
  tick();
}

$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  loadSandboxes(true);
});
$("search").addEventListener("input", renderList);
$("more").addEventListener("click", () => loadSandboxes(false));

// ---- one sandbox ---------------------------------------------------------------------------

async function openDetail(id) {
  show("detail");
  $("detail").dataset.id = id;
  try {
    renderDetail(await api("GET", `/v1/sandboxes/${encodeURIComponent(id)}`));
  } catch (error) {
    say(`Could not read ${id}: ${error.message}`);
    return;
  }
  if (stopDetail) stopDetail();
  stopDetail = follow(`/v1/sandboxes/${encodeURIComponent(id)}/events`, (status) => {
    rows.set(status.sandboxId, status);
    if ($("detail").dataset.id === status.sandboxId) renderDetail(status);
  });
  $("detail-title").focus();
}

function fact(term, ...value) {
  return [el("dt", {}, term), el("dd", {}, ...value)];
}

function layers(status) {
  const effective = status.policy || {};
  const parts = [`idle ${iso(effective.idleTimeout)}`, `paused retention ${iso(effective.pausedRetention)}`];
  if (effective.maxLifetime) parts.push(`max lifetime ${iso(effective.maxLifetime)}`);
  if (effective.busyCpuPercent) parts.push(`busy at CPU >= ${effective.busyCpuPercent}%`);
  const layer = (p) => (p ? Object.entries(p).map(([k, v]) => `${k} ${typeof v === "string" ? iso(v) : v}`).join(", ") : "none");
  return `${parts.join(", ")} (sandbox: ${layer(status.sandboxPolicy)}; project: ${layer(status.projectPolicy)})`;
}

function renderDetail(status) {
  $("detail-title").textContent = `Sandbox ${status.sandboxId}`;
  const usage = status.usage || {};
  const counters = status.counters || {};
  const metadata = Object.entries(status.metadata || {});
  $("facts").replaceChildren(
    ...fact("State", el("span", { class: `badge ${status.state}` }, status.state), ` since ${when(status.stateSince)}`),
    ...fact("Project / user", `${status.projectId} / ${status.userId}`),
    ...fact("Template", status.template || "-"),
    ...fact("Metadata", metadata.length ? metadata.map(([k, v]) => `${k}=${v}`).join(", ") : "-"),
    ...fact("Next", countdown(status), status.pauseWarningAt ? ` (pause warning at ${when(status.pauseWarningAt)})` : "",
      status.killDeadline ? `; killed at ${when(status.killDeadline)} (${status.killCause})` : "",
      status.killWarningAt ? `, warning at ${when(status.killWarningAt)}` : ""),
    ...fact("Awake because", awake(status) || "-"),
    ...fact("Last activity", when(status.lastActivityAt)),
    ...fact("Policy", layers(status)),
    ...fact("E2B", `${counters.e2bCalls ?? 0} calls`, status.lastError ? `; last error: ${status.lastError.operation} ${status.lastError.message}` : ""),
    ...fact("Usage", `running ${hours((usage.runningSeconds || 0) / 3600)}, paused ${hours((usage.pausedSeconds || 0) / 3600)}, `
      + `cost ${dollars(usage.estimatedCost)}, saved by pausing ${dollars(usage.savedByPausing)}`),
    ...fact("Pre-pause hook", status.prePause ? `${status.prePause.outcome} (${status.prePause.detail || ""})` : "-"),
  );
  $("holds").replaceChildren(...(status.holds || []).map((hold) => {
    const release = el("button", { type: "button", class: "quiet" }, "Release");
    release.addEventListener("click", () => act(() => api("DELETE", `/v1/sandboxes/${encodeURIComponent(status.sandboxId)}/holds/${encodeURIComponent(hold.holdId)}`)));
    return el("li", {}, `${hold.reason || "hold"} until ${when(hold.expiresAt)}`, release);
  }));
  if (!(status.holds || []).length) $("holds").append(el("li", { class: "help" }, "none"));
  $("timeline").replaceChildren(...[...(status.transitions || [])].reverse().map((t) =>
    el("li", {}, `${when(t.at)}: ${t.from || "-"} \u2192 ${t.to} (${t.cause})${t.reason ? ` "${t.reason}"` : ""}`)));
  const state = status.state;
  $("do-pause").disabled = state !== "RUNNING";
  $("do-resume").disabled = state !== "PAUSED";
  $("do-hold").disabled = state === "KILLED";
  $("do-kill").disabled = state === "KILLED";
  tick();
}

async function act(call) {
  say("");
  try {
    const result = await call();
    const id = $("detail").dataset.id;
    const status = result && result.sandboxId ? result : await api("GET", `/v1/sandboxes/${encodeURIComponent(id)}`);
    rows.set(status.sandboxId, status);
    renderDetail(status);
  } catch (error) {
    say(error.message);
  }
}

const current = () => encodeURIComponent($("detail").dataset.id);
$("back").addEventListener("click", () => {
  show("sandboxes");
  renderList();
});
$("do-pause").addEventListener("click", () => act(() => api("POST", `/v1/sandboxes/${current()}/pause`, { reason: "console" })));
$("do-resume").addEventListener("click", () => act(() => api("POST", `/v1/sandboxes/${current()}/resume`, { reason: "console" })));
$("do-hold").addEventListener("click", () =>
  act(() => api("POST", `/v1/sandboxes/${current()}/holds`, { reason: "console", ttl: $("hold-ttl").value })));
$("do-kill").addEventListener("click", () => {
  $("confirm-kill-text").textContent = `Sandbox ${$("detail").dataset.id} is killed in E2B: its files and state are gone for good.`;
  $("confirm-kill").showModal();
});
$("confirm-kill").addEventListener("close", () => {
  if ($("confirm-kill").returnValue === "kill") act(() => api("DELETE", `/v1/sandboxes/${current()}`, { reason: "console" }));
});

// ---- money ---------------------------------------------------------------------------------

async function loadMoney() {
  try {
    const report = await api("GET", "/v1/report");
    const t = report.total;
    const total = (label, value) => el("div", {}, label, el("strong", {}, value));
    $("money-total").replaceChildren(
      total("Running", hours(t.runningHours)), total("Paused", hours(t.pausedHours)), total("Cost", dollars(t.cost)),
      total("Saved by pausing", dollars(t.savedByPausing)), total("A 5-min cron would waste", dollars(t.cronWaste)),
      total("Sandman on Temporal", `${dollars(t.temporalCost)} (${t.temporalActions} Actions)`));
    $("money-rows").replaceChildren(...report.rows.map((row) => {
      const sum = row.runningHours + row.pausedHours || 1;
      return el("li", { class: "card" },
        el("span", {}, `${row.projectId} / ${row.userId}`),
        el("span", {}, `${row.sandboxes} sandboxes`),
        el("span", {}, `cost ${dollars(row.cost)}`),
        el("span", {}, `saved ${dollars(row.savedByPausing)}`),
        el("span", { class: "bar", role: "img", "aria-label": `running ${hours(row.runningHours)}, paused ${hours(row.pausedHours)}` },
          el("span", { class: "run", style: `width:${(100 * row.runningHours) / sum}%` }),
          el("span", { class: "pause", style: `width:${(100 * row.pausedHours) / sum}%` })));
    }));
  } catch (error) {
    say(`Could not read the report: ${error.message}`);
  }
}

// ---- advice --------------------------------------------------------------------------------

async function loadAdvice() {
  try {
    const advice = await api("GET", "/v1/advice");
    $("advice-rows").replaceChildren(...advice.projects.map((p) => {
      const costs = p.candidates.map((c) => c.cost);
      const top = Math.max(...costs) || 1;
      const chart = el("span", { class: "chart", role: "img",
        "aria-label": `cost by idle timeout, 1 to 60 minutes: least at ${iso(p.recommendedIdleTimeout)}` },
        ...p.candidates.map((c) => el("span", {
          class: c.idleTimeout === p.recommendedIdleTimeout ? "best" : c.idleTimeout === p.currentIdleTimeout ? "now" : "",
          title: `${iso(c.idleTimeout)}: ${dollars(c.cost)}`,
          style: `height:${Math.max(2, (100 * c.cost) / top)}%`,
        })));
      return el("li", { class: "card" },
        el("span", {}, el("strong", {}, p.projectId), ` ${p.sandboxes} sandboxes, ${p.gaps} gaps over `
          + (p.observedDays < 1 ? `${Math.round(p.observedDays * 24)} h` : `${p.observedDays.toFixed(1)} d`)),
        el("span", {}, `now ${iso(p.currentIdleTimeout)}: ${dollars(p.current.cost)}`),
        el("span", {}, `best ${iso(p.recommendedIdleTimeout)}: ${dollars(p.recommended.cost)}`),
        el("span", {}, p.note ? p.note : `saves ${dollars(p.savingPerDay)} a day`),
        chart);
    }));
    if (!advice.projects.length) $("advice-rows").append(el("li", { class: "help" }, "No projects with recorded activity yet."));
  } catch (error) {
    say(error.status === 403 ? "Advice needs the admin token." : `Could not read the advice: ${error.message}`);
  }
}

// ---- start ---------------------------------------------------------------------------------

setInterval(tick, 1000);
if (token) signedIn();
else show("sign-in");
