// The day of a clinic: kiosk → QR link → ticket page on a phone → staff calls → ticket page and
// display board change live; remote check-in and its limit; the print view; accessibility.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, watchErrors } from '../support/app.mjs';
import { chooseLanguage, ConsolePage, DisplayPage, expectNoAxeViolations, expectText, KioskPage, TicketPage, waitLive, verifiedOnLinkPage } from '../support/pages.mjs';

const ADMIN_PASSWORD = 'e2e-password-123';
const app = useApp({ ADMIN_PASSWORD, COUNTERS: '1,2', REMOTE_MAX_ACTIVE: '2' });

const phone = { viewport: { width: 320, height: 640 }, hasTouch: true, isMobile: true };

test('kiosk → QR link → ticket page → staff calls → ticket page and display board change live', async () => {
  const store = await app.chrome.browser.newContext({ viewport: { width: 1080, height: 1400 } });
  const kiosk = new KioskPage(await store.newPage(), app.server);
  const errors = [watchErrors(kiosk.page)];
  await kiosk.open();
  await kiosk.issueButton().click();
  const number = (await kiosk.issuedNumber().textContent()).trim();
  // the slip shows the ticket's address only as its QR code: nothing the next person can tap
  const url = await kiosk.ticketUrl();
  assert.match(url, /\/t\/[0-9a-f]{32}$/);
  assert.equal(await kiosk.page.locator('.ticket-slip a').count(), 0, 'no link on the slip');
  assert.ok((await kiosk.page.getByTestId('fortune-rank').textContent()).trim().length > 0, 'a fortune');

  const mobile = await app.chrome.browser.newContext(phone);
  // record the phone's vibrations (headless chromium has no motor)
  await mobile.addInitScript(() => {
    window.__vibrations = [];
    navigator.vibrate = (pattern) => { window.__vibrations.push(pattern); return true; };
  });
  const ticket = new TicketPage(await mobile.newPage());
  errors.push(watchErrors(ticket.page));
  await ticket.open(url);
  await expectText(ticket.number(), number);
  assert.equal(await ticket.state().getAttribute('data-state'), 'waiting');
  const width = await ticket.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 320, `fits a 320 px phone (scroll width ${width})`);

  const tv = await app.chrome.browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const board = new DisplayPage(await tv.newPage(), app.server.baseUrl);
  errors.push(watchErrors(board.page));
  await board.open();
  await board.enableSound();

  const tablet = await app.chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const console_ = new ConsolePage(await tablet.newPage(), app.server.baseUrl);
  errors.push(watchErrors(console_.page));
  await console_.signIn(ADMIN_PASSWORD);
  let navigations = 0;
  ticket.page.on('framenavigated', () => navigations++);
  board.page.on('framenavigated', () => navigations++);
  // the console keeps its day from the live events: it never reads the day again
  let consoleReads = 0;
  console_.page.on('request', (r) => { if (r.url().includes('/api/admin/console')) consoleReads++; });

  await console_.callNext().click();

  await expectText(ticket.callBanner(), '1番窓口へお越しください');
  assert.equal(await ticket.state().getAttribute('data-state'), 'called');
  assert.equal(await ticket.page.evaluate(() => window.__vibrations.length), 1, 'the phone vibrated once');
  await board.servingRows().first().waitFor();
  assert.match(await board.servingRows().first().textContent(), new RegExp(`1番窓口\\s*${number}`));
  await board.page.waitForFunction((n) => window.waitingroomSound.log.includes(`受付番号${n}番の方、1番窓口へお越しください`), number);
  assert.equal(navigations, 0, 'nothing reloaded');

  // done: the ticket page shows the final state, still without a reload
  await console_.page.locator('button[data-action="done"]').first().click();
  await ticket.page.waitForFunction(() => document.querySelector('article.ticket')?.dataset.state === 'done');
  const waitingBefore = Number((await console_.waitingCount().textContent()).trim());
  const issued = await fetch(`${app.server.baseUrl}/api/v1/queues/default/tickets`, { method: 'POST' });
  assert.equal(issued.status, 201);
  await expectText(console_.waitingCount(), String(waitingBefore + 1));
  assert.equal(consoleReads, 0, 'the console followed every event without reading its day again');
  // the staff take that ticket out of the line again
  await console_.page.getByTestId('waiting-ticket').last().locator('button[data-action="cancel"]').click();
  await expectText(console_.waitingCount(), String(waitingBefore));

  await ticket.page.screenshot({ path: 'screenshots/ticket-done.png', fullPage: true });
  await board.page.screenshot({ path: 'screenshots/display.png' });
  await console_.page.screenshot({ path: 'screenshots/console.png', fullPage: true });
  assert.deepEqual(errors.flat(), [], 'no errors in the pages');
  for (const c of [store, mobile, tv, tablet]) await c.close();
});

