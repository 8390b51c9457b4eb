// Attacks tried from a browser: another site's page posting the console's and the kiosk's forms,
// and pages that must run under a strict Content-Security-Policy with no violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { useApp, watchErrors } from '../support/app.mjs';
import { ConsolePage, KioskPage, waitLive } from '../support/pages.mjs';

const ADMIN_PASSWORD = 'e2e-password-123';
const app = useApp({ ADMIN_PASSWORD });

/** A page of another site (another origin) holding `forms`, each posting to the app. */
async function attackerSite(forms) {
  const html = `<!doctype html><html><body>${forms.map(([id, action, fields]) => `
    <form id="${id}" method="post" action="${app.server.baseUrl}${action}">
      ${Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`).join('')}
      <button>${id}</button>
    </form>`).join('')}</body></html>`;
  const server = http.createServer((_, res) => res.end(html));
  await new Promise((r) => server.listen(0, 'localhost', r));
  return { url: `http://localhost:${server.address().port}/`, close: () => server.close() };
}

test('forms posted from another site are refused with 403 and change nothing', async () => {
  const context = await app.chrome.browser.newContext();
  const console_ = new ConsolePage(await context.newPage(), app.server.baseUrl);
  await console_.signIn(ADMIN_PASSWORD);
  await fetch(`${app.server.baseUrl}/api/v1/queues/default/tickets`, { method: 'POST' });
  const before = await (await fetch(`${app.server.baseUrl}/api/v1/queues/default`)).json();

  const site = await attackerSite([
    ['reset', '/api/admin/reset', { queue: 'default', confirm: 'reset' }],
    ['intake', '/api/admin/intake', { queue: 'default', intake: 'paused' }],
    ['issue', '/api/kiosk/issue_ticket', { queue: 'default' }],
  ]);
  const page = await context.newPage();
  for (const id of ['reset', 'intake', 'issue']) {
    await page.goto(site.url);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.locator(`#${id} button`).click(),
    ]);
    assert.equal(response.status(), 403, `${id} from another site`);
  }
  site.close();
  const after = await (await fetch(`${app.server.baseUrl}/api/v1/queues/default`)).json();
  assert.deepEqual(after, before, 'nothing changed');
  await context.close();
});

test('every page runs under its Content-Security-Policy with no violation, with the security headers', async () => {
  const context = await app.chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  // (a browser that is not a kiosk gets /kiosk as a 403 page that explains the set-up)
  const errors = watchErrors(page, { refusals: true });
  for (const path of ['/', '/kiosk', '/join', '/display', '/admin/login']) {
    const response = await page.goto(`${app.server.baseUrl}${path}`);
    const headers = response.headers();
    assert.match(headers['content-security-policy'], /script-src 'self' 'nonce-[\w-]+' 'wasm-unsafe-eval'/, path);
    assert.match(headers['content-security-policy'], /frame-ancestors 'none'/, path);
    assert.equal(headers['x-content-type-options'], 'nosniff', path);
    assert.equal(headers['referrer-policy'], 'same-origin', path);
    assert.ok(headers['permissions-policy'], path);
    // the page loaded its scripts and WASM (and, where it follows a queue, went live)
    await page.waitForLoadState('networkidle');
    if (await page.locator('[data-live]').count() > 0) await waitLive(page);
    assert.deepEqual(await page.evaluate(() => window.__violations), [], `CSP violations on ${path}`);
  }
  // a hydrated page works: the kiosk issues, the console signs in and follows live
  const kiosk = new KioskPage(page, app.server);
  await kiosk.open();
  await kiosk.issueButton().click();
  await kiosk.issuedNumber().waitFor();
  const console_ = new ConsolePage(page, app.server.baseUrl);
  await console_.signIn(ADMIN_PASSWORD);
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  assert.deepEqual(errors, [], 'no errors in the pages');
  await context.close();
});
