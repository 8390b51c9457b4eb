// The stand-in of api.line.me (behind Prism, validating every request against LINE's spec), as
// the integration tests use it, run as a process of its own: `testkit/examples/line_standin.rs`.
// The test reads what LINE delivered, and has the stand-in post a user's message to the app as
// LINE would (signed with the channel secret).
import { spawn } from 'node:child_process';
import { after, before } from 'node:test';
import { freePort, startBrowser, startRedis, startServer } from './app.mjs';

const STANDIN_BIN = process.env.LINE_STANDIN_BIN
  ?? new URL('../../target/debug/examples/line_standin', import.meta.url).pathname;

export async function startLine() {
  const child = spawn(STANDIN_BIN, [], { stdio: ['ignore', 'pipe', 'pipe'] });
  const [, apiUrl, controlUrl] = await new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the LINE stand-in did not start:\n${seen}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      seen += chunk.toString();
      const match = seen.match(/api (http:\/\/\S+) control (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.stderr.on('data', (c) => { seen += c.toString(); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the LINE stand-in exited (${code}):\n${seen}`)); });
  });
  const control = async (path, init) => {
    const response = await fetch(`${controlUrl}${path}`, init);
    if (!response.ok) throw new Error(`stand-in ${path}: ${response.status}`);
    return response.json();
  };
  return {
    /** What the app's configuration needs to reach LINE through the stand-in. */
    env: {
      LINE_CHANNEL_SECRET: '0ae71c5f39e191095278da7bb8a0aece',
      LINE_CHANNEL_ACCESS_TOKEN: 'test-line-channel-access-token',
      LINE_ACCOUNT_ID: '@waitroom',
      LINE_API_BASE_URL: apiUrl,
      PHONE_HASH_SECRET: 'test-phone-hash-secret-0123456789abcdef',
    },
    /** The pushes LINE delivered: `{ to, text, retry_key }`. */
    pushes: () => control('/pushes'),
    /** The replies LINE delivered. */
    replies: () => control('/replies'),
    /** `user` sends `text` to the shop's account; answers the webhook's HTTP status. */
    send: (webhook, user, text) => control('/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ webhook, user, text }),
    }),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** For a test file: its own Redis, the LINE stand-in, the server with LINE on, and chromium. */
export function useLineApp(env = {}) {
  const app = {};
  before(async () => {
    app.redis = await startRedis();
    app.line = await startLine();
    const port = await freePort();
    app.server = await startServer(app.redis.url, {
      ...app.line.env,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...env,
    });
    app.chrome = await startBrowser();
  });
  after(async () => {
    await app.chrome?.stop();
    await app.server?.stop();
    await app.line?.stop();
    await app.redis?.stop();
  });
  return app;
}
