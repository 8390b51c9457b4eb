import { chromium } from 'playwright-core';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless=new','--no-sandbox','--disable-gpu'] });
const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
page.on('console', (m) => console.log('console', m.type(), m.text()));
await page.addInitScript(() => {
  window.__log = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__log.push(['lcp', Math.round(e.startTime), e.element && (e.element.id || e.element.className || e.element.tagName), e.size]); }).observe({ type: 'largest-contentful-paint', buffered: true });
  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes) window.__log.push(['added', Math.round(performance.now()), n.nodeName, (n.className||'') + ' ' + (n.id||''), m.target.className]); for (const m2 of [m]) for (const n of m2.removedNodes) window.__log.push(['removed', Math.round(performance.now()), n.nodeName, (n.className||'') + ' ' + (n.id||'')]); }).observe(document.body, { childList: true, subtree: true });
  });
});
await page.goto('http://127.0.0.1:3999/t/3648e7e93d308be3c4dd8fabcc8096a0');
await page.waitForTimeout(3000);
for (const l of await page.evaluate(() => window.__log)) console.log(JSON.stringify(l));
await browser.close();
