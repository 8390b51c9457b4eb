// The release as a shop runs it (docs/deployment.md): the folder `./scripts/release.sh` builds
// (RELEASE_DIR, by default target/release-pkg/latest), on a Redis with the shop's settings
// (deploy/redis-waitingroom.conf), behind Debian's caddy with the shipped deploy/Caddyfile (only
// the test's ports, `tls internal` and its own storage added around it; its CA trusted by this
// test's client and by chromium). Through the proxy: links and QR codes are https, the live
// channel (WebSocket and SSE) stays up across a call, a Twilio webhook signed for the https
// PUBLIC_URL is accepted, per-address limits see the real client, HSTS is sent, a page hydrates
// and follows the line; then a second copy of the release starts beside the first on the same
// Redis and takes over without losing a ticket; Caddy's access log holds none of the tokens,
// cookies and signatures that went through it. The systemd units pass `systemd-analyze verify`;
// the archive and the installed release are root's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startBrowser, startRedis, startServer, watchErrors } from '../support/app.mjs';
import { KioskPage, TicketPage, expectText, waitLive } from '../support/pages.mjs';
import { startTwilio } from '../support/twilio.mjs';

const RELEASE = realpathSync(process.env.RELEASE_DIR ?? new URL('../../target/release-pkg/latest', import.meta.url).pathname);
const TOKEN = 'deploy-test-staff-token-0123456789abcdef';
const tmp = mkdtempSync(join(tmpdir(), 'wr-e2e-deploy-'));
const run = {};
/** Every ticket token and cookie value that went through the proxy: Caddy's access log holds none. */
const secrets = new Set();
/** Notes the ticket tokens in `text` (links `/t/<token>`, in a header, a body or a URL). */
function seen(text) {
  for (const [, token] of String(text ?? '').matchAll(/\/t\/([0-9a-f]{16,})/g)) secrets.add(token);
}
/** Notes the values of cookies (`name=value; ...`), the short ones (a language) aside. */
function seenCookies(cookies) {
  for (const cookie of cookies ?? []) {
    const value = cookie.split(';')[0].split('=').slice(1).join('=');
    if (value.length >= 16) secrets.add(value);
  }
}

/** An HTTPS request to the proxy, trusting only Caddy's test CA, from loopback address `from`. */
function request(path, { method = 'GET', headers = {}, body, from = '127.0.0.1' } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: run.httpsPort, servername: 'localhost', ca: run.ca, localAddress: from,
      method, path, headers: { host: run.host, ...headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        seen(res.headers.location);
        seen(text);
        seenCookies(res.headers['set-cookie']);
        resolve({ status: res.statusCode, headers: res.headers, text });
      });
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.end(body);
  });
}

const json = (r) => JSON.parse(r.text);
const issue = (from, headers = {}) => request('/api/v1/queues/default/tickets', { method: 'POST', from, headers });
const staff = { authorization: `Bearer ${TOKEN}` };

