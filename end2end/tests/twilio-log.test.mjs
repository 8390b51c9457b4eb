// Through Twilio (the stand-in behind Prism): the console's 「本日のSMS・電話」 shows each text and
// call as Twilio is asked for it — the verification text, the automatic call made while the
// console is open — before Twilio reports anything, without 「更新」 or a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchErrors } from '../support/app.mjs';
import { ConsolePage, expectText, KioskPage, TicketPage, verifiedOnLinkPage } from '../support/pages.mjs';
import { useTwilioApp } from '../support/twilio.mjs';

// a verified phone is called once its ticket is at most one place from its turn
const app = useTwilioApp({ AUTODIAL_PLACES: '1' });

const madeOne = app.madeOne;

test('the log shows the verification text and the automatic call as Twilio is asked for them, without 「更新」 or a reload', async () => {
  const tablet = await app.chrome.browser.newContext({ viewport: { width: 1180, height: 820 } });
  const console_ = new ConsolePage(await tablet.newPage(), app.server.baseUrl);
  const errors = watchErrors(console_.page);
  await console_.signIn(app.server.adminPassword);
  let reloads = 0;
  console_.page.on('framenavigated', () => reloads++);
  const logged = (kind) => console_.page.getByTestId('contact')
    .filter({ hasText: '090-****-5678' })
    .and(console_.page.locator(`[data-kind=${kind}]`));

  // the customer holds the third ticket: two ahead, no automatic call yet
  const store = await app.chrome.browser.newContext();
  const kiosk = new KioskPage(await store.newPage(), app.server);
  await kiosk.open();
  for (let i = 0; i < 2; i++) {
    await kiosk.issueButton().click();
    await kiosk.issuedNumber().waitFor();
    await kiosk.page.getByRole('button', { name: 'とじる' }).click();
  }
  await kiosk.issueButton().click();
  const url = await kiosk.ticketUrl();

  const mobile = await app.chrome.browser.newContext({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
  const ticket = new TicketPage(await mobile.newPage());
  await ticket.open(url);
  await ticket.page.locator('#phone').fill('090-1234-5678');
  await ticket.page.getByRole('button', { name: '確認用SMSを送る' }).click();
  const sms = await madeOne((m) => m.kind === 'sms' && m.form.To === '+819012345678');
  // Twilio has reported nothing yet: the log shows the text on its way
  await expectText(logged('sms').locator('td[data-status]'), 'SMS 送信中');
  assert.equal(await console_.page.getByTestId('dev-outbox').count(), 0, 'no dev outbox with Twilio');
  const opened = await mobile.newPage();
  await opened.goto(sms.form.Body.match(/http:\/\/\S+\/v\/default\/[0-9a-f]{32}/)[0]);
  await opened.getByRole('button', { name: '電話番号を確認する' }).click();
  await verifiedOnLinkPage(opened, url);
  assert.equal(await logged('call').count(), 0, 'no call yet');

  // the next one is called: the customer is one place from the turn, and Twilio is asked to call
  await console_.callNext().click();
  const call = await madeOne((m) => m.kind === 'call' && m.form.To === '+819012345678');
  assert.match(call.form.Twiml, /受付番号3番の方、まもなく順番です/);
  await expectText(logged('call').locator('td[data-status]'), '電話 送信中');
  // the ticket's row too, which showed the text before
  const row = console_.page.getByTestId('waiting-ticket')
    .filter({ has: console_.page.locator('td.num').filter({ hasText: /^\s*3(?!\d)/ }) });
  await expectText(row.getByTestId('contact-state'), '電話 送信中');
  // and it moves on as Twilio reports it
  assert.equal((await app.twilio.report(call.sid, 'ringing')).status, 204);
  await expectText(logged('call').locator('td[data-status]'), '電話 呼び出し中');
  assert.equal(reloads, 0, 'no reload');
  assert.deepEqual(errors, [], 'no errors in the console');
  await store.close();
  await mobile.close();
  await tablet.close();
});
