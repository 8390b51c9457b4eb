// The console's 履歴 on the 1180×820 tablet, with a simulated month: the month's numbers, the
// weekday × hour map of waits, the same weekday of earlier weeks, the downloads (CSV with a BOM),
// no sideways scrolling, and the printout in black and grey.
//
// The month: today is made through the app (tickets issued and called with the staff token; the
// page reads it live); the 30 days before it cannot be (the server's clock is the real one and a
// day is kept only once it closed), so their figures are written into Redis as the server keeps
// them when a day closes: HASH `wr:{default}:history:<date>`, field the business day (`<date>`),
// value the day's figures as JSON (`waitingroom::history::DayFigures`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { useApp, watchErrors } from '../support/app.mjs';
import { ConsolePage, expectNoAxeViolations, expectText } from '../support/pages.mjs';

const TOKEN = 'e2e-history-token-0123456789abcdef';
const app = useApp({ STAFF_API_TOKEN: TOKEN });
const tabletSize = { viewport: { width: 1180, height: 820 } };
const SCREENSHOT = process.env.HISTORY_SCREENSHOT ?? new URL('../screenshots/history.png', import.meta.url).pathname;

const addDays = (date, n) => {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};
/** 1 (Monday) … 7 (Sunday) */
const weekdayOf = (date) => ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;

/**
 * A clinic's day: open 9–18 but closed on Thursdays (休診日), a morning rush at 10–11, a lunch
 * lull, Mondays the busiest; the waits grow with the rush.
 */
function simulatedDay(date) {
  const weekday = weekdayOf(date);
  if (weekday === 4) return null;
  const busy = { 1: 1.5, 6: 1.3, 7: 0.6 }[weekday] ?? 1;
  const hours = {};
  for (let h = 9; h <= 18; h++) {
    const rush = { 10: 3, 11: 2, 12: 0.5, 13: 0.5 }[h] ?? 1;
    const issued = Math.max(1, Math.round(4 * rush * busy));
    const kiosk = Math.ceil(issued * 0.6);
    const remote = issued - kiosk;
    const noShows = h % 4 === 0 ? 1 : 0;
    const served = issued - noShows;
    const wait = Math.max(1, Math.round(5 * rush * busy));
    const half = Math.ceil(issued / 2);
    hours[h] = {
      issued: remote ? { kiosk, remote } : { kiosk },
      served,
      no_shows: noShows,
      cancelled: 0,
      waits: issued > half ? { [wait]: half, [wait * 2]: issued - half } : { [wait]: half },
      service: { 1: { served, total_ms: served * 4 * 60_000 } },
      phones_verified: remote,
      line_links: 0,
      sms: remote,
      calls: h === 10 ? 1 : 0,
    };
  }
  return { hours };
}

/** The wait (minutes) `percent` % of the tickets waited at most, as the server reads histograms. */
function percentile(waits, percent) {
  const entries = Object.entries(waits).map(([m, n]) => [Number(m), n]).sort((a, b) => a[0] - b[0]);
  const n = entries.reduce((s, [, c]) => s + c, 0);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil((n * percent) / 100));
  let seen = 0;
  for (const [m, c] of entries) {
    seen += c;
    if (seen >= rank) return m;
  }
  return entries.at(-1)[0];
}

