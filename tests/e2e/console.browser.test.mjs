// The console in a real browser (Debian's headless Chromium via playwright-core): the
// two-minute first pause, from the sign-up form to the answered pause, with the wall
// time printed (nothing is asserted about it), and screenshots of each page at
// 1280×800 and 390×844 in tests/artifacts/console/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startService, eventually, ROOT } from './harness.mjs';

const ARTIFACTS = join(ROOT, 'tests', 'artifacts', 'console');
const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

// axe-core (a devDependency the console pages' tests brought): every page here is
// checked for serious or critical accessibility violations when it is installed.
const AXE = (() => {
  try {
    return readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  } catch {
    console.log('# axe-core is not installed: accessibility checks skipped (npm install)');
    return null;
  }
})();

async function axe(page, name) {
  if (!AXE) return;
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`), [], `axe on ${name}`);
}

let svc, browser;
before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  svc = await startService();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
});
after(async () => {
  await browser?.close();
  await svc?.cleanup();
});

/// Screenshots of the page as it is, at both sizes; checks nothing scrolls sideways.
async function shoot(page, name) {
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${size}.png`), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name} at ${size}: no sideways scrolling (${overflow})`);
  }
  await page.setViewportSize(SIZES.desktop);
  await axe(page, name);
}

async function outboxLink(pred) {
  return eventually(async () => (await svc.request('GET', '/dev/outbox')).json.data.find(pred)?.link, { timeoutMs: 20_000 });
}

test('sign up → magic link → keys → test pause → answered on the response page → shows answered', async () => {
  const context = await browser.newContext({ viewport: SIZES.desktop });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: svc.base });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));

  await page.goto(`${svc.base}/console/sign-up`);
  await shoot(page, 'sign-up');
  const started = Date.now();
  await page.fill('#email', 'first@example.invalid');
  await page.fill('#team', 'First Pause Ltd');
  await page.click('button[type=submit]');
  assert.equal(await page.textContent('h1'), 'Check your email');
  await shoot(page, 'check-email');

  const link = await outboxLink((m) => m.recipient === 'first@example.invalid');
  assert.ok(link, 'the sign-up link in the outbox');
  await page.goto(link);
  await shoot(page, 'link-confirm');
  await page.click('button[type=submit]');
  assert.equal(await page.textContent('h1'), 'Welcome to PausePoint');
  const live = await page.textContent('#live-key');
  assert.match(live, /^pp_live_[0-9a-f]{40}$/);
  assert.match(await page.textContent('#test-key'), /^pp_test_[0-9a-f]{40}$/);
  assert.ok((await page.textContent('#quickstart')).includes(live), 'quick start has the key');
  await page.click('button[data-copy=live-key]');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), live, 'the copy button copies the key');
  await shoot(page, 'first-screen');

  // "Send me a test pause": the Free plan sends SMS, so a phone number.
  await page.fill('#recipient', '+15555550199');
  await page.click('#test-pause button');
  await page.waitForFunction(() => !/^(Sending…)?$/.test(document.getElementById('test-status').textContent));
  assert.match(await page.textContent('#test-status'), /^Sent to \+15555550199/, String(problems));
  await page.waitForSelector('#recent tr[data-pause] .s-pending', { timeout: 20_000 });
  const pauseId = await page.getAttribute('#recent tr[data-pause]', 'data-pause');
  const answerLink = await svc.linkFor(pauseId);

  const phone = await browser.newPage({ viewport: SIZES.phone });
  await phone.goto(answerLink);
  await phone.click('button:has-text("Yes, it works")');
  await phone.waitForSelector('text=Yes, it works');
  await phone.close();

  // The home page's list refreshes itself: the pause shows answered.
  await page.waitForSelector('#recent tr[data-pause] .s-responded', { timeout: 30_000 });
  const elapsed = Date.now() - started;
  console.log(`# first pause: sign-up form to answered in ${(elapsed / 1000).toFixed(1)} s (wall time, browser + local Worker)`);
  await shoot(page, 'home-answered');

  await page.goto(`${svc.base}/console/team`);
  assert.equal(await page.textContent('h1'), 'Team');
  await shoot(page, 'team');
  await page.goto(`${svc.base}/console/sign-in`);
  assert.equal(page.url(), `${svc.base}/console`, 'a signed-in member is sent to the console');
  await page.click('.who button');
  assert.equal(new URL(page.url()).pathname, '/console/sign-in');
  await shoot(page, 'sign-in');
  assert.deepEqual(problems, [], 'no console errors (a CSP violation would show here)');
  await context.close();
});

test('keyboard: the sign-up form is reachable and labelled', async () => {
  const page = await browser.newPage({ viewport: SIZES.phone });
  await page.goto(`${svc.base}/console/sign-up`);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement.id);
  assert.ok(['email', 'team'].includes(focused), `focus reached the form (${focused})`);
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden])')]
    .filter((i) => !document.querySelector(`label[for="${i.id}"]`)).length);
  assert.equal(unlabelled, 0);
  await page.close();
});