/** Caddy with the shipped Caddyfile, its test-only global options around it. */
async function startCaddy(upstreams) {
  const storage = join(tmp, 'caddy');
  const wrapper = join(tmp, 'Caddyfile');
  writeFileSync(wrapper, [
    '{',
    '\tadmin off',
    '\tlocal_certs', // `tls internal` for every site: Caddy's own CA
    '\tskip_install_trust',
    `\thttp_port ${run.httpPort}`,
    `\thttps_port ${run.httpsPort}`,
    `\tstorage file_system ${storage}`,
    '}',
    `import ${join(RELEASE, 'deploy/Caddyfile')}`,
    '',
  ].join('\n'));
  const child = spawn('caddy', ['run', '--config', wrapper, '--adapter', 'caddyfile'], {
    env: {
      PATH: process.env.PATH, HOME: tmp, XDG_DATA_HOME: join(tmp, 'xdg'), XDG_CONFIG_HOME: join(tmp, 'xdg'),
      WR_DOMAIN: 'localhost', WR_UPSTREAMS: upstreams, WR_CADDY_LOG: join(tmp, 'access.log'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (c) => { log += c.toString(); });
  const root = join(storage, 'pki/authorities/local/root.crt');
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`caddy exited:\n${log}`);
    if (existsSync(root)) {
      run.ca = readFileSync(root);
      // TLS up (no server behind it yet: any answer will do)
      if (await request('/healthz').then(() => true, () => false)) break;
    }
    if (Date.now() > deadline) throw new Error(`caddy did not serve https:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    root,
    log: () => log,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A HOME whose NSS store (where chromium looks on Linux) trusts Caddy's test CA. */
function homeTrusting(root) {
  const home = join(tmp, 'home');
  const db = join(home, '.pki/nssdb');
  mkdirSync(db, { recursive: true });
  for (const args of [['-N', '--empty-password'], ['-A', '-t', 'C,,', '-n', 'caddy-test-ca', '-i', root]]) {
    const done = spawnSync('certutil', ['-d', `sql:${db}`, ...args], { encoding: 'utf8' });
    assert.equal(done.status, 0, `certutil ${args[0]}: ${done.stderr}`);
  }
  return home;
}

before(async () => {
  assert.ok(existsSync(join(RELEASE, 'bin/waitingroom')), `no release at ${RELEASE}: run ./scripts/release.sh`);
  [run.httpPort, run.httpsPort, run.portA, run.portB] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  run.host = `localhost:${run.httpsPort}`;
  run.origin = `https://${run.host}`;
  run.redis = await startRedis({ configFile: join(RELEASE, 'deploy/redis-waitingroom.conf') });
  run.twilio = await startTwilio();
  run.env = {
    ...run.twilio.env,
    PUBLIC_URL: run.origin,
    TRUSTED_PROXIES: '127.0.0.1,::1',
    STAFF_API_TOKEN: TOKEN,
    ADDRESS_MAX_PER_HOUR: '3',
  };
  run.caddy = await startCaddy(`127.0.0.1:${run.portA} 127.0.0.1:${run.portB}`);
}, { timeout: 60_000 });

after(async () => {
  await run.chrome?.stop();
  await run.serverA?.stop();
  await run.serverB?.stop();
  await run.caddy?.stop();
  await run.twilio?.stop();
  await run.redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

test('the release folder holds the binary, the site, the deploy files and the docs', () => {
  for (const path of ['bin/waitingroom', 'site/pkg/waitingroom.wasm', 'site/pkg/waitingroom.js', 'deploy/waitingroom@.service',
    'deploy/waitingroom-backup.service', 'deploy/waitingroom-backup.timer', 'deploy/Caddyfile',
    'deploy/redis-waitingroom.conf', 'deploy/waitingroom.env.sample', 'deploy/install.sh', 'docs/deployment.md', 'VERSION']) {
    assert.ok(existsSync(join(RELEASE, path)), `${path} is in the release`);
  }
  const version = spawnSync(join(RELEASE, 'bin/waitingroom'), ['--version'], { encoding: 'utf8' });
  assert.equal(version.status, 0);
  assert.equal(version.stdout.trim(), `waitingroom ${readFileSync(join(RELEASE, 'VERSION'), 'utf8').trim()}`);
});

const ARCHIVE = `${RELEASE}.tar.gz`;
test('the release archive: every entry root\'s (0/0) and writable by its owner only', { skip: !existsSync(ARCHIVE) && `no ${ARCHIVE} beside RELEASE_DIR` }, () => {
  const listed = spawnSync('tar', ['--numeric-owner', '-tvzf', ARCHIVE], { encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  const entries = listed.stdout.trim().split('\n').map((line) => line.split(/\s+/));
  assert.ok(entries.some((e) => e.at(-1).endsWith('/bin/waitingroom')), 'the binary is in the archive');
  for (const [mode, owner, , , , path] of entries) {
    assert.equal(owner, '0/0', `${path}: root's, not the builder's`);
    if (!mode.startsWith('l')) assert.ok(mode[5] !== 'w' && mode[8] !== 'w', `${path} is writable by its owner only (${mode})`);
  }
});

test('deploy/install.sh puts everything in place, and the systemd units pass systemd-analyze verify', () => {
  // the files as the install script writes them, under a root of the test's own
  const root = join(tmp, 'root');
  mkdirSync(join(root, 'etc/redis'), { recursive: true });
  writeFileSync(join(root, 'etc/redis/redis.conf'), '# as Debian ships it\nport 6379\n');
  const install = () => spawnSync(join(RELEASE, 'deploy/install.sh'), [], { encoding: 'utf8', env: { PATH: process.env.PATH, WR_ROOT: root, WR_DOMAIN: 'queue.example.jp' } });
  for (let i = 0; i < 2; i++) {
    // twice: a second run (an upgrade) changes nothing it should keep
    const done = install();
    assert.equal(done.status, 0, `install.sh:\n${done.stdout}${done.stderr}`);
  }
  const name = RELEASE.split('/').pop();
  assert.equal(readlinkSync(join(root, 'opt/waitingroom/current')), `releases/${name}`);
  const env = readFileSync(join(root, 'etc/waitingroom/waitingroom.env'), 'utf8');
  assert.match(env, /^PUBLIC_URL=https:\/\/queue\.example\.jp$/m);
  assert.match(env, /^STAFF_API_TOKEN=[0-9a-f]{64}$/m, 'a secret generated');
  assert.match(env, /^PHONE_HASH_SECRET=[0-9a-f]{64}$/m, 'a secret generated');
  assert.equal(statSync(join(root, 'etc/waitingroom/waitingroom.env')).mode & 0o777, 0o640);
  // the installed release is the installer's (root's on a shop's machine), not the archive's
  // owner's, and nobody else may write to it (the binary, the site's JavaScript)
  const installed = join(root, 'opt/waitingroom/releases', name);
  const uid = process.getuid();
  const gid = process.getgid();
  const files = ['.', ...readdirSync(installed, { recursive: true })];
  assert.ok(files.includes('bin/waitingroom') && files.includes('site/pkg/waitingroom.js'), 'the release was copied');
  for (const file of files) {
    const stat = lstatSync(join(installed, file));
    assert.equal(stat.uid, uid, `${file} is the installer's`);
    assert.equal(stat.gid, gid, `${file} is the installer's group's`);
    if (uid === 0) assert.ok(stat.uid === 0 && stat.gid === 0, `${file} is root:root`);
    if (!stat.isSymbolicLink()) assert.equal(stat.mode & 0o022, 0, `${file} is writable by its owner only (${(stat.mode & 0o777).toString(8)})`);
  }
  const envStat = statSync(join(root, 'etc/waitingroom/waitingroom.env'));
  assert.equal(envStat.uid, uid, 'the settings file is the installer\'s');
  const redisConf = readFileSync(join(root, 'etc/redis/redis.conf'), 'utf8');
  assert.equal(redisConf.split('include /etc/redis/waitingroom.conf').length, 2, 'Redis includes our settings once');
  assert.match(readFileSync(join(root, 'etc/systemd/system/caddy.service.d/waitingroom.conf'), 'utf8'), /WR_DOMAIN=queue\.example\.jp/);

  // what systemd-analyze looks for under the root besides our files: the system's own units and
  // the programs the units run (this machine's, copied: Debian's /bin is usr/bin)
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
  for (const program of ['sh', 'find']) cpSync(`/usr/bin/${program}`, join(root, 'usr/bin', program), { dereference: true });
  cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  symlinkSync('usr/bin', join(root, 'bin'));
  const units = ['waitingroom@3000.service', 'waitingroom-backup.service', 'waitingroom-backup.timer'];
  const verify = spawnSync('systemd-analyze', ['verify', `--root=${root}`, ...units], { encoding: 'utf8' });
  assert.equal(verify.status, 0, `systemd-analyze verify:\n${verify.stdout}${verify.stderr}`);
  assert.equal(verify.stderr.trim(), '', 'no warnings');
  // the hardening, as systemd rates it: "OK" or better
  const security = spawnSync('systemd-analyze', ['security', `--root=${root}`, '--offline=true', '--threshold=30', 'waitingroom@3000.service'], { encoding: 'utf8' });
  assert.equal(security.status, 0, `systemd-analyze security (exposure above 3.0):\n${security.stdout}${security.stderr}`);

  // the shipped Caddyfile is valid for a real domain (automatic certificates)
  const caddy = spawnSync('caddy', ['validate', '--adapter', 'caddyfile', '--config', join(root, 'etc/caddy/Caddyfile')], {
    encoding: 'utf8', env: { PATH: process.env.PATH, HOME: tmp, XDG_DATA_HOME: join(tmp, 'xdg'), XDG_CONFIG_HOME: join(tmp, 'xdg'), WR_DOMAIN: 'queue.example.jp' },
  });
  assert.equal(caddy.status, 0, `caddy validate:\n${caddy.stdout}${caddy.stderr}`);
});

test('Redis runs with the shop\'s settings: every write fsynced, nothing evicted, socket only', async () => {
  const config = (name) => spawnSync('redis-cli', ['-s', run.redis.socket, 'config', 'get', name], { encoding: 'utf8' }).stdout.trim().split('\n')[1];
  assert.equal(config('appendonly'), 'yes');
  assert.equal(config('appendfsync'), 'always');
  assert.equal(config('maxmemory-policy'), 'noeviction');
  assert.ok(Number(config('maxmemory')) >= 64 * 1024 * 1024, 'a maxmemory set');
  assert.equal(config('port'), '0', 'no TCP port');
});

test('through the proxy: https links and QR codes, HSTS, the version, a hydrated page that follows the line', async () => {
  run.serverA = await startServer(run.redis.url, { ...run.env, PORT: String(run.portA) }, { bin: join(RELEASE, 'bin/waitingroom'), siteRoot: join(RELEASE, 'site') });
  // Caddy's health check finds it within its interval
  for (let i = 0; i < 20 && (await request('/healthz')).status !== 200; i++) await new Promise((r) => setTimeout(r, 200));
  const health = await request('/healthz');
  assert.equal(health.status, 200);
  assert.equal(json(health).version, readFileSync(join(RELEASE, 'VERSION'), 'utf8').trim());
  assert.match(health.headers['strict-transport-security'] ?? '', /max-age=\d{7,}/, 'HSTS');

  const ticket = await issue('127.0.0.1', staff);
  assert.equal(ticket.status, 201, ticket.text);
  assert.ok(json(ticket).url.startsWith(`${run.origin}/t/`), `an https link: ${json(ticket).url}`);

  run.chrome = await startBrowser({ env: { HOME: homeTrusting(run.caddy.root) } });
  const store = await run.chrome.browser.newContext();
  const kiosk = new KioskPage(await store.newPage(), { ...run.serverA, baseUrl: run.origin });
  const kioskErrors = watchErrors(kiosk.page);
  // (not kiosk.open(): it asks first through Playwright's own HTTP client, which is Node's and
  // trusts only the public CAs; here everything goes through chromium)
  await kiosk.setUp();
  await waitLive(kiosk.page);
  await kiosk.issueButton().click();
  const url = await kiosk.ticketUrl();
  assert.ok(url?.startsWith(`${run.origin}/t/`), `the QR code is an https link: ${url}`);
  seen(url);

  const phone = await run.chrome.browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const page = new TicketPage(await phone.newPage());
  const errors = watchErrors(page.page);
  await page.open(url);
  await expectText(page.peopleAhead(), '1人');
  const called = await request('/api/v1/queues/default/call-next', { method: 'POST', headers: staff });
  assert.equal(called.status, 200, called.text);
  await expectText(page.peopleAhead(), '0人');
  // what the phone shows, served by the release through Caddy
  await page.page.screenshot({ path: 'screenshots/deploy-ticket-over-https.png' });
  await kiosk.page.screenshot({ path: 'screenshots/deploy-kiosk-over-https.png' });
  assert.deepEqual(errors, []);
  assert.deepEqual(kioskErrors, []);
  run.ticketPage = page;
  run.kiosk = kiosk;
  // tickets issued before the switch that are still in line after it
  run.waiting = [];
});

test('through the proxy: the WebSocket and the SSE stream stay up across a call', async () => {
  const { page } = run.ticketPage;
  assert.equal(await run.ticketPage.state().getAttribute('data-state'), 'waiting');
  await page.evaluate(() => {
    window.seen = { ws: [], sse: [] };
    window.ws = new WebSocket(`wss://${location.host}/api/v1/queues/default/live`);
    window.ws.onmessage = (m) => window.seen.ws.push(JSON.parse(m.data));
    window.sse = new EventSource('/api/v1/queues/default/events');
    const onSse = (m) => window.seen.sse.push(JSON.parse(m.data));
    window.sse.addEventListener('snapshot', onSse);
    window.sse.addEventListener('event', onSse);
  });
  await page.waitForFunction(() => window.seen.ws.length > 0 && window.seen.sse.length > 0);
  const ticket = json(await issue('127.0.0.1', staff));
  run.waiting.push(ticket.number);
  const called = json(await request('/api/v1/queues/default/call-next', { method: 'POST', headers: staff }));
  const sawCall = (list, n) => list.some((m) => m.kind === 'event' && m.event.change === 'called' && m.event.number === n);
  await page.waitForFunction(([n]) => {
    const saw = (list) => list.some((m) => m.kind === 'event' && m.event.change === 'called' && m.event.number === n);
    return saw(window.seen.ws) && saw(window.seen.sse);
  }, [called.number], { timeout: 10_000 });
  const state = await page.evaluate(() => ({ ws: window.ws.readyState, sse: window.sse.readyState, seen: window.seen }));
  assert.equal(state.ws, 1, 'the WebSocket is open');
  assert.equal(state.sse, 1, 'the SSE stream is open');
  assert.ok(sawCall(state.seen.ws, called.number) && sawCall(state.seen.sse, called.number));
  // one snapshot, then events: no reconnection happened (a reconnect starts with a snapshot)
  for (const list of [state.seen.ws, state.seen.sse]) {
    assert.equal(list.filter((m) => m.kind === 'snapshot').length, 1);
  }
});

test('through the proxy: a Twilio webhook signed for the https PUBLIC_URL is accepted, one signed for another URL refused', async () => {
  const params = {
    AccountSid: run.twilio.env.TWILIO_ACCOUNT_SID,
    CallSid: `CA${Date.now().toString(16).padStart(32, '0')}`,
    CallStatus: 'ringing',
    Direction: 'inbound',
    From: '+819012345678',
    To: '+815012345678',
  };
  const signFor = (url) => createHmac('sha1', run.twilio.env.TWILIO_AUTH_TOKEN)
    .update(Object.keys(params).sort().reduce((s, k) => s + k + params[k], url)).digest('base64');
  const post = (signedUrl) => request('/twilio/voice/incoming', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signFor(signedUrl) },
    body: new URLSearchParams(params).toString(),
  });
  const accepted = await post(`${run.origin}/twilio/voice/incoming`);
  assert.equal(accepted.status, 200, accepted.text);
  assert.match(accepted.text, /<Response>/);
  // what the server itself sees (plain http on its port) is not what Twilio signed
  const refused = await post(`http://127.0.0.1:${run.portA}/twilio/voice/incoming`);
  assert.equal(refused.status, 403);
});

test('through the proxy: per-address limits count the real client, not the proxy, and a forged X-Forwarded-For changes nothing', async () => {
  const took = [];
  for (let i = 0; i < 3; i++) {
    const r = await issue('127.0.0.2');
    assert.equal(r.status, 201, r.text);
    took.push(json(r).number);
  }
  const before = json(await request('/api/v1/queues/default')).last_number;
  assert.equal((await issue('127.0.0.2')).status, 429);
  assert.equal((await issue('127.0.0.2', { 'x-forwarded-for': '198.51.100.7' })).status, 429, 'a forged header is not an escape');
  assert.equal(json(await request('/api/v1/queues/default')).last_number, before, 'nothing issued by the refused');
  const other = await issue('127.0.0.3');
  assert.equal(other.status, 201, 'another client is not limited by the first');
  run.waiting.push(...took, json(other).number);
});

test('upgrade: a new release started beside the old one on the same Redis takes over without a lost ticket', async () => {
  // the new release installed in its own folder beside the old (as /opt/waitingroom/releases/<v>)
  const next = join(tmp, 'next-release');
  cpSync(RELEASE, next, { recursive: true });
  run.serverB = await startServer(run.redis.url, { ...run.env, PORT: String(run.portB) }, { bin: join(next, 'bin/waitingroom'), siteRoot: join(next, 'site') });

  // tickets keep being issued through the proxy while the old one stops
  let issuing = true;
  const outcomes = [];
  const loop = (async () => {
    while (issuing) {
      const r = await issue('127.0.0.1', staff).catch((e) => ({ status: 0, text: String(e) }));
      outcomes.push(r.status === 201 ? { ok: json(r).number } : { failed: `${r.status} ${r.text}` });
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  await new Promise((r) => setTimeout(r, 500));
  // as `systemctl stop waitingroom@<old port>`: SIGTERM, open requests finish
  await run.serverA.stop();
  run.serverA = undefined;
  await new Promise((r) => setTimeout(r, 1500));
  issuing = false;
  await loop;

  const acknowledged = outcomes.filter((o) => o.ok).map((o) => o.ok);
  const failed = outcomes.filter((o) => o.failed);
  assert.ok(acknowledged.length > 20, `tickets were issued during the switch (${acknowledged.length})`);
  assert.deepEqual(failed, [], 'no request failed during the switch');
  const queue = json(await request('/api/v1/queues/default'));
  for (const n of [...run.waiting, ...acknowledged]) {
    assert.ok(queue.waiting.includes(n), `ticket ${n} is still in the line`);
  }
  assert.equal(queue.last_number, Math.max(...acknowledged), 'numbers went on from where they were');

  // the phone's page, whose live channel was on the old server, follows the line on the new one:
  // its ticket, at the counter, is done when the next is called there
  const phone = run.ticketPage;
  assert.equal(await phone.state().getAttribute('data-state'), 'called');
  const call = await request('/api/v1/queues/default/call-next', { method: 'POST', headers: staff });
  assert.equal(call.status, 200, call.text);
  await phone.page.waitForFunction(() => document.querySelector('article.ticket')?.dataset.state === 'done', null, { timeout: 15_000 });
});

test('backup and restore as docs/deployment.md says: the kiosk works again after Redis was wiped', async () => {
  // the installed settings file (deploy/install.sh above), pointed at this test's Redis
  const envFile = join(tmp, 'waitingroom.env');
  const installed = readFileSync(join(tmp, 'root/etc/waitingroom/waitingroom.env'), 'utf8');
  writeFileSync(envFile, installed.replace(/^REDIS_URL=.*$/m, `REDIS_URL=${run.redis.url}`).replace(/^QUEUES=.*$/m, 'QUEUES=default'));
  const bin = join(RELEASE, 'bin/waitingroom');
  const as = (command, input) => spawnSync('sh', ['-c', `set -a; . ${envFile}; exec ${bin} ${command} -`], { encoding: 'utf8', input, env: { PATH: process.env.PATH } });

  const backup = as('backup');
  assert.equal(backup.status, 0, backup.stderr);
  const document = JSON.parse(backup.stdout);
  assert.equal(document.format, 'waitingroom-backup');
  assert.equal(Object.keys(document.kiosks).length, 1, 'the kiosk made from the console');
  assert.ok(!backup.stdout.includes('/t/'), 'no ticket link in a backup');

  const wiped = spawnSync('redis-cli', ['-s', run.redis.socket, 'flushall'], { encoding: 'utf8' });
  assert.equal(wiped.stdout.trim(), 'OK');
  // the kiosk's credential, as its browser holds it
  const cookie = (await run.kiosk.page.context().cookies(run.origin)).map((c) => `${c.name}=${c.value}`).join('; ');
  const probe = () => request('/kiosk', { headers: { cookie } }).then((r) => r.status);
  assert.equal(await probe(), 403, 'the kiosk is gone with Redis');

  const restored = as('restore', backup.stdout);
  assert.equal(restored.status, 0, restored.stderr);
  assert.equal(await probe(), 200, 'the same kiosk, with the credential it holds, is a kiosk again');
  await run.kiosk.page.goto(`${run.origin}/kiosk`);
  await waitLive(run.kiosk.page);
  await run.kiosk.issueButton().click();
  assert.ok((await run.kiosk.ticketUrl())?.startsWith(`${run.origin}/t/`), 'and issues');
});

test('Caddy\'s access log holds no ticket token, cookie, staff token or signature, and still logs each request', async () => {
  // a remote check-in as a phone without JavaScript posts it: the answer sends it to its ticket
  const joined = await request('/api/join/take', {
    method: 'POST',
    from: '127.0.0.4',
    headers: { origin: run.origin, referer: `${run.origin}/join`, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ queue: 'default' }).toString(),
  });
  assert.ok([302, 303].includes(joined.status), `${joined.status} ${joined.text}`);
  assert.match(joined.headers.location ?? '', /^\/t\/[0-9a-f]{32}$/);
  assert.ok(joined.headers['set-cookie']?.length, 'a session cookie came with it');
  // what the browsers hold: the kiosk's credential, the phone's session, the ticket it shows
  for (const { page } of [run.kiosk, run.ticketPage]) {
    seen(page.url());
    seenCookies((await page.context().cookies(run.origin)).map((c) => `${c.name}=${c.value}`));
  }
  assert.ok(secrets.size >= 3, `tokens and cookies were seen (${secrets.size})`);

  // Caddy writes a request's line once it has answered: the check-in's is there within moments
  const file = join(tmp, 'access.log');
  const read = () => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  // (whole lines only: the last one may be being written)
  const lines = () => read().split('\n').slice(0, -1).map((l) => JSON.parse(l));
  const redirected = (l) => l.status >= 300 && l.status < 400 && l.request?.method === 'POST';
  for (let i = 0; i < 50 && !lines().some(redirected); i++) await new Promise((r) => setTimeout(r, 100));
  const log = read();
  const entries = lines();
  assert.ok(entries.some(redirected), 'the check-in\'s redirect is logged');
  for (const entry of entries) {
    // what an operator needs stays
    assert.ok(entry.request?.method && Number.isInteger(entry.status) && typeof entry.duration === 'number', JSON.stringify(entry));
    // the headers that carry secrets are gone (not only emptied: `log_credentials` would fill them)
    const sent = Object.keys(entry.request?.headers ?? {}).map((h) => h.toLowerCase());
    const answered = Object.keys(entry.resp_headers ?? {}).map((h) => h.toLowerCase());
    for (const header of ['authorization', 'cookie', 'referer', 'x-twilio-signature', 'x-line-signature']) {
      assert.ok(!sent.includes(header), `no ${header} logged: ${JSON.stringify(entry.request.headers)}`);
    }
    for (const header of ['location', 'set-cookie']) {
      assert.ok(!answered.includes(header), `no ${header} logged: ${JSON.stringify(entry.resp_headers)}`);
    }
    assert.equal(entry.request?.uri, undefined, 'no path logged');
  }
  assert.doesNotMatch(log, /\/t\/[0-9a-f]{32,}/, 'no ticket link in the log');
  assert.ok(!log.includes(TOKEN), 'no staff token in the log');
  for (const secret of secrets) assert.ok(!log.includes(secret), `a token or cookie value seen in the test is in the log (${secret.slice(0, 6)}…)`);
});
