// Redis goes away and comes back: screens explain, nothing panics, and everything recovers by
// itself without a reload or a restart of the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, watchErrors } from '../support/app.mjs';
import { expectText, KioskPage } from '../support/pages.mjs';

const app = useApp();

test('while Redis is down the kiosk explains; when it is back, both kiosks recover live', async () => {
  const context = await app.chrome.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const one = new KioskPage(await context.newPage(), app.server);
  const two = new KioskPage(await context.newPage(), app.server);
  const errors = [one, two].map((k) => watchErrors(k.page, { refusals: true }));
  await one.open();
  await two.open();
  await one.issueButton().click();
  await expectText(two.waitingCount(), '1');
  await one.page.getByRole('button', { name: 'とじる' }).click();

  await app.redis.kill();
  const health = await fetch(`${app.server.baseUrl}/healthz`);
  assert.equal(health.status, 503);
  await one.issueButton().click();
  await one.page.getByRole('alert').filter({ hasText: 'ただいまご利用いただけません' }).waitFor({ timeout: 10_000 });

  await app.redis.restart();
  // the server reconnects by itself; the screens get a fresh snapshot when its subscription is back
  const deadline = Date.now() + 20_000;
  while ((await fetch(`${app.server.baseUrl}/healthz`)).status !== 200) {
    assert.ok(Date.now() < deadline, 'healthz back to 200');
    await new Promise((r) => setTimeout(r, 200));
  }
  await one.issueButton().click();
  await expectText(one.issuedNumber(), '2', 10_000);
  await expectText(two.waitingCount(), '2', 10_000);
  assert.deepEqual(errors.flat(), [], 'no errors besides the refused request');
  await context.close();
});
