// Starts what a test needs: its own redis-server, the real server binary, and chromium.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

const SERVER_BIN = process.env.SERVER_BIN ?? new URL('../../target/debug/server', import.meta.url).pathname;
const SITE_ROOT = process.env.SITE_ROOT ?? new URL('../../target/site', import.meta.url).pathname;

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function waitForLine(child, pattern, what) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${seen}`)), 20_000);
    const onData = (chunk) => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => { seen += c.toString(); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code}):\n${seen}`)); });
  });
}

/**
 * A redis-server of the test's own on a free port, with an append-only file in a temp dir; with
 * `configFile`, that file's settings instead (a shop's, `deploy/redis-waitingroom.conf`), only the
 * unix socket and the data dir moved into the temp dir.
 */
export async function startRedis({ configFile } = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wr-e2e-redis-'));
  const socket = join(dir, 'redis.sock');
  let args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
  if (configFile) {
    // later lines win: the shop's file, then where this test keeps things
    writeFileSync(join(dir, 'redis.conf'), `include ${configFile}\nunixsocket ${socket}\ndir ${dir}\nsave ""\n`);
    args = [join(dir, 'redis.conf')];
  }
  const launch = async () => {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForLine(child, /ready to accept connections/i, 'redis-server');
    return child;
  };
  let child = await launch();
  const kill = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  return {
    url: configFile ? `redis+unix://${socket}` : `redis://127.0.0.1:${port}/`,
    socket,
    /** Kills the server (an outage); `restart()` brings it back with its data. */
    kill,
    async restart() { child = await launch(); },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `DAY_RESETS_AT` twelve hours from now (Tokyo time): no test lives across a turn of the day. */
const farResetAt = () =>
  new Date(Date.now() + 12 * 3600e3).toLocaleTimeString('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hour12: false });

/**
 * The real server binary on a free port; `env` adds configuration (a staff password by default).
 * `bin` and `siteRoot`: another build's (a release folder's) binary and site.
 */
export async function startServer(redisUrl, env = {}, { bin = SERVER_BIN, siteRoot = SITE_ROOT } = {}) {
  const adminPassword = env.ADMIN_PASSWORD ?? 'e2e-password-123';
  const launch = async (port) => {
    const child = spawn(bin, [], {
      env: { PATH: process.env.PATH, REDIS_URL: redisUrl, PORT: port, SITE_ROOT: siteRoot, RUST_LOG: 'warn', DAY_RESETS_AT: farResetAt(), ...env, ADMIN_PASSWORD: adminPassword },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const [, baseUrl] = await waitForLine(child, /serving on (http:\/\/\S+)/, 'the server');
    child.stderr.on('data', (c) => process.stderr.write(c));
    return { child, baseUrl };
  };
  let { child, baseUrl } = await launch(env.PORT ?? '0');
  const end = async (signal) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  };
  return {
    baseUrl,
    adminPassword,
    /** Kills the server as a crash would; `restart()` starts it again on the same address. */
    kill: () => end('SIGKILL'),
    async restart() {
      ({ child } = await launch(new URL(baseUrl).port));
    },
    stop: () => end('SIGTERM'),
  };
}

/** Chromium; `env` for its process (e.g. a `HOME` whose certificate store trusts a test CA). */
export async function startBrowser({ env } = {}) {
  // launch() gives chromium a fresh, empty profile directory of its own
  const browser = await chromium.launch({
    headless: true,
    ...(env ? { env: { ...process.env, ...env } } : {}),
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  // The people of these tests are in Japan: their browsers ask for Japanese unless a test says
  // otherwise (headless chromium would ask for en-US).
  const newContext = browser.newContext.bind(browser);
  browser.newContext = (options = {}) => newContext({ locale: 'ja-JP', ...options });
  return {
    browser,
    async stop() {
      await browser.close();
    },
  };
}

/**
 * Collects every error the page logs or throws (a broken hydration shows up here). With
 * `refusals: true`, the browser's own note about a refused request (a server function answering
 * a 4xx, or 503 while Redis is down, that the page then explains) is expected and not collected.
 */
export function watchErrors(page, { refusals = false } = {}) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (refusals && /^Failed to load resource: the server responded with a status of (4\d\d|503)/.test(m.text())) return;
    errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/**
 * For a test file: its own Redis, server (with `env` added to its configuration) and chromium,
 * started before the file's tests and stopped after them. The returned object fills in then.
 */
export function useApp(env = {}) {
  const app = {};
  before(async () => {
    app.redis = await startRedis();
    app.server = await startServer(app.redis.url, env);
    app.chrome = await startBrowser();
  });
  after(async () => {
    await app.chrome?.stop();
    await app.server?.stop();
    await app.redis?.stop();
  });
  return app;
}