test('announcements are queued one after another, never dropped', async () => {
  const tv = await app.chrome.browser.newContext({ viewport: { width: 1280, height: 720 } });
  const board = new DisplayPage(await tv.newPage(), app.server.baseUrl);
  await board.open();
  await board.enableSound();
  const tablet = await app.chrome.browser.newContext();
  const console_ = new ConsolePage(await tablet.newPage(), app.server.baseUrl);
  await console_.signIn(ADMIN_PASSWORD);
  const store = await app.chrome.browser.newContext();
  const kiosk = new KioskPage(await store.newPage(), app.server);
  await kiosk.open();
  const numbers = [];
  for (let i = 0; i < 3; i++) {
    await kiosk.issueButton().click();
    numbers.push((await kiosk.issuedNumber().textContent()).trim());
    await kiosk.page.getByRole('button', { name: 'とじる' }).click();
  }
  const before = (await board.announced()).length;
  for (let i = 0; i < 3; i++) {
    await console_.callNext().click();
    await console_.page.waitForFunction(() => !document.querySelector('[data-testid="call-next"]').disabled);
  }
  await board.page.waitForFunction((n) => window.waitingroomSound.log.length >= n, before + 3);
  const announced = (await board.announced()).slice(before);
  assert.deepEqual(announced, numbers.map((n) => `受付番号${n}番の方、1番窓口へお越しください`), 'in call order');
  await tv.close();
  await tablet.close();
  await store.close();
});

test('a board shown in English announces in English, with an English voice', async () => {
  const tv = await app.chrome.browser.newContext({ viewport: { width: 1280, height: 720 } });
  const board = new DisplayPage(await tv.newPage(), app.server.baseUrl);
  await board.open();
  await chooseLanguage(board.page, 'en');
  await waitLive(board.page);
  await board.page.getByRole('button', { name: 'Tap to enable sound' }).click();
  const tablet = await app.chrome.browser.newContext();
  const console_ = new ConsolePage(await tablet.newPage(), app.server.baseUrl);
  await console_.signIn(ADMIN_PASSWORD);
  const slip = await (await fetch(`${app.server.baseUrl}/api/v1/queues/default/tickets`, { method: 'POST' })).json();
  const before = (await board.announced()).length;
  // call it to counter 2, out of order
  await console_.page.locator('[data-testid="counter-select"]').selectOption('2');
  await console_.page.waitForURL(/counter=2/);
  await waitLive(console_.page);
  const row = console_.page.getByTestId('waiting-ticket')
    .filter({ has: console_.page.locator('td.num', { hasText: new RegExp(`^${slip.label}$`) }) });
  await row.locator('button[data-action="call"]').click();
  await board.page.waitForFunction((n) => window.waitingroomSound.log.length > n, before);
  assert.equal((await board.announced())[before], `Number ${slip.label}, please come to Counter 2`);
  assert.equal(await board.page.evaluate((n) => window.waitingroomSound.langs[n], before), 'en-US');
  await tv.close();
  await tablet.close();
});

test('a refused reset says why, in the console\'s language, and changes nothing', async () => {
  const tablet = await app.chrome.browser.newContext({ viewport: { width: 1180, height: 820 } });
  const console_ = new ConsolePage(await tablet.newPage(), app.server.baseUrl);
  const errors = watchErrors(console_.page, { refusals: true });
  await console_.signIn(ADMIN_PASSWORD);
  const before = await (await fetch(`${app.server.baseUrl}/api/v1/queues/default`)).json();
  // the browser's own check wants "reset"; a clerk's typo that passes it still meets the server's
  await console_.page.locator('#confirm-reset').evaluate((input) => input.removeAttribute('pattern'));
  await console_.page.locator('#confirm-reset').fill('rest');
  await console_.page.getByRole('button', { name: 'リセット', exact: true }).click();
  await expectText(console_.page.getByTestId('console-error'), 'リセットするには、確認のため reset と入力してください。何も変更していません。');
  const after = await (await fetch(`${app.server.baseUrl}/api/v1/queues/default`)).json();
  assert.equal(after.last_number, before.last_number, 'nothing was reset');
  await console_.page.screenshot({ path: 'screenshots/console-tablet.png', fullPage: true });
  assert.deepEqual(errors, []);
  await tablet.close();
});

