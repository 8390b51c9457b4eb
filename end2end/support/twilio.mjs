// The stand-in of api.twilio.com (behind Prism, validating every request against Twilio's spec),
// as the integration tests use it, run as a process of its own: `testkit/examples/twilio_standin.rs`.
// The test reads what the app asked Twilio for, and has the stand-in call the app back as Twilio
// would (signed status callbacks).
import { spawn } from 'node:child_process';
import { after, before } from 'node:test';
import { freePort, startBrowser, startRedis, startServer } from './app.mjs';

const STANDIN_BIN = process.env.TWILIO_STANDIN_BIN
  ?? new URL('../../target/debug/examples/twilio_standin', import.meta.url).pathname;

export async function startTwilio() {
  const child = spawn(STANDIN_BIN, [], { stdio: ['ignore', 'pipe', 'pipe'] });
  const [, apiUrl, controlUrl] = await new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the Twilio stand-in did not start:\n${seen}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      seen += chunk.toString();
      const match = seen.match(/api (http:\/\/\S+) control (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.stderr.on('data', (c) => { seen += c.toString(); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the Twilio stand-in exited (${code}):\n${seen}`)); });
  });
  const control = async (path, init) => {
    const response = await fetch(`${controlUrl}${path}`, init);
    if (!response.ok) throw new Error(`stand-in ${path}: ${response.status}`);
    return response.json();
  };
  return {
    /** What the app's configuration needs to send through the stand-in. */
    env: {
      TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
      TWILIO_AUTH_TOKEN: 'test-auth-token',
      TWILIO_FROM_NUMBER: '+15005550006',
      // SMS come from an alphanumeric sender, as in Japan (never the voice number)
      TWILIO_SMS_SENDER: 'WaitingRoom',
      TWILIO_API_BASE_URL: apiUrl,
      PHONE_HASH_SECRET: 'test-phone-hash-secret-0123456789abcdef',
    },
    /** Every message and call the app created: `{ sid, kind, form }`. */
    made: () => control('/made'),
    /** Reports `status` of `sid` to the app, signed as Twilio signs; answers the app's HTTP status. */
    report: (sid, status) => control('/report', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sid, status }),
    }),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * For a test file: its own Redis, the Twilio stand-in, the server sending through it (Twilio
 * calls it back at its own address, `PUBLIC_URL`), with `env` added to its configuration, and
 * chromium; started before the file's tests and stopped after them. The returned object fills in
 * then.
 */
export function useTwilioApp(env = {}) {
  const app = {
    /** The first message or call Twilio was asked for that `matches`, once there is one. */
    async madeOne(matches) {
      for (let i = 0; i < 50; i++) {
        const found = (await app.twilio.made()).find(matches);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error('Twilio was not asked for it');
    },
  };
  before(async () => {
    app.redis = await startRedis();
    app.twilio = await startTwilio();
    const port = await freePort();
    app.server = await startServer(app.redis.url, {
      ...app.twilio.env,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...env,
    });
    app.chrome = await startBrowser();
  });
  after(async () => {
    await app.chrome?.stop();
    await app.server?.stop();
    await app.twilio?.stop();
    await app.redis?.stop();
  });
  return app;
}
