// Screens across faults: the server killed (SIGKILL) and restarted while the line moves on
// through another server, and a phone offline for a minute: each comes back to exactly the
// current state, by itself.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBrowser, startRedis, startServer } from '../support/app.mjs';
import { startNetwork } from '../support/network.mjs';
import { DisplayPage, expectText, TicketPage, waitLive } from '../support/pages.mjs';

const TOKEN = 'e2e-staff-token-0123456789abcdef0123456789';
const env = { STAFF_API_TOKEN: TOKEN, COUNTERS: '1,2' };
const app = {};
before(async () => {
  app.redis = await startRedis();
  app.server = await startServer(app.redis.url, env);
  // a second server on the same Redis, as behind a load balancer
  app.other = await startServer(app.redis.url, env);
  app.chrome = await startBrowser();
});
after(async () => {
  await app.chrome?.stop();
  await app.other?.stop();
  await app.server?.stop();
  await app.redis?.stop();
});

async function api(server, path, body) {
  const response = await fetch(`${server.baseUrl}/api/v1/queues/default${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(response.ok, `${path}: ${response.status}`);
  return response.json();
}

const issue = (server) => api(server, '/tickets', {});
const callNext = (server, counter) => api(server, '/call-next', { counter });

/** Resolves once the page's live channel is not open (it noticed the server was gone). */
async function waitNotLive(page, timeout) {
  await page.waitForFunction(() => [...document.querySelectorAll('[data-live]')].some((e) => e.dataset.live !== 'open'), null, { timeout });
}

test('the server killed and restarted: the ticket page and the board come back to the current state', async () => {
  const phone = await app.chrome.browser.newContext({ viewport: { width: 360, height: 740 } });
  await issue(app.server);
  await issue(app.server);
  const mine = await issue(app.server);
  const ticket = new TicketPage(await phone.newPage());
  await ticket.open(`${app.server.baseUrl}/t/${mine.token}`);
  await expectText(ticket.peopleAhead(), '2人');
  const tv = await app.chrome.browser.newContext({ viewport: { width: 1280, height: 720 } });
  const board = new DisplayPage(await tv.newPage(), app.server.baseUrl);
  await board.open();

  await app.server.kill();
  await waitNotLive(ticket.page, 10_000);
  // the line moves on through the other server meanwhile
  await callNext(app.other, '1');
  await callNext(app.other, '2');
  await issue(app.other);
  await app.server.restart();

  await waitLive(ticket.page);
  await waitLive(board.page);
  await expectText(ticket.peopleAhead(), '0人', 15_000);
  const rows = board.servingRows();
  await rows.filter({ hasText: '1番窓口' }).waitFor({ timeout: 15_000 });
  await rows.filter({ hasText: '2番窓口' }).waitFor({ timeout: 15_000 });
  await phone.close();
  await tv.close();
});

test('a phone offline for a minute comes back to exactly the current state', async () => {
  // the phone reaches the server through a stretch of network the test can cut
  const network = await startNetwork(app.server.baseUrl);
  const phone = await app.chrome.browser.newContext({ viewport: { width: 360, height: 740 } });
  await issue(app.server);
  await issue(app.server);
  const mine = await issue(app.server);
  const ticket = new TicketPage(await phone.newPage());
  await ticket.open(`${network.url}/t/${mine.token}`);
  const before = await api(app.server, '');
  const ahead = before.waiting.indexOf(mine.number);
  assert.ok(ahead >= 2, `${ahead} ahead`);
  await expectText(ticket.peopleAhead(), `${ahead}人`);

  network.cut();
  // the line moves while the phone hears nothing for a minute (its connection looks open)
  await callNext(app.server, '1');
  await issue(app.server);
  await new Promise((r) => setTimeout(r, 30_000));
  await callNext(app.server, '2');
  await new Promise((r) => setTimeout(r, 30_000));
  await expectText(ticket.peopleAhead(), `${ahead}人`);
  network.restore();

  const now = await api(app.server, '');
  const expected = now.waiting.indexOf(mine.number);
  assert.equal(expected, ahead - 2);
  await expectText(ticket.peopleAhead(), `${expected}人`, 15_000);
  await waitLive(ticket.page);
  await phone.close();
  await network.stop();
});