async function api(request, method, path, data) {
  const r = await request.fetch(`${app.server.baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}` },
    data,
  });
  assert.ok(r.ok(), `${method} ${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

test('履歴 shows a simulated month: its numbers, the map of waits, the same weekday before, the CSV downloads, on the tablet and printed', async () => {
  const tablet = await app.chrome.browser.newContext({ ...tabletSize, acceptDownloads: true });
  const request = tablet.request;
  await tablet.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.documentURI}: ${e.violatedDirective} ${e.blockedURI}`));
  });

  // today, through the app: four tickets, the first served, the second at the counter
  for (let i = 0; i < 4; i++) await api(request, 'POST', '/api/v1/queues/default/tickets');
  await api(request, 'POST', '/api/v1/queues/default/call-next', { counter: '1' });
  await api(request, 'POST', '/api/v1/queues/default/call-next', { counter: '1' });
  // the server's business day (its calendar, not this machine's)
  const around = new Date(Date.now()).toISOString().slice(0, 10);
  const live = await api(request, 'GET', `/api/v1/queues/default/history?from=${addDays(around, -2)}&to=${addDays(around, 2)}`);
  const today = live.days.find((d) => d.live).date;

  // the 30 days before it, as the server keeps a closed day
  const seeded = {};
  for (let i = 1; i <= 30; i++) {
    const date = addDays(today, -i);
    const figures = simulatedDay(date);
    if (!figures) continue;
    seeded[date] = figures;
    execFileSync('redis-cli', ['-u', app.redis.url, 'HSET', `wr:{default}:history:${date}`, date, JSON.stringify(figures)]);
  }

  // what the page must show for today's month: every day of it the export has
  const month = today.slice(0, 7);
  const exported = await api(request, 'GET', `/api/v1/queues/default/history?from=${month}-01&to=${today}`);
  const monthDays = exported.days.filter((d) => d.date.startsWith(month));
  for (const day of monthDays.filter((d) => !d.live)) {
    assert.deepEqual(day.figures, seeded[day.date], `the export reads ${day.date} as it was kept`);
  }
  assert.equal(monthDays.filter((d) => !d.live).length, Object.keys(seeded).filter((d) => d.startsWith(month)).length);
  const sum = (f) => monthDays.reduce((s, d) => s + f(d.total), 0);
  const waits = {};
  for (const d of monthDays) for (const h of Object.values(d.figures.hours)) for (const [m, n] of Object.entries(h.waits ?? {})) waits[m] = (waits[m] ?? 0) + n;
  const expected = {
    issued: sum((t) => t.issued),
    served: sum((t) => t.served),
    noShows: sum((t) => t.no_shows),
    p50: percentile(waits, 50),
    p90: percentile(waits, 90),
  };
  assert.ok(expected.issued > 4, 'the month has more than today');

  const console_ = new ConsolePage(await tablet.newPage(), app.server.baseUrl);
  const errors = watchErrors(console_.page);
  await console_.signIn(app.server.adminPassword);
  const page = console_.page;
  // from the console's navigation
  await Promise.all([page.waitForURL(/\/admin\/history/), page.getByTestId('nav-history').click()]);
  await page.goto(`${app.server.baseUrl}/admin/history?view=month&date=${today}`);
  await page.getByTestId('history-issued').waitFor();
  await expectText(page.getByTestId('history-issued'), String(expected.issued));
  await expectText(page.getByTestId('history-served'), String(expected.served));
  await expectText(page.getByTestId('history-no-shows'), String(expected.noShows));
  await expectText(page.getByTestId('history-p50'), `${expected.p50}分`);
  await expectText(page.getByTestId('history-p90'), `${expected.p90}分`);
  // one bar pair per day of the month, one table row per day with figures
  const daysInMonth = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).getUTCDate();
  assert.equal(await page.getByTestId('chart-counts').locator('rect.col').count(), daysInMonth * 2);
  assert.equal(await page.getByTestId('history-table').locator('tbody tr').count(), monthDays.filter((d) => d.total.issued > 0 || d.total.served > 0).length);

  // the map: Monday 10:00, the rush of the busiest day, is the darkest; Thursdays are closed
  const mondays = monthDays.filter((d) => d.weekday === 1 && !d.live);
  if (mondays.length > 0) {
    const cell = page.getByTestId('heat-map').locator('td[data-weekday="1"][data-hour="10"]');
    const mondayWaits = {};
    for (const d of mondays) for (const [m, n] of Object.entries(d.figures.hours['10'].waits)) mondayWaits[m] = (mondayWaits[m] ?? 0) + n;
    await expectText(cell, String(percentile(mondayWaits, 50)));
    assert.match(await cell.getAttribute('class'), /heat-4/);
  }
  if (!monthDays.some((d) => d.weekday === 4)) {
    assert.equal(await page.getByTestId('heat-map').locator('td[data-weekday="4"]').filter({ hasText: /\d/ }).count(), 0);
  }
  assert.equal(await page.getByTestId('heat-map').locator('tbody tr').count(), 7);

  // the same weekday of the 7 weeks before, today first
  const compare = page.getByTestId('history-compare').locator('tbody tr');
  assert.equal(await compare.count(), 8);
  const weekAgo = seeded[addDays(today, -7)];
  if (weekAgo) {
    const issued = Object.values(weekAgo.hours).reduce((s, h) => s + Object.values(h.issued).reduce((a, b) => a + b, 0), 0);
    await expectText(compare.nth(1).locator('td').first(), String(issued));
  }

  await expectNoAxeViolations(page, '/admin/history (a month)');
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'CSP violations');

  // the tablet: nothing scrolls sideways
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `scrolls sideways by ${overflow}px`);
  mkdirSync(SCREENSHOT.replace(/\/[^/]*$/, ''), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  // the downloads: CSV in UTF-8 with its BOM and Japanese headers
  for (const [testid, header, has] of [
    ['download-history', '日付,曜日,時,発行数,', `${addDays(today, -1).startsWith(month) ? addDays(today, -1) : today},`],
    ['download-tickets', '番号,受付方法,発行時刻,', '完了'],
  ]) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()]);
    const bytes = readFileSync(await download.path());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], `${testid}: a UTF-8 BOM`);
    const text = bytes.toString('utf8');
    assert.ok(text.startsWith(`\u{feff}${header}`), `${testid}: ${text.slice(0, 80)}`);
    assert.ok(text.includes('\r\n') && text.includes(has), `${testid}: ${text.slice(0, 300)}`);
  }

  // printed: no header or controls, the bars black and grey
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('header.bar').isVisible(), false);
  assert.equal(await page.locator('.history-tools').isVisible(), false);
  const fills = await page.getByTestId('chart-counts').evaluate((svg) => [
    getComputedStyle(svg.querySelector('rect.col.s0')).fill,
    getComputedStyle(svg.querySelector('rect.col.s1')).fill,
  ]);
  assert.deepEqual(fills, ['rgb(0, 0, 0)', 'rgb(153, 153, 153)']);
  const printed = await page.getByTestId('chart-counts').evaluate((svg) =>
    [...svg.querySelectorAll('rect.col')].filter((r) => r.getBoundingClientRect().height > 0).length);
  assert.ok(printed > 0, 'the bars are printed');
  await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-print.png'), fullPage: true });
  await page.emulateMedia({ media: 'screen' });

  // the day and the week views of the same date
  await page.goto(`${app.server.baseUrl}/admin/history?view=day&date=${today}`);
  await expectText(page.getByTestId('history-issued'), '4');
  await expectText(page.getByTestId('history-served'), '1');
  await page.goto(`${app.server.baseUrl}/admin/history?view=week&date=${today}`);
  assert.equal(await page.getByTestId('chart-counts').locator('rect.col').count(), 14);
  await page.waitForLoadState('networkidle');
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'CSP violations');
  assert.deepEqual(errors, []);
  await tablet.close();
});

test('履歴 without a staff session goes to the sign-in page', async () => {
  const context = await app.chrome.browser.newContext(tabletSize);
  const page = await context.newPage();
  await page.goto(`${app.server.baseUrl}/admin/history`);
  await page.waitForURL(/\/admin\/login$/);
  await context.close();
});
