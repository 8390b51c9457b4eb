// Accounts in chromium: the owner adds a staff account under アカウント and hands over the
// temporary password; its first sign-in asks for a password of its own; the console then shows it
// the line without the manager's parts, and the accounts page tells it which role it needs; the
// owner disables it and its tablet is signed out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, watchErrors } from '../support/app.mjs';
import { ConsolePage, expectText } from '../support/pages.mjs';

const app = useApp({});

/** Waits until `locator`'s text holds `text`. */
async function expectPart(locator, text, timeout = 5_000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = (await locator.textContent({ timeout }).catch(() => undefined)) ?? '';
    if (last.includes(text)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${JSON.stringify(last)} does not hold ${JSON.stringify(text)}`);
}
const tabletSize = { viewport: { width: 1180, height: 820 } };

test('the owner adds a staff account; it chooses its password, sees the line only, and is signed out when disabled', async () => {
  const ownerTablet = await app.chrome.browser.newContext(tabletSize);
  const owner = new ConsolePage(await ownerTablet.newPage(), app.server.baseUrl);
  const ownerErrors = watchErrors(owner.page);
  await owner.signIn(app.server.adminPassword);
  await expectText(owner.page.getByTestId('signed-in'), 'owner · オーナー');

  await owner.page.getByTestId('nav-accounts').click();
  await owner.page.waitForURL(/\/admin\/accounts$/);
  await owner.page.locator('#account-login').fill('Yamada');
  await owner.page.locator('#account-name').fill('山田');
  await owner.page.locator('#account-role').selectOption('staff');
  await owner.page.getByTestId('create-account').click();
  const shown = owner.page.getByTestId('temporary-password');
  await shown.waitFor();
  await expectPart(shown, 'yamada の仮パスワード');
  const temporary = (await shown.locator('code').textContent()).trim();
  assert.equal(temporary.length, 16);
  const row = owner.page.locator('tr[data-login="yamada"]');
  await expectPart(row, '仮パスワード');

  // the staff's first sign-in goes to the change of password
  const staffTablet = await app.chrome.browser.newContext(tabletSize);
  const staff = await staffTablet.newPage();
  const staffErrors = watchErrors(staff, { refusals: true });
  await staff.goto(`${app.server.baseUrl}/admin/login`);
  await staff.locator('#login').fill('yamada');
  await staff.locator('#password').fill(temporary);
  await Promise.all([
    staff.waitForURL(/\/admin\/password$/),
    staff.locator('.login button[type=submit]').click(),
  ]);
  await staff.locator('#current').fill(temporary);
  await staff.locator('#new').fill('short');
  await staff.locator('#again').fill('short');
  // the browser's own check (minlength) keeps a short one from being sent
  await staff.locator('.login button[type=submit]').click();
  assert.match(staff.url(), /\/admin\/password$/);
  const chosen = 'yamada-own-password';
  await staff.locator('#new').fill(chosen);
  await staff.locator('#again').fill(chosen);
  await Promise.all([
    staff.waitForURL(/\/admin$/),
    staff.locator('.login button[type=submit]').click(),
  ]);

  // the line, without the manager's parts
  await expectText(staff.getByTestId('signed-in'), '山田 · スタッフ');
  await staff.getByTestId('call-next').waitFor();
  for (const part of ['#hours-opens', '#autodial-places', '#confirm-reset', '.kiosks', '[data-testid=dev-outbox]']) {
    assert.equal(await staff.locator(part).count(), 0, `${part} is not shown to staff`);
  }
  assert.ok(await owner.page.goto(`${app.server.baseUrl}/admin`));
  await owner.page.locator('#hours-opens').waitFor();
  await owner.page.locator('#confirm-reset').waitFor();

  // the accounts page says which role it needs
  await staff.goto(`${app.server.baseUrl}/admin/accounts`);
  await expectPart(staff.getByTestId('accounts-list-error'), '「管理者」以上の権限が必要です');

  // disabled by the owner: the staff's tablet is signed out at its next step
  await owner.page.goto(`${app.server.baseUrl}/admin/accounts`);
  await owner.page.locator('tr[data-login="yamada"]').getByTestId('account-disable').click();
  await expectPart(owner.page.locator('tr[data-login="yamada"]'), '無効');
  await staff.goto(`${app.server.baseUrl}/admin`);
  await staff.waitForURL(/\/admin\/login$/);
  await staff.locator('#login').fill('yamada');
  await staff.locator('#password').fill(chosen);
  await staff.locator('.login button[type=submit]').click();
  await expectPart(staff.getByTestId('login-error'), 'このアカウントは無効になっています');

  assert.deepEqual(ownerErrors, []);
  assert.deepEqual(staffErrors, []);
  await ownerTablet.close();
  await staffTablet.close();
});
