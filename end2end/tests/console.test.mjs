// The staff console on a 1180×820 tablet, without Twilio (the dev outbox): what the outbox makes —
// a verification text, an automatic call — shows as it is made, without 「更新」 or a reload; and
// 「電話で呼び出す」 lines up with the other buttons of its row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, watchErrors } from '../support/app.mjs';
import { ConsolePage, expectText, KioskPage, TicketPage, verifiedOnLinkPage } from '../support/pages.mjs';

// a verified phone is called once its ticket is at most one place from its turn
const app = useApp({ AUTODIAL_PLACES: '1' });

const tabletSize = { viewport: { width: 1180, height: 820 } };
const phone = { viewport: { width: 320, height: 640 }, hasTouch: true, isMobile: true };

/** Issues `count` tickets on the kiosk; answers the last one's number and page. */
async function issue(kiosk, count) {
  for (let i = 1; i < count; i++) {
    await kiosk.issueButton().click();
    await kiosk.issuedNumber().waitFor();
    await kiosk.page.getByRole('button', { name: 'とじる' }).click();
  }
  await kiosk.issueButton().click();
  const number = (await kiosk.issuedNumber().textContent()).trim();
  return { number, url: await kiosk.ticketUrl() };
}

/** The console's row of ticket `number` (`waiting-ticket` or `serving-ticket`). */
const rowOf = (console_, list, number) => console_.page.getByTestId(list)
  .filter({ has: console_.page.locator('td.num').filter({ hasText: new RegExp(`^\\s*${number}(?!\\d)`) }) });

/** The dev outbox's entry that says `text`. */
const unsent = (console_, text) => console_.page.getByTestId('unsent-message').filter({ hasText: text });

/**
 * The customer registers 090-1234-5678 on the ticket page at `url`, and opens the link texted to
 * it, as the console's dev outbox shows it: there by itself, or (`refresh`) once 「更新」 is
 * pressed. Answers the ticket page.
 */
async function verifyPhone(mobile, url, console_, { refresh = false } = {}) {
  const ticket = new TicketPage(await mobile.newPage());
  await ticket.open(url);
  await ticket.page.locator('#phone').fill('090-1234-5678');
  await ticket.page.getByRole('button', { name: '確認用SMSを送る' }).click();
  const number = (await ticket.number().textContent()).trim();
  const text = unsent(console_, `受付番号${number}番の電話番号確認です`);
  for (let i = 0; refresh && i < 20 && (await text.count()) === 0; i++) {
    await console_.page.getByTestId('dev-outbox').getByRole('button', { name: '更新' }).click();
    await new Promise((r) => setTimeout(r, 250));
  }
  await text.waitFor({ timeout: 5_000 });
  await expectText(text.locator('.badge'), '未送信');
  const opened = await mobile.newPage();
  await opened.goto(await text.locator('a').getAttribute('href'));
  await opened.getByRole('button', { name: '電話番号を確認する' }).click();
  await verifiedOnLinkPage(opened, url);
  await opened.close();
  return ticket;
}

test('the dev outbox shows the verification text and the automatic call as they are made, without 「更新」 or a reload', async () => {
  const tablet = await app.chrome.browser.newContext(tabletSize);
  const console_ = new ConsolePage(await tablet.newPage(), app.server.baseUrl);
  const errors = watchErrors(console_.page);
  await console_.signIn(app.server.adminPassword);
  let reloads = 0;
  console_.page.on('framenavigated', () => reloads++);
  let outboxReads = 0;
  console_.page.on('request', (r) => { if (r.url().includes('/api/admin/dev_outbox')) outboxReads++; });

  // two people ahead of the customer: no automatic call yet
  const store = await app.chrome.browser.newContext();
  const kiosk = new KioskPage(await store.newPage(), app.server);
  await kiosk.open();
  const { number, url } = await issue(kiosk, 3);
  const mobile = await app.chrome.browser.newContext(phone);
  await verifyPhone(mobile, url, console_);
  const row = rowOf(console_, 'waiting-ticket', number);
  await row.getByTestId('call-phone').waitFor({ timeout: 5_000 });
  assert.equal(await unsent(console_, `受付番号${number}番の方、まもなく順番です`).count(), 0, 'no call yet');

  // the next one is called: the customer is one place from the turn, and the automatic call is made
  await console_.callNext().click();
  const call = unsent(console_, `受付番号${number}番の方、まもなく順番です`);
  await call.waitFor({ timeout: 5_000 });
  await expectText(call.locator('.badge'), '未送信');
  // the ticket's row shows it too
  await expectText(row.getByTestId('contact-state'), '電話 未送信');
  assert.equal(reloads, 0, 'no reload');
  assert.ok(outboxReads >= 2, `the outbox was read as messages were made (${outboxReads} reads)`);
  assert.deepEqual(errors, [], 'no errors in the console');
  await store.close();
  await mobile.close();
  await tablet.close();
});

test('on a 1180×820 tablet 「電話で呼び出す」 lines up with the other buttons of its row', async () => {
  const tablet = await app.chrome.browser.newContext(tabletSize);
  const console_ = new ConsolePage(await tablet.newPage(), app.server.baseUrl);
  await console_.signIn(app.server.adminPassword);
  const store = await app.chrome.browser.newContext();
  const kiosk = new KioskPage(await store.newPage(), app.server);
  await kiosk.open();
  const { number, url } = await issue(kiosk, 1);
  const mobile = await app.chrome.browser.newContext(phone);
  // (whether the outbox shows the text by itself is the test above's)
  await verifyPhone(mobile, url, console_, { refresh: true });

  /** Every button of the row's actions with its box; the phone's button is there. */
  const buttons = async (row) => {
    await row.getByTestId('call-phone').waitFor({ timeout: 5_000 });
    return row.locator('.row-actions button').evaluateAll((all) => all.map((b) => {
      const box = b.getBoundingClientRect();
      return { text: b.textContent.trim(), top: box.top, bottom: box.bottom };
    }));
  };
  const lineUp = (row, what) => {
    const phoneButton = row.find((b) => b.text === '電話で呼び出す');
    assert.ok(row.length >= 3, `${what}: ${JSON.stringify(row)}`);
    for (const b of row) {
      assert.ok(Math.abs(b.top - phoneButton.top) <= 1 && Math.abs(b.bottom - phoneButton.bottom) <= 1,
        `${what}: 「${b.text}」 and 「電話で呼び出す」 line up: ${JSON.stringify(row)}`);
    }
  };
  const waiting = rowOf(console_, 'waiting-ticket', number);
  lineUp(await buttons(waiting), 'a waiting ticket');
  // called to this counter: the row of the tickets being served
  await waiting.locator('button[data-action=call]').click();
  const serving = rowOf(console_, 'serving-ticket', number);
  lineUp(await buttons(serving), 'a called ticket');
  await console_.page.screenshot({ path: 'screenshots/console-tablet.png' });
  await store.close();
  await mobile.close();
  await tablet.close();
});