test('remote check-in: the session remembers the ticket, and the limit is explained', async () => {
  const mobile = await app.chrome.browser.newContext(phone);
  const page = await mobile.newPage();
  const errors = watchErrors(page, { refusals: true });
  await page.goto(`${app.server.baseUrl}/join`);
  // the page is painted first, its WASM fetched after
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('.wasm')));
  const order = await page.evaluate(() => ({
    paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
    wasm: performance.getEntriesByType('resource').find((e) => e.name.endsWith('.wasm'))?.startTime,
  }));
  assert.ok(order.paint !== undefined && order.wasm > order.paint, `WASM after the first paint: ${JSON.stringify(order)}`);
  await page.getByRole('button', { name: 'この受付で整理券を取る' }).click();
  await page.waitForURL(/\/t\/[0-9a-f]{32}$/);
  await waitLive(page);
  const first = page.url();

  await page.goto(`${app.server.baseUrl}/join`);
  const mine = page.getByTestId('my-ticket');
  await mine.first().waitFor();
  assert.equal(await mine.count(), 1);
  assert.equal(new URL(await mine.first().getAttribute('href')).pathname, new URL(first).pathname);

  await page.getByRole('button', { name: 'この受付で整理券を取る' }).click();
  await page.waitForURL(/\/t\//);
  await page.goto(`${app.server.baseUrl}/join`);
  await page.getByRole('button', { name: 'この受付で整理券を取る' }).click();
  await expectText(page.getByTestId('join-error'), 'お一人様が同時にお持ちいただける整理券は2枚までです。');
  assert.match(page.url(), /\/join$/, 'stays on the page');
  assert.deepEqual(errors, []);
  await mobile.close();
});

test('at /join on a phone (320 px and up) the phone field is on a line of its own under its label, in every language', async () => {
  const forms = [];
  for (const locale of ['ja-JP', 'en-US', 'zh-CN', 'ko-KR']) {
    const mobile = await app.chrome.browser.newContext({ ...phone, locale });
    const page = await mobile.newPage();
    await page.goto(`${app.server.baseUrl}/join`);
    for (const width of [320, 360, 390, 414]) {
      await page.setViewportSize({ width, height: 640 });
      forms.push(await page.locator('.join-queues form').first().evaluate((f, width) => {
        const box = (e) => { const r = e.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right }; };
        const label = f.querySelector('label');
        const input = f.querySelector('input[type=tel]');
        return { lang: document.documentElement.lang, width, label: box(label), input: box(input), labelFor: label.htmlFor === input.id };
      }, width));
      if (locale === 'en-US' && width === 414) await page.screenshot({ path: 'screenshots/join-414-en.png' });
    }
    await mobile.close();
  }
  assert.deepEqual([...new Set(forms.map((f) => f.lang))], ['ja', 'en', 'zh', 'ko']);
  for (const form of forms) {
    const what = JSON.stringify(form);
    assert.ok(form.labelFor, `the label names its field: ${what}`);
    assert.ok(form.input.top >= form.label.bottom, `the field is under the label's text: ${what}`);
    assert.ok(Math.abs(form.input.left - form.label.left) <= 1, `the field starts its own line: ${what}`);
  }
  for (const form of forms) {
    assert.ok(form.input.bottom - form.input.top >= 44, `the field is a touch target: ${JSON.stringify(form)}`);
  }
});

test('the kiosk returns to its idle screen by itself', async () => {
  const store = await app.chrome.browser.newContext({ viewport: { width: 1080, height: 1400 } });
  const page = await store.newPage();
  await page.clock.install();
  const kiosk = new KioskPage(page, app.server);
  await kiosk.open();
  await kiosk.issueButton().click();
  await kiosk.issuedNumber().waitFor();
  await page.clock.fastForward(25_000);
  assert.ok(await kiosk.issuedNumber().isVisible(), 'still showing the ticket after 25 s');
  await page.clock.fastForward(6_000);
  await kiosk.issuedNumber().waitFor({ state: 'detached', timeout: 5_000 });
  assert.ok(await kiosk.issueButton().isVisible(), 'ready for the next customer');
  await store.close();
});

