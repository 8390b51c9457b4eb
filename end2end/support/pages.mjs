// Page objects of the screens, and helpers every test uses.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');
const JSQR_PATH = require.resolve('jsqr/dist/jsQR.js');

/** Waits until `locator`'s text is `text` (trimmed). */
export async function expectText(locator, text, timeout = 5_000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = (await locator.textContent({ timeout }).catch(() => undefined))?.trim();
    if (last === text) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(last, text);
}

/**
 * Runs a script file in the page as the test's own tool (through DevTools, so the page's
 * Content-Security-Policy, which refuses inline scripts, does not apply to it).
 */
async function inject(page, path) {
  await page.evaluate(readFileSync(path, 'utf8'));
}

/** Runs axe-core on the page and fails on any violation. */
export async function expectNoAxeViolations(page, what) {
  await inject(page, AXE_PATH);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
  assert.deepEqual(violations, [], `axe-core violations on ${what}`);
}

/** Waits until every live region of the page is connected (the page hydrated and follows the queue). */
/** After 「電話番号を確認する」 on the verification link's page `opened`: the link's own page says
 * it is done, and nothing of the ticket at `url` (its page, its token) shows there. */
export async function verifiedOnLinkPage(opened, url) {
  const token = new URL(url).pathname.split('/').pop();
  await expectText(
    opened.getByTestId('verify-done'),
    '電話番号を確認しました。整理券のページに戻ると、確認済みと表示されます。このページは閉じてかまいません。',
  );
  await opened.waitForLoadState();
  assert.match(opened.url(), /\/v\/default\/[0-9a-f]{32}(\?verified)?$/, 'the link\'s own page');
  assert.ok(!opened.url().includes('/t/'), `not the ticket page: ${opened.url()}`);
  assert.ok(!(await opened.content()).includes(token), 'the ticket\'s token is nowhere on the page');
}

export async function waitLive(page) {
  await page.waitForFunction(() => {
    const live = [...document.querySelectorAll('[data-live]')];
    return live.length > 0 && live.every((e) => e.dataset.live === 'open');
  }, null, { timeout: 15_000 });
}

/** Picks a language from the page's language menu (a plain link: the page loads again in it). */
export async function chooseLanguage(page, code) {
  await page.locator('.lang-menu summary').click();
  await Promise.all([
    page.waitForURL((url) => !url.pathname.startsWith('/lang/')),
    page.locator(`.lang-menu a[data-lang="${code}"]`).click(),
  ]);
  await page.waitForFunction((c) => document.documentElement.lang === c, code);
}

export class KioskPage {
  /** `server`: the app's server (its address and staff password). */
  constructor(page, server) {
    this.page = page;
    this.server = server;
    this.baseUrl = server.baseUrl;
  }

  /**
   * Makes this browser a kiosk the way staff do: sign in to the console on it, then press
   * 「この端末を受付機にする」 (the browser is taken to the kiosk, signed out of the console).
   */
  async setUp(name = '入口の受付機') {
    await this.page.goto(`${this.baseUrl}/admin/login`);
    await this.page.locator('#password').fill(this.server.adminPassword);
    await Promise.all([
      this.page.waitForURL(/\/admin$/),
      this.page.locator('.login button[type=submit]').click(),
    ]);
    await waitLive(this.page);
    await this.page.locator('#kiosk-name').fill(name);
    await Promise.all([
      this.page.waitForURL(/\/kiosk$/),
      this.page.getByTestId('make-kiosk').click(),
    ]);
  }

  /** Opens the kiosk; a browser that is not one yet is set up first. */
  async open(query = '') {
    // asked with the browser's cookies, without a page (which would log the 403)
    const probe = await this.page.request.get(`${this.baseUrl}/kiosk${query}`);
    if (probe.status() === 403) await this.setUp();
    await this.page.goto(`${this.baseUrl}/kiosk${query}`);
    await waitLive(this.page);
  }

  waitingCount() { return this.page.getByTestId('waiting-count').first(); }
  issueButton() { return this.page.locator('button.issue-button').first(); }
  issuedNumber() { return this.page.getByTestId('issued-number'); }
  /** The address the slip's QR code encodes, read as a phone's camera would (jsQR). */
  async ticketUrl() {
    const qr = this.page.locator('img.qr-code');
    await qr.waitFor();
    await this.page.waitForFunction(() => {
      const img = document.querySelector('img.qr-code');
      return img.complete && img.naturalWidth > 0;
    }, null, { timeout: 5_000 });
    await inject(this.page, JSQR_PATH);
    return this.page.evaluate(() => {
      const img = document.querySelector('img.qr-code');
      const size = 400;
      const canvas = document.createElement('canvas');
      canvas.width = size;
      canvas.height = size;
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, size, size);
      ctx.drawImage(img, 0, 0, size, size);
      const code = window.jsQR(ctx.getImageData(0, 0, size, size).data, size, size);
      return code?.data ?? null;
    });
  }
}

export class TicketPage {
  constructor(page) { this.page = page; }

  async open(url) {
    await this.page.goto(url);
    await waitLive(this.page);
  }

  state() { return this.page.locator('article.ticket'); }
  number() { return this.page.getByTestId('ticket-number'); }
  peopleAhead() { return this.page.getByTestId('people-ahead'); }
  callBanner() { return this.page.getByTestId('call-banner'); }
}

export class ConsolePage {
  constructor(page, baseUrl) {
    this.page = page;
    this.baseUrl = baseUrl;
  }

  async signIn(password) {
    await this.page.goto(`${this.baseUrl}/admin/login`);
    await this.page.locator('#password').fill(password);
    await Promise.all([
      this.page.waitForURL(/\/admin$/),
      this.page.locator('.login button[type=submit]').click(),
    ]);
    await waitLive(this.page);
  }

  callNext() { return this.page.getByTestId('call-next'); }
  waitingCount() { return this.page.getByTestId('console-waiting-count'); }
}

export class DisplayPage {
  constructor(page, baseUrl) {
    this.page = page;
    this.baseUrl = baseUrl;
  }

  async open() {
    await this.page.goto(`${this.baseUrl}/display`);
    await waitLive(this.page);
  }

  async enableSound() {
    await this.page.getByRole('button', { name: 'タップして音声を有効にする' }).click();
  }

  servingRows() { return this.page.getByTestId('serving-row'); }

  /** What the board has announced (spoken or queued), in order. */
  announced() { return this.page.evaluate(() => window.waitingroomSound.log); }
}
