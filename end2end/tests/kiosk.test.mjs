import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, watchErrors } from '../support/app.mjs';
import { chooseLanguage, ConsolePage, expectText, KioskPage, waitLive } from '../support/pages.mjs';

const app = useApp();

test('a press on one kiosk changes the waiting count on another, without a reload', async () => {
  const context = await app.chrome.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const one = new KioskPage(await context.newPage(), app.server);
  const two = new KioskPage(await context.newPage(), app.server);
  const errors = [one, two].map((k) => watchErrors(k.page));
  await one.open();
  await two.open();
  const before = Number((await two.waitingCount().textContent()).trim());
  let navigations = 0;
  two.page.on('framenavigated', () => navigations++);

  await one.issueButton().click();
  await expectText(one.issuedNumber(), String(before + 1));
  await expectText(two.waitingCount(), String(before + 1), 1_000 + 4_000);
  assert.equal(navigations, 0, 'the second kiosk did not reload');

  await one.page.screenshot({ path: 'screenshots/kiosk-issued.png' });
  assert.deepEqual(errors.flat(), [], 'no errors in the pages');
  await context.close();
});

test('the big button is a large touch target and the page speaks Japanese first', async () => {
  const context = await app.chrome.browser.newContext({ viewport: { width: 800, height: 1280 }, hasTouch: true });
  const kiosk = new KioskPage(await context.newPage(), app.server);
  await kiosk.open();
  const box = await kiosk.issueButton().boundingBox();
  assert.ok(box.height >= 64 && box.width >= 64, `button is ${box.width}x${box.height}`);
  assert.equal(await kiosk.page.getAttribute('html', 'lang'), 'ja');
  assert.match(await kiosk.issueButton().textContent(), /受付/);

  for (const [code, words] of [['en', 'People waiting'], ['zh', '简体中文'], ['ko', '한국어'], ['ja', 'お待ちの方']]) {
    await chooseLanguage(kiosk.page, code);
    await kiosk.page.getByText(words).first().waitFor();
    await waitLive(kiosk.page);
  }
  await context.close();
});

test('a browser that asks for Korean gets Korean, and the menu choice outlasts the browser\'s wish', async () => {
  const context = await app.chrome.browser.newContext({ locale: 'ko-KR' });
  const kiosk = new KioskPage(await context.newPage(), app.server);
  await kiosk.open();
  assert.equal(await kiosk.page.getAttribute('html', 'lang'), 'ko');
  await chooseLanguage(kiosk.page, 'en');
  await kiosk.open();
  assert.equal(await kiosk.page.getAttribute('html', 'lang'), 'en', 'remembered in a cookie');
  await context.close();
});

test('only a device staff set up is a kiosk: others are shown how and pointed to /join; a removed kiosk stops issuing', async () => {
  const store = await app.chrome.browser.newContext({ viewport: { width: 1080, height: 1400 } });
  const kiosk = new KioskPage(await store.newPage(), app.server);
  const errors = watchErrors(kiosk.page, { refusals: true });
  await kiosk.page.goto(`${app.server.baseUrl}/kiosk`);
  await kiosk.page.getByTestId('not-a-kiosk').waitFor();
  assert.equal(await kiosk.page.locator('button.issue-button').count(), 0, 'no button');
  await kiosk.page.getByText('「この端末を受付機にする」').waitFor();
  await Promise.all([kiosk.page.waitForURL(/\/join$/), kiosk.page.getByRole('link', { name: 'オンライン受付へ' }).click()]);

  await kiosk.setUp('裏口');
  await waitLive(kiosk.page);
  await kiosk.issueButton().click();
  await kiosk.issuedNumber().waitFor();
  await kiosk.page.goto(`${app.server.baseUrl}/admin`);
  await kiosk.page.waitForURL(/\/admin\/login$/, { timeout: 5_000 });

  const tablet = await app.chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const console_ = new ConsolePage(await tablet.newPage(), app.server.baseUrl);
  await console_.signIn(app.server.adminPassword);
  const row = console_.page.getByTestId('kiosk').filter({ hasText: '裏口' });
  await expectText(row.locator('td').nth(1), 'たった今');
  await kiosk.open();
  await row.getByRole('button', { name: '解除' }).click();
  await row.waitFor({ state: 'detached', timeout: 5_000 });

  const before = Number((await kiosk.waitingCount().textContent()).trim());
  await kiosk.issueButton().click();
  await kiosk.page.getByText('この端末は受付機として設定されていません。').waitFor({ timeout: 5_000 });
  await expectText(kiosk.waitingCount(), String(before));
  assert.deepEqual(errors, [], 'no errors in the pages');
  await store.close();
  await tablet.close();
});

test('the slip\'s 「印刷する」 and 「とじる」 are in view without scrolling, on a 1024×768 kiosk as on others', async () => {
  const context = await app.chrome.browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true });
  const kiosk = new KioskPage(await context.newPage(), app.server);
  await kiosk.open();
  for (const [code, print, close] of [['en', 'Print', 'Close'], ['ja', '印刷する', 'とじる']]) {
    await chooseLanguage(kiosk.page, code);
    await waitLive(kiosk.page);
    await kiosk.issueButton().click();
    await kiosk.issuedNumber().waitFor();
    for (const [width, height] of [[1280, 800], [768, 1024], [1080, 1920], [1024, 768]]) {
      await kiosk.page.setViewportSize({ width, height });
      const where = await kiosk.page.evaluate(() => ({
        scrolled: window.scrollY,
        height: window.innerHeight,
        width: window.innerWidth,
        buttons: [...document.querySelectorAll('.slip-actions button')].map((b) => {
          const box = b.getBoundingClientRect();
          return { text: b.textContent.trim(), top: box.top, bottom: box.bottom, left: box.left, right: box.right };
        }),
      }));
      assert.deepEqual(where.buttons.map((b) => b.text), [print, close], `${code} ${width}×${height}`);
      assert.equal(where.scrolled, 0);
      for (const b of where.buttons) {
        assert.ok(b.top >= 0 && b.bottom <= where.height && b.left >= 0 && b.right <= where.width,
          `${code} ${width}×${height}: 「${b.text}」 in view: ${JSON.stringify(where)}`);
      }
    }
    await kiosk.page.screenshot({ path: `screenshots/kiosk-slip-1024x768-${code}.png` });
    await kiosk.page.getByRole('button', { name: close }).click();
  }
  await context.close();
});