test('the print view shows only the ticket, with its QR code, on a receipt-printer width', async () => {
  const store = await app.chrome.browser.newContext({ viewport: { width: 1080, height: 1400 } });
  const kiosk = new KioskPage(await store.newPage(), app.server);
  await kiosk.open();
  await kiosk.issueButton().click();
  await kiosk.issuedNumber().waitFor();
  await kiosk.page.emulateMedia({ media: 'print' });
  assert.equal(await kiosk.page.locator('.queue-buttons').isVisible(), false, 'no buttons on paper');
  assert.equal(await kiosk.page.locator('header.bar').isVisible(), false);
  assert.ok(await kiosk.page.locator('.ticket-slip img.qr-code').isVisible(), 'the QR code is printed');
  const slipWidth = await kiosk.page.locator('.ticket-slip').evaluate((e) => e.getBoundingClientRect().width);
  assert.ok(slipWidth <= 58 / 25.4 * 96 + 1, `fits 58 mm paper (${slipWidth} px)`);
  await kiosk.page.pdf({ path: 'screenshots/ticket.pdf', width: '58mm', printBackground: true });
  await store.close();
});

test('axe-core finds no violations on any page', async () => {
  const context = await app.chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const kiosk = new KioskPage(page, app.server);
  await kiosk.open();
  await expectNoAxeViolations(page, '/kiosk');
  await kiosk.issueButton().click();
  await kiosk.issuedNumber().waitFor();
  await expectNoAxeViolations(page, '/kiosk (ticket shown)');
  const url = await kiosk.ticketUrl();
  for (const path of ['/', '/join', '/display', '/admin/login', new URL(url).pathname]) {
    await page.goto(`${app.server.baseUrl}${path}`);
    await page.waitForLoadState('networkidle');
    await expectNoAxeViolations(page, path);
  }
  const console_ = new ConsolePage(page, app.server.baseUrl);
  await console_.signIn(ADMIN_PASSWORD);
  await expectNoAxeViolations(page, '/admin');
  await context.close();
});

test('pausing intake on the console shows on the kiosk and the board at once, and resuming brings the button back', async () => {
  const context = await app.chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const kiosk = new KioskPage(await context.newPage(), app.server);
  await kiosk.open();
  const board = new DisplayPage(await context.newPage(), app.server.baseUrl);
  await board.open();
  const console_ = new ConsolePage(await context.newPage(), app.server.baseUrl);
  await console_.signIn(ADMIN_PASSWORD);

  await console_.page.getByRole('button', { name: 'すべての受付を停止' }).click();
  await kiosk.page.getByText('ただいま受付を停止しています').waitFor({ timeout: 5_000 });
  assert.equal(await kiosk.page.locator('button.issue-button').count(), 0, 'no button while paused');
  await board.page.locator('.board-intake').waitFor({ timeout: 5_000 });
  await expectText(console_.page.getByTestId('intake-state'), '受付停止中');

  await console_.page.getByRole('button', { name: '受付を再開' }).click();
  await kiosk.issueButton().waitFor({ timeout: 5_000 });
  await board.page.locator('.board-intake').waitFor({ state: 'detached', timeout: 5_000 });
  await context.close();
});

test('a customer who switched to English stays in English from check-in to the ticket page', async () => {
  const mobile = await app.chrome.browser.newContext(phone);
  const page = await mobile.newPage();
  await page.goto(`${app.server.baseUrl}/join`);
  await chooseLanguage(page, 'en');
  await page.getByRole('button', { name: 'Take a ticket here' }).click();
  await page.waitForURL(/\/t\/[0-9a-f]{32}$/);
  await waitLive(page);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await expectText(page.getByTestId('ticket-state'), 'Waiting');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 320, `fits a 320 px phone (scroll width ${width})`);
  await mobile.close();
});

test('each page loads its own bundle: the phone\'s, the screens\' or the whole one; a link across bundles loads the page whole', async () => {
  const mobile = await app.chrome.browser.newContext(phone);
  const page = await mobile.newPage();
  const bundles = () => page.evaluate(() => performance.getEntriesByType('resource')
    .map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.wasm')));
  await page.goto(`${app.server.baseUrl}/join`);
  await page.getByRole('button', { name: 'この受付で整理券を取る' }).click();
  await page.waitForURL(/\/t\/[0-9a-f]{32}$/);
  await waitLive(page);
  assert.deepEqual(await bundles(), ['/pkg/waitingroom-phone.wasm'], 'join and ticket page: the phone bundle only');

  // a link the router follows to a page the phone's bundle lacks: that page loads whole
  await page.evaluate(() => {
    const link = Object.assign(document.createElement('a'), { href: '/display', id: 'to-board', textContent: 'board' });
    document.body.prepend(link);
  });
  await page.click('#to-board');
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('-screens.wasm')));
  await waitLive(page);
  assert.equal(new URL(page.url()).pathname, '/display');
  assert.deepEqual(await bundles(), ['/pkg/waitingroom-screens.wasm'], 'the board: the screens\' bundle');

  // the start page's links to the kiosk, the board and the console load them whole
  await page.goto(`${app.server.baseUrl}/`);
  await page.locator('a[href="/kiosk"]').click();
  await page.waitForURL(/\/kiosk$/);
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('.wasm')));
  assert.deepEqual(await bundles(), ['/pkg/waitingroom-screens.wasm'], 'the kiosk: the screens\' bundle');

  await page.goto(`${app.server.baseUrl}/admin/login`);
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('.wasm')));
  assert.deepEqual(await bundles(), ['/pkg/waitingroom.wasm'], 'the staff console: the whole bundle');
  await mobile.close();
});

