// Through Twilio (the stand-in behind Prism, validating every request against Twilio's spec): a
// customer registers a phone on the ticket page and opens the link Twilio was asked to text; the
// staff calls the phone from the console and watches the call's status change, live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchErrors } from '../support/app.mjs';
import { ConsolePage, expectText, KioskPage, TicketPage, verifiedOnLinkPage } from '../support/pages.mjs';
import { useTwilioApp } from '../support/twilio.mjs';

// this test is about the staff's call: no automatic one
const app = useTwilioApp({ AUTODIAL_PLACES: '0' });

const madeOne = app.madeOne;

test('a phone is verified by the link Twilio texts, and staff watch their call to it ring and end', async () => {
  const store = await app.chrome.browser.newContext();
  const kiosk = new KioskPage(await store.newPage(), app.server);
  await kiosk.open();
  await kiosk.issueButton().click();
  const url = await kiosk.ticketUrl();

  const mobile = await app.chrome.browser.newContext({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
  const ticket = new TicketPage(await mobile.newPage());
  const errors = watchErrors(ticket.page);
  await ticket.open(url);
  await ticket.page.locator('#phone').fill('090-1234-5678');
  await ticket.page.getByRole('button', { name: '確認用SMSを送る' }).click();
  await ticket.page.getByTestId('phone-status').filter({ hasText: '090-****-5678 に確認用のSMSを送りました' }).waitFor({ timeout: 5_000 });

  const sms = await madeOne((m) => m.kind === 'sms' && m.form.To === '+819012345678');
  const link = sms.form.Body.match(/http:\/\/\S+\/v\/default\/[0-9a-f]{32}/)[0];
  assert.ok(link.startsWith(app.server.baseUrl), `the link names this site: ${link}`);
  const opened = await mobile.newPage();
  await opened.goto(link);
  // opening the link changes nothing (a link preview must not verify): the customer presses
  await opened.getByRole('button', { name: '電話番号を確認する' }).click();
  // the link's own page says it is done, and leads nowhere near the ticket
  await verifiedOnLinkPage(opened, url);
  // the page that was open shows it, without a reload
  await ticket.page.getByTestId('phone-status').filter({ hasText: '確認済み' }).waitFor({ timeout: 5_000 });

  const tablet = await app.chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const console_ = new ConsolePage(await tablet.newPage(), app.server.baseUrl);
  const consoleErrors = watchErrors(console_.page);
  await console_.signIn(app.server.adminPassword);
  let reloads = 0;
  console_.page.on('framenavigated', () => reloads++);
  await console_.page.getByTestId('call-phone').first().click();
  const call = await madeOne((m) => m.kind === 'call' && m.form.To === '+819012345678');
  assert.match(call.form.Twiml, /受付番号1番の方、1番窓口へお越しください/);

  // Twilio reports the call ringing, then over: the ticket's row and the log follow, live
  const row = console_.page.getByTestId('waiting-ticket').filter({ hasText: '1' }).first();
  assert.equal((await app.twilio.report(call.sid, 'ringing')).status, 204);
  await expectText(row.getByTestId('contact-state'), '電話 呼び出し中');
  const logged = console_.page.getByTestId('contact').filter({ hasText: '090-****-5678' }).and(console_.page.locator('[data-kind=call]'));
  await expectText(logged.locator('td[data-status]'), '電話 呼び出し中');
  assert.equal((await app.twilio.report(call.sid, 'completed')).status, 204);
  await expectText(row.getByTestId('contact-state'), '電話 通話済み');
  await expectText(logged.locator('td[data-status]'), '電話 通話済み');
  assert.equal(reloads, 0, 'no reload');

  // staff who open the ticket see the whole number
  await row.getByTestId('show-phone').click();
  await expectText(row.getByTestId('phone-number'), '090-1234-5678');
  assert.deepEqual(errors, [], 'no errors on the ticket page');
  assert.deepEqual(consoleErrors, [], 'no errors in the console');
  await store.close();
  await mobile.close();
  await tablet.close();
});
