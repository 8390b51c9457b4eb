// Verifying a phone by calling in, the way that works in Japan (Twilio sells no Japanese number
// that sends SMS; carriers are reported to filter SMS with links): with only a Japanese voice
// number configured, the ticket page offers 「この番号に電話して確認」 with the store's number as a
// tel: link and written out; the call Twilio posts from the number typed (signed as Twilio signs
// its webhooks) turns the open page verified without a reload, and the automatic call follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { watchErrors } from '../support/app.mjs';
import { KioskPage, TicketPage } from '../support/pages.mjs';
import { useTwilioApp } from '../support/twilio.mjs';

// a Japanese voice number, no SMS sender: PHONE_VERIFY defaults to `call`
const app = useTwilioApp({ TWILIO_FROM_NUMBER: '050-1234-5678', TWILIO_SMS_SENDER: '' });

/** Posts `params` to `url` as Twilio posts a webhook: X-Twilio-Signature is base64(HMAC-SHA1(
 * auth token, the URL + each parameter's name and value, in name order)). */
async function twilioPosts(url, params) {
  const signed = Object.keys(params).sort().reduce((s, k) => s + k + params[k], url);
  const signature = createHmac('sha1', app.twilio.env.TWILIO_AUTH_TOKEN).update(signed).digest('base64');
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params),
  });
  return { status: response.status, twiml: await response.text() };
}

function incomingCall(from) {
  return twilioPosts(`${app.server.baseUrl}/twilio/voice/incoming`, {
    AccountSid: app.twilio.env.TWILIO_ACCOUNT_SID,
    CallSid: `CA${Date.now().toString(16).padStart(32, '0')}`,
    CallStatus: 'ringing',
    Direction: 'inbound',
    From: from,
    To: '+815012345678',
  });
}

test('the ticket page offers the store number to call, and turns verified live when the call comes', async () => {
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
  await ticket.page.getByRole('button', { name: '電話番号を登録する' }).click();
  await ticket.page.getByTestId('phone-status').filter({ hasText: '090-****-5678 を登録しました' }).waitFor({ timeout: 5_000 });

  // the store's number, to call: a tel: link, written out as people write it
  const link = ticket.page.getByTestId('call-in-link');
  await link.waitFor({ timeout: 5_000 });
  assert.match(await link.innerText(), /この番号に電話して確認/);
  assert.equal(await link.getAttribute('href'), 'tel:+815012345678');
  assert.equal(await ticket.page.getByTestId('call-in-number').innerText(), '050-1234-5678');
  const box = await link.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `the button fits a 360 px phone: ${JSON.stringify(box)}`);
  assert.equal((await app.twilio.made()).filter((m) => m.kind === 'sms').length, 0, 'no SMS');

  let reloads = 0;
  ticket.page.on('framenavigated', () => reloads++);
  // a stranger's call changes nothing
  const stranger = await incomingCall('+819099998888');
  assert.equal(stranger.status, 200);
  assert.match(stranger.twiml, /<Gather /, 'the menu');
  // the customer calls from the number typed: the call says so, and the open page shows it
  const call = await incomingCall('+819012345678');
  assert.equal(call.status, 200);
  assert.match(call.twiml, /電話番号を確認しました/);
  assert.match(call.twiml, /<Hangup \/><\/Response>$/);
  await ticket.page.getByTestId('phone-status').filter({ hasText: '確認済み' }).waitFor({ timeout: 5_000 });
  assert.equal(await ticket.page.getByTestId('call-in').count(), 0, 'nothing more to call');
  assert.equal(reloads, 0, 'no reload');

  // the automatic call now goes to the verified phone (the ticket is next)
  const automatic = await app.madeOne((m) => m.kind === 'call' && m.form.To === '+819012345678');
  assert.equal(automatic.form.From, '+815012345678');
  assert.deepEqual(errors, [], 'no errors on the ticket page');
  await store.close();
  await mobile.close();
});