test('a customer registers a phone on the ticket page and sees it verified live once the texted link is opened', async () => {
  const store = await app.chrome.browser.newContext();
  const kiosk = new KioskPage(await store.newPage(), app.server);
  await kiosk.open();
  await kiosk.issueButton().click();
  const url = await kiosk.ticketUrl();

  const mobile = await app.chrome.browser.newContext(phone);
  const ticket = new TicketPage(await mobile.newPage());
  const errors = watchErrors(ticket.page, { refusals: true });
  await ticket.open(url);
  await ticket.page.locator('#phone').fill('abc');
  await ticket.page.getByRole('button', { name: '確認用SMSを送る' }).click();
  await expectText(ticket.page.getByTestId('phone-error'), '電話番号を確認してください（例：090-1234-5678）。');
  await ticket.page.locator('#phone').fill('０９０－１２３４－５６７８');
  await ticket.page.getByRole('button', { name: '確認用SMSを送る' }).click();
  await ticket.page.getByTestId('phone-status').filter({ hasText: '090-****-5678 に確認用のSMSを送りました' }).waitFor({ timeout: 5_000 });

  // without Twilio, the text waits in the console's dev outbox, marked as not sent
  const tablet = await app.chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const console_ = new ConsolePage(await tablet.newPage(), app.server.baseUrl);
  await console_.signIn(ADMIN_PASSWORD);
  const message = console_.page.getByTestId('unsent-message').filter({ hasText: '+819012345678' }).filter({ hasText: '/v/default/' }).first();
  for (let i = 0; i < 20 && (await message.count()) === 0; i++) {
    await console_.page.getByTestId('dev-outbox').getByRole('button', { name: '更新' }).click();
    await new Promise((r) => setTimeout(r, 250));
  }
  await expectText(message.locator('.badge'), '未送信');
  const link = await message.locator('a').getAttribute('href');
  assert.match(link, /\/v\/default\/[0-9a-f]{32}$/);

  // the customer opens the link on the phone, and presses: verified, on the link's own page
  let navigations = 0;
  ticket.page.on('framenavigated', () => navigations++);
  const opened = await mobile.newPage();
  await opened.goto(link);
  await opened.getByText('整理券を取ったご本人でない場合は').waitFor();
  await ticket.page.getByTestId('phone-status').filter({ hasText: '確認用のSMSを送りました' }).waitFor();
  // opening the link changes nothing (a link preview must not verify): the customer presses
  await opened.getByRole('button', { name: '電話番号を確認する' }).click();
  await verifiedOnLinkPage(opened, url);
  // the ticket page that was already open shows it, without a reload
  await ticket.page.getByTestId('phone-status').filter({ hasText: '確認済み' }).waitFor({ timeout: 5_000 });
  assert.equal(navigations, 0, 'no reload');
  assert.deepEqual(errors, [], 'no errors in the page');

  // the console offers 「電話で呼び出す」 for the verified ticket, live; the call waits in the dev
  // outbox with the words it would say
  const callButton = console_.page.getByTestId('call-phone').first();
  await callButton.waitFor({ timeout: 5_000 });
  await callButton.click();
  const number = (await ticket.number().textContent()).trim();
  const call = console_.page.getByTestId('unsent-message').filter({ hasText: `受付番号${number}番の方、1番窓口へお越しください` });
  for (let i = 0; i < 20 && (await call.count()) === 0; i++) {
    await console_.page.getByTestId('dev-outbox').getByRole('button', { name: '更新' }).click();
    await new Promise((r) => setTimeout(r, 250));
  }
  await expectText(call.first().locator('.badge'), '未送信');
  await store.close();
  await mobile.close();
  await tablet.close();
});
