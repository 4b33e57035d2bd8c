// The Temporal UI as an operator uses it: list sandbox workflows filtered by SandboxState="PAUSED",
// open one, see its state. Screenshots go to the docs folder given.
// usage: node ui-check.mjs <ui base url> <workflow id> <docs dir> [chromium path]
import { chromium } from 'playwright-core';

const [base, workflowId, docs, executable = '/usr/bin/chromium'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: executable,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const query = encodeURIComponent('SandboxState="PAUSED"');
  await page.goto(`${base}/namespaces/default/workflows?query=${query}`);
  const row = page.getByRole('link', { name: workflowId });
  await row.first().waitFor({ timeout: 30000 });
  await page.screenshot({ path: `${docs}/temporal-ui-paused.png` });
  console.log(`list: ${workflowId} shown under SandboxState="PAUSED"`);

  await row.first().click();
  await page.waitForURL(/\/history/, { timeout: 30000 });
  await page.getByText(workflowId).first().waitFor({ timeout: 30000 });
  // the search attributes (SandboxState among them) are listed under the workflow's details
  const details = page.getByText('Search Attributes');
  if (await details.count()) {
    await details.first().click().catch(() => {});
  }
  await page.getByText('PAUSED').first().waitFor({ timeout: 30000 });
  await page.screenshot({ path: `${docs}/temporal-ui-sandbox.png`, fullPage: true });
  console.log(`detail: ${workflowId} shows SandboxState PAUSED`);
} finally {
  await browser.close();
}
