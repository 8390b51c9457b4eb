// LINE through the stand-in behind Prism (validating every request against LINE's spec): the
// ticket page's 「LINEで通知を受け取る」 link carries a one-time code; the stand-in sends the
// prefilled text as the user, and the open page shows 「LINEで通知」 without a reload; then the line
// moves: exactly one push at 3 ahead, one when called.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchErrors } from '../support/app.mjs';
import { ConsolePage, KioskPage, TicketPage } from '../support/pages.mjs';
import { useLineApp } from '../support/line.mjs';

const app = useLineApp();
const USER = 'U4af4980629abcdef0123456789abcdef';

async function until(what, check) {
  for (let i = 0; i < 50; i++) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not so: ${what}`);
}

test('a ticket linked on LINE by its page is pushed once when near and once when called', async () => {
  const store = await app.chrome.browser.newContext();
  const kiosk = new KioskPage(await store.newPage(), app.server);
  await kiosk.open();
  // four people ahead (taken through the API), then the customer's ticket at the kiosk
  for (let i = 0; i < 4; i++) {
    const issued = await fetch(`${app.server.baseUrl}/api/v1/queues/default/tickets`, { method: 'POST' });
    assert.equal(issued.status, 201);
  }
  await kiosk.issueButton().click();
  await kiosk.issuedNumber().waitFor();
  const url = await kiosk.ticketUrl();

  const mobile = await app.chrome.browser.newContext({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
  const ticket = new TicketPage(await mobile.newPage());
  const errors = watchErrors(ticket.page);
  await ticket.open(url);
  const link = ticket.page.getByTestId('line-link');
  await link.waitFor({ timeout: 5_000 });
  assert.equal((await link.textContent()).trim(), 'LINEで通知を受け取る');
  const href = await link.getAttribute('href');
  assert.match(href, /^https:\/\/line\.me\/R\/oaMessage\/%40waitroom\/\?/);
  const text = decodeURIComponent(href.split('/?')[1]);
  assert.match(text, /^受付番号5番の通知をLINEで受け取ります #[0-9A-Z]{10}$/);

  // the customer sends the prefilled text: the open page shows it, live
  let reloads = 0;
  ticket.page.on('framenavigated', () => reloads++);
  assert.equal((await app.line.send(`${app.server.baseUrl}/line/webhook`, USER, text)).status, 200);
  await ticket.page.getByTestId('line-status').filter({ hasText: 'LINEで通知' }).waitFor({ timeout: 5_000 });
  const replies = await until('the reply', async () => (await app.line.replies()).length === 1 && app.line.replies());
  assert.match(replies[0].text, /^受付番号5番の通知をLINEでお送りします/);

  // the line moves: 4 ahead, then 3 (one push), then called (one more)
  const tablet = await app.chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const console_ = new ConsolePage(await tablet.newPage(), app.server.baseUrl);
  await console_.signIn(app.server.adminPassword);
  await console_.page.getByTestId('line-follows').first().waitFor({ timeout: 5_000 });
  const callNext = () => console_.page.getByTestId('call-next').click();
  await callNext();
  await until('one push at 3 ahead', async () => (await app.line.pushes()).length === 1);
  for (let i = 0; i < 3; i++) await callNext();
  await new Promise((r) => setTimeout(r, 1_000));
  assert.equal((await app.line.pushes()).length, 1, 'exactly one push while near');
  await callNext();
  await ticket.page.getByTestId('call-banner').waitFor({ timeout: 5_000 });
  const pushes = await until('the push when called', async () => {
    const all = await app.line.pushes();
    return all.length === 2 && all;
  });
  await new Promise((r) => setTimeout(r, 1_000));
  assert.equal((await app.line.pushes()).length, 2, 'exactly two pushes in all');
  assert.match(pushes[0].text, /^【待合室】受付番号5番の方、まもなく順番です。/);
  assert.match(pushes[1].text, /^【待合室】受付番号5番の方、1番窓口へお越しください。/);
  assert.ok(pushes.every((p) => p.to === USER && p.retry_key), 'each push to the user, with a retry key');
  assert.notEqual(pushes[0].retry_key, pushes[1].retry_key);
  assert.equal(reloads, 0, 'no reload');
  assert.deepEqual(errors, [], 'no errors on the ticket page');
  await store.close();
  await mobile.close();
  await tablet.close();
});
