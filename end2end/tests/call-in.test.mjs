// Verifying a phone by calling in, the way that works in Japan (Twilio sells no Japanese number
// that sends SMS; carriers are reported to filter SMS with links): with only a Japanese voice
// number configured, the ticket page offers 「この番号に電話して確認」 with the store's number as a
// tel: link and written out, and a 4-digit code below it; the call Twilio posts from the number
// typed (signed as Twilio signs its webhooks) asks for that code, and only the code keyed in turns
// the open page verified without a reload (a wrong one changes nothing); the automatic call follows.
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

/** A call from `from` to the store's number, as Twilio posts it (call `sid`). */
function incomingCall(from, sid = callSid()) {
  return twilioPosts(`${app.server.baseUrl}/twilio/voice/incoming`, {
    AccountSid: app.twilio.env.TWILIO_ACCOUNT_SID,
    CallSid: sid,
    CallStatus: 'ringing',
    Direction: 'inbound',
    From: from,
    To: '+815012345678',
  });
}

let calls = 0;
const callSid = () => `CA${(Date.now() * 1000 + calls++).toString(16).padStart(32, '0')}`;

/** The keys `digits` pressed by the caller `from` in call `sid`, posted as Twilio posts them to
 * `action`, the action of the `<Gather>` that asked for them. */
function keyIn(action, sid, from, digits) {
  return twilioPosts(action, {
    AccountSid: app.twilio.env.TWILIO_ACCOUNT_SID,
    CallSid: sid,
    CallStatus: 'in-progress',
    Digits: digits,
    Direction: 'inbound',
    From: from,
    To: '+815012345678',
  });
}

/** The action URL of `twiml`'s `<Gather>` asking for the 4-digit call code. */
function codeAction(twiml) {
  const gather = twiml.match(/<Gather [^>]*>/)?.[0] ?? '';
  assert.match(gather, /numDigits="4"/, `asks for 4 digits: ${twiml}`);
  const action = gather.match(/action="([^"]*)"/)?.[1] ?? '';
  assert.match(action, /\/twilio\/voice\/code\?repeats=\d+$/, `the code's action: ${twiml}`);
  return action.replaceAll('&amp;', '&');
}

test('the ticket page offers the store number to call and a code to key in, and turns verified live when the caller keys it in', async () => {
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
  // the code to key in once the call answers: 4 digits, below the number
  const shown = ticket.page.getByTestId('call-in').getByTestId('call-code');
  const code = (await shown.innerText()).trim();
  assert.match(code, /^\d{4}$/, `a 4-digit code: ${code}`);
  assert.match(await ticket.page.getByTestId('call-in').innerText(), /自動音声の案内で下の確認コードを押すと、確認が終わります/);
  const codeBox = await shown.boundingBox();
  const linkBox = await link.boundingBox();
  assert.ok(codeBox && linkBox && codeBox.y >= linkBox.y + linkBox.height, 'below the number');
  const box = await link.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `the button fits a 360 px phone: ${JSON.stringify(box)}`);
  assert.equal((await app.twilio.made()).filter((m) => m.kind === 'sms').length, 0, 'no SMS');

  let reloads = 0;
  ticket.page.on('framenavigated', () => reloads++);
  // a stranger's call changes nothing
  const stranger = await incomingCall('+819099998888');
  assert.equal(stranger.status, 200);
  assert.match(stranger.twiml, /<Gather /, 'the menu');
  assert.doesNotMatch(stranger.twiml, /\/twilio\/voice\/code/, 'not asked for a code');
  // the customer calls from the number typed: the call asks for the code the page shows, and
  // the call alone verifies nothing (a caller ID can be forged)
  const sid = callSid();
  const call = await incomingCall('+819012345678', sid);
  assert.equal(call.status, 200);
  assert.match(call.twiml, /4桁の確認コードを押してください。/);
  const action = codeAction(call.twiml);
  assert.equal(action, `${app.server.baseUrl}/twilio/voice/code?repeats=0`);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await ticket.page.getByTestId('phone-status').filter({ hasText: '確認済み' }).count(), 0, 'not verified by the call alone');
  // a wrong code verifies nothing, and is asked again
  const wrong = code === '0000' ? '1111' : '0000';
  const missed = await keyIn(action, sid, '+819012345678', wrong);
  assert.equal(missed.status, 200);
  assert.match(missed.twiml, /確認コードが違います/);
  assert.doesNotMatch(missed.twiml, /電話番号を確認しました/);
  const again = codeAction(missed.twiml);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await ticket.page.getByTestId('phone-status').filter({ hasText: '確認済み' }).count(), 0, 'not verified by a wrong code');
  await ticket.page.getByTestId('phone-status').filter({ hasText: '090-****-5678 を登録しました' }).waitFor({ timeout: 1_000 });
  // the right code: the call says so, and the open page shows it
  const right = await keyIn(again, sid, '+819012345678', code);
  assert.equal(right.status, 200);
  assert.match(right.twiml, /電話番号を確認しました/);
  assert.match(right.twiml, /<Hangup \/><\/Response>$/);
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
