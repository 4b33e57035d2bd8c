// Sandman's web console as its users use it, in Debian's chromium: sign in, watch a sandbox pause live
// without reloading, resume it, kill one (after a confirmation), see hostile metadata as text, read the
// money and the advice, sign in as an app user who sees only their sandboxes, and fit a 375 px screen.
// usage: node console-check.mjs <api url> <admin token> <app token> <e2b simulator url> <screenshot dir> [chromium path]
import { chromium } from 'playwright-core';

const [base, admin, app, e2b, shots, executable = '/usr/bin/chromium'] = process.argv.slice(2);
const HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';

function check(condition, what) {
  if (!condition) throw new Error(`console check failed: ${what}`);
  console.log(`ok   ${what}`);
}

async function api(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${admin}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function sandbox(userId, policy, metadata = {}) {
  const res = await fetch(`${e2b}/sandboxes`, {
    method: 'POST',
    headers: { 'X-API-Key': 'e2b_dev_simulator_key', 'Content-Type': 'application/json' },
    body: JSON.stringify({ templateID: 'base', timeout: 600, autoPause: true }),
  });
  const id = (await res.json()).sandboxID;
  await api('POST', '/v1/sandboxes', { sandboxId: id, projectId: 'console', userId, policy, metadata });
  return id;
}

const soon = await sandbox('alice', { idleTimeout: 'PT20S' });
const bobs = await sandbox('bob', { idleTimeout: 'PT1H' });
const hostile = await sandbox('alice', { idleTimeout: 'PT1H' }, { note: HOSTILE });
const keep = await sandbox('alice', { idleTimeout: 'PT1H' });

const browser = await chromium.launch({
  executablePath: executable,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });

  const first = await page.goto(`${base}/`);
  const csp = first.headers()['content-security-policy'] || '';
  check(csp.includes("script-src 'self'") && !csp.includes('unsafe-inline'), 'served with a Content-Security-Policy that allows no inline script');

  await page.getByLabel('Token', { exact: true }).fill(admin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const row = page.locator(`li.card[data-id="${soon}"]`);
  await row.waitFor({ timeout: 15000 });
  check(!(await page.evaluate(() => location.href)).includes(admin), 'the token is not in the URL');
  check(await page.evaluate((t) => sessionStorage.getItem('sandman.token') === t, admin), 'the token is kept in session storage');

  // live: the row leaves RUNNING when the workflow pauses it, with no reload (a marker on window survives)
  await page.evaluate(() => { window.__sameDocument = true; });
  const deadline = Date.parse((await api('GET', `/v1/sandboxes/${soon}`)).pauseDeadline);
  await row.locator('.countdown').filter({ hasText: 'pauses in' }).waitFor({ timeout: 5000 });
  await page.screenshot({ path: `${shots}/console-sandboxes.png` });
  await row.locator('.badge').filter({ hasNotText: 'RUNNING' }).waitFor({ timeout: Math.max(5000, deadline - Date.now() + 10000) });
  const seenAfter = Date.now() - deadline;
  await row.locator('.badge', { hasText: 'PAUSED' }).waitFor({ timeout: 10000 });
  check(await page.evaluate(() => window.__sameDocument === true), 'the pause arrived without a reload');
  check(seenAfter < 1000, `the pause showed ${seenAfter} ms after its deadline (under a second)`);

  // one sandbox: resume, then a kill asks first
  await page.getByRole('button', { name: `Open sandbox ${soon}` }).click();
  await page.locator('#facts .badge', { hasText: 'PAUSED' }).waitFor();
  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  await page.locator('#facts .badge', { hasText: 'RUNNING' }).waitFor({ timeout: 10000 });
  check(true, 'Resume runs the sandbox again');
  await page.screenshot({ path: `${shots}/console-sandbox.png`, fullPage: true });
  await page.getByRole('button', { name: 'Kill', exact: true }).click();
  await page.getByRole('dialog').waitFor();
  check(await page.getByRole('dialog').isVisible(), 'Kill asks for confirmation');
  await page.getByRole('button', { name: 'Cancel' }).click();
  check((await api('GET', `/v1/sandboxes/${soon}`)).state === 'RUNNING', 'cancelled: the sandbox still runs');
  await page.getByRole('button', { name: 'Kill', exact: true }).click();
  await page.getByRole('button', { name: 'Kill it' }).click();
  await page.locator('#facts .badge', { hasText: 'KILLED' }).waitFor({ timeout: 10000 });
  check(true, 'confirmed: KILLED');

  // hostile metadata is shown as text and runs nothing
  await page.getByRole('button', { name: 'All sandboxes' }).click();
  await page.getByRole('button', { name: `Open sandbox ${hostile}` }).click();
  await page.locator('#facts').getByText('<script>window.__pwned=1</script>', { exact: false }).waitFor();
  check(await page.evaluate(() => window.__pwned === undefined && !document.querySelector('#facts script, #facts img')),
    'metadata holding <script> and an onerror image is escaped');

  await page.getByRole('button', { name: 'Money' }).click();
  await page.locator('#money-total strong').first().waitFor();
  await page.screenshot({ path: `${shots}/console-money.png`, fullPage: true });
  check(true, 'the money view shows totals');
  await page.getByRole('button', { name: 'Advice' }).click();
  await page.locator('#advice-rows li').first().waitFor();
  await page.screenshot({ path: `${shots}/console-advice.png`, fullPage: true });
  check(true, 'the advice view shows a project');

  // 375 px: no horizontal scroll on any view
  await page.setViewportSize({ width: 375, height: 800 });
  for (const view of ['Sandboxes', 'Money', 'Advice']) {
    await page.getByRole('button', { name: view, exact: true }).click();
    await page.waitForTimeout(300);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 375, `${view} fits 375 px (scroll width ${wide})`);
  }
  await page.getByRole('button', { name: 'Sandboxes', exact: true }).click();
  await page.getByRole('button', { name: `Open sandbox ${keep}` }).click();
  await page.locator('#facts .badge').waitFor();
  const detailWide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(detailWide <= 375, `a sandbox fits 375 px (scroll width ${detailWide})`);
  await page.screenshot({ path: `${shots}/console-375.png`, fullPage: true });

  // the app token with a user id sees only that user's sandboxes; keyboard alone signs in
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.getByRole('button', { name: 'Sign out' }).click();
  check(await page.evaluate(() => document.activeElement && document.activeElement.id === 'token'), 'sign-out puts the focus on the token field');
  await page.keyboard.type(app);
  await page.keyboard.press('Tab');
  await page.keyboard.type('bob');
  await page.keyboard.press('Enter');
  await page.locator(`li.card[data-id="${bobs}"]`).waitFor({ timeout: 15000 });
  const shown = await page.locator('#list li.card').evaluateAll((cards) => cards.map((c) => c.dataset.id));
  check(shown.length === 1 && shown[0] === bobs, `the app token for bob lists only bob's sandbox (${shown.join(', ')})`);
  check(await page.getByRole('button', { name: 'Advice' }).isHidden(), 'the app token is not offered the advice');

  check(problems.length === 0, `no page errors or CSP violations${problems.length ? `: ${problems.join('; ')}` : ''}`);
} finally {
  await browser.close();
}
