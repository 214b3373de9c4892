// The response page in a real browser: Debian's headless Chromium driven by
// playwright-core, against the real Worker in `wrangler dev`. Screenshots land in
// tests/artifacts/ (gitignored) so a person can look at them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startService, seedRequest, eventually, mintLink, ROOT } from './harness.mjs';

const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

let svc, acct, browser;
before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  svc = await startService();
  acct = await svc.createAccount('Acme Payments');
  // playwright gives Chromium a fresh temporary --user-data-dir and removes it on close.
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

const create = async (body) => {
  const r = await svc.request('POST', '/v1/pause', { key: acct.live_key, body });
  assert.equal(r.status, 201, r.text);
  return { pause: r.json, link: await svc.linkFor(r.json.pause_id) };
};
const apiGet = async (id) => (await svc.request('GET', `/v1/pause/${id}`, { key: acct.live_key })).json;

/// Opens a phone-sized tab; collects console errors (a CSP violation shows up there).
async function phone(options = {}) {
  const context = await browser.newContext({ ...PHONE, ...options });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  return { context, page, problems };
}

async function layout(page) {
  return page.evaluate(() => ({
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    buttons: [...document.querySelectorAll('button, a.btn')].map((b) => {
      const r = b.getBoundingClientRect();
      return { text: b.textContent, w: r.width, h: r.height };
    }),
    radius: document.querySelector('button') && getComputedStyle(document.querySelector('button')).borderRadius,
  }));
}

test('phone, JavaScript on: read the question, tap, see the confirmation; the agent sees responded', async () => {
  const { pause, link } = await create({
    ...seedRequest(),
    context: 'Invoice INV-2207 from Meridian Supplies, due Friday. Bank details match the vendor record.',
  });
  assert.match(pause.context, /^Invoice INV-2207/, 'context is echoed');
  assert.deepEqual([pause.danger, pause.confirm_danger, pause.allow_comment], [[], false, false]);
  const { context, page, problems } = await phone();
  const resp = await page.goto(link);
  assert.equal(resp.status(), 200);
  assert.match(resp.headers()['content-security-policy'], /style-src 'sha256-[A-Za-z0-9+/]+=*'/);
  assert.equal(await page.textContent('h1'), 'Wire $8,400 to Meridian?');
  assert.equal(await page.textContent('.who'), 'Acme Payments asks:');
  assert.match(await page.textContent('.ctx'), /INV-2207/);
  assert.match(await page.textContent('.meta'), /Time left: 3 h 59 min .*If nobody answers, Reject is chosen\./);
  // The stylesheet ran under the hashed policy (no CSP error, styles applied).
  const l = await layout(page);
  assert.equal(l.radius, '10px', 'the inline stylesheet was applied');
  assert.deepEqual(problems, []);
  assert.ok(l.overflow <= 0, `no sideways scrolling at 390 px (${l.overflow})`);
  for (const b of l.buttons) assert.ok(b.h >= 44 && b.w >= 200, `large tap target: ${JSON.stringify(b)}`);
  // Screen readers: real buttons with their labels, in order; the form is named by the question.
  assert.deepEqual(await page.getByRole('button').allTextContents(), ['Approve', 'RejectChosen if nobody answers']);
  assert.equal(await page.getByRole('form', { name: 'Wire $8,400 to Meridian?' }).count(), 1);
  await page.screenshot({ path: join(ARTIFACTS, 'page-390x844-light.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  const darkBg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(darkBg, 'rgb(17, 19, 24)', 'dark mode follows the system setting');
  await page.screenshot({ path: join(ARTIFACTS, 'page-390x844-dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });

  await page.getByRole('button', { name: 'Approve' }).tap();
  await page.getByText('Your answer was recorded.').waitFor();
  assert.match(await page.textContent('.state'), /You chose Approve on \d{4}-\d\d-\d\d at \d\d:\d\d UTC\./);
  await page.screenshot({ path: join(ARTIFACTS, 'page-390x844-answered.png') });

  const after = await eventually(async () => {
    const p = await apiGet(pause.pause_id);
    return p.status === 'responded' && p;
  });
  assert.equal(after.response_choice, 'Approve');
  assert.equal(after.responded_by, 'recipient');
  assert.equal(after.response_comment, null);

  // A second visit shows the state, not the buttons.
  const again = await page.goto(link);
  assert.equal(again.status(), 200);
  assert.equal(await page.getByRole('button').count(), 0);
  assert.match(await page.textContent('.state'), /Already answered: Approve on .* UTC\./);
  await context.close();
});

test('phone, JavaScript off: the plain form works the same', async () => {
  const { pause, link } = await create({ ...seedRequest(), options: ['Approve', 'Reject', 'Ask me later'] });
  const { context, page } = await phone({ javaScriptEnabled: false });
  await page.goto(link);
  assert.equal(await page.getByRole('button').count(), 3);
  await page.getByRole('button', { name: 'Ask me later' }).click();
  await page.getByText('Your answer was recorded.').waitFor();
  const p = await apiGet(pause.pause_id);
  assert.equal(p.status, 'responded');
  assert.equal(p.response_choice, 'Ask me later');
  await context.close();
});

test('a destructive option asks "Are you sure?" and nothing changes until confirmed', async () => {
  const { pause, link } = await create({
    ...seedRequest(),
    message: 'Delete the 312 stale customer records?',
    options: ['Keep them', 'Delete all 312'],
    timeout_default: 'Keep them',
    danger: ['Delete all 312'],
    confirm_danger: true,
  });
  assert.deepEqual(pause.danger, ['Delete all 312']);
  assert.equal(pause.confirm_danger, true);
  const { context, page } = await phone({ javaScriptEnabled: false });
  await page.goto(link);
  const danger = page.getByRole('button', { name: 'Delete all 312' });
  assert.equal(await danger.getAttribute('class'), 'danger');
  const red = await danger.evaluate((b) => getComputedStyle(b).color);
  assert.equal(red, 'rgb(179, 38, 30)', 'the destructive option is styled apart');

  await danger.tap();
  await page.getByText('Are you sure you want to choose Delete all 312?').waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'page-390x844-confirm.png') });
  assert.equal((await apiGet(pause.pause_id)).status, 'pending', 'the first tap changes nothing');

  // Back returns to the question, still pending.
  await page.getByRole('link', { name: 'Back' }).tap();
  await page.getByRole('button', { name: 'Keep them' }).waitFor();
  assert.equal((await apiGet(pause.pause_id)).status, 'pending');

  await page.getByRole('button', { name: 'Delete all 312' }).tap();
  await page.getByRole('button', { name: 'Yes, Delete all 312' }).tap();
  await page.getByText('Your answer was recorded.').waitFor();
  const p = await apiGet(pause.pause_id);
  assert.equal(p.status, 'responded');
  assert.equal(p.response_choice, 'Delete all 312');
  await context.close();
});

test('the non-destructive option of a confirm_danger request counts at the first tap', async () => {
  const { pause, link } = await create({
    ...seedRequest(), options: ['Keep', 'Delete'], timeout_default: 'Keep', danger: ['Delete'], confirm_danger: true,
  });
  const { context, page } = await phone();
  await page.goto(link);
  await page.getByRole('button', { name: 'Keep' }).tap();
  await page.getByText('Your answer was recorded.').waitFor();
  assert.equal((await apiGet(pause.pause_id)).response_choice, 'Keep');
  await context.close();
});

test('a comment typed with the choice reaches the agent as response_comment', async () => {
  const { pause, link } = await create({ ...seedRequest(), allow_comment: true, danger: ['Reject'], confirm_danger: true });
  assert.equal(pause.allow_comment, true);
  const { context, page } = await phone();
  await page.goto(link);
  // Focus order: the comment box first, then the buttons in reading order.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'c');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Approve');
  await page.getByLabel('Add a comment (optional)').fill('Call Dana at Meridian first; the IBAN changed last week.');
  await page.screenshot({ path: join(ARTIFACTS, 'page-390x844-comment.png') });
  await page.getByRole('button', { name: 'Reject' }).tap();
  // The comment survives the confirmation step.
  await page.getByRole('button', { name: 'Yes, Reject' }).tap();
  await page.getByText('Your answer was recorded.').waitFor();
  assert.match(await page.textContent('main'), /Call Dana at Meridian first/);
  const p = await apiGet(pause.pause_id);
  assert.equal(p.response_choice, 'Reject');
  assert.equal(p.response_comment, 'Call Dana at Meridian first; the IBAN changed last week.');
  await context.close();
});

test('comments are refused when too long or not allowed, and the pause stays pending', async () => {
  const { pause, link } = await create({ ...seedRequest(), allow_comment: true });
  const post = (body) => fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  const long = await post(`choice=0&comment=${'x'.repeat(501)}`);
  assert.equal(long.status, 400);
  const html = await long.text();
  assert.match(html, /longer than 500 characters/);
  assert.ok(html.includes('x'.repeat(501) + '</textarea>'), 'what was typed is kept');
  assert.equal((await apiGet(pause.pause_id)).status, 'pending');

  const plain = await create(seedRequest());
  const r = await fetch(plain.link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'choice=0&comment=hi' });
  assert.equal(r.status, 400);
  assert.match(await r.text(), /does not take comments/);
  assert.equal((await apiGet(plain.pause.pause_id)).status, 'pending');

  const none = await post('comment=hi');
  assert.equal(none.status, 400);
  assert.match(await none.text(), /Choose one of the options/);
});

test('page hints are validated at create, by name, and a bad one creates nothing', async () => {
  const count = async () => (await svc.request('GET', '/v1/pauses?limit=100', { key: acct.live_key })).json.data.length;
  const before = await count();
  for (const [extra, param] of [
    [{ danger: ['Maybe'] }, 'danger'],
    [{ danger: ['Approve', 'Reject'] }, 'danger'],
    [{ confirm_danger: true }, 'confirm_danger'],
    [{ allow_comment: 'yes' }, 'allow_comment'],
    [{ context: 'x'.repeat(1001) }, 'context'],
  ]) {
    const r = await svc.request('POST', '/v1/pause', { key: acct.live_key, body: { ...seedRequest(), ...extra } });
    assert.equal(r.status, 400, JSON.stringify(extra));
    assert.equal(r.json.error.param, param);
  }
  assert.equal(await count(), before);
});

test('right-to-left questions read right to left; 320 px phones need no sideways scrolling', async () => {
  const { link } = await create({
    ...seedRequest(),
    message: 'האם לאשר העברה של 8,400 $ ל-Meridian?',
    context: 'חשבונית INV-2207',
    options: ['אשר', 'דחה'],
    timeout_default: 'דחה',
  });
  const { context, page } = await phone({ viewport: { width: 320, height: 640 } });
  await page.goto(link);
  assert.equal(await page.$eval('h1', (h) => getComputedStyle(h).direction), 'rtl');
  assert.equal(await page.$eval('.ctx', (h) => getComputedStyle(h).direction), 'rtl');
  const l = await layout(page);
  assert.ok(l.overflow <= 0, `no sideways scrolling at 320 px (${l.overflow})`);
  await page.screenshot({ path: join(ARTIFACTS, 'page-320-rtl.png') });
  await context.close();
});

test('withdrawn, expired and invalid links get clear pages and the right status', async () => {
  const { pause, link } = await create(seedRequest());
  await svc.request('POST', `/v1/pause/${pause.pause_id}/cancel`, { key: acct.live_key });
  const { context, page } = await phone();
  let r = await page.goto(link);
  assert.equal(r.status(), 410);
  assert.match(await page.textContent('.state'), /withdrawn by Acme Payments on .* UTC/);
  assert.equal(await page.getByRole('button').count(), 0);

  const timed = await create({ ...seedRequest(), timeout_hours: null, timeout_seconds: 1, timeout_default: null });
  await eventually(async () => (await apiGet(timed.pause.pause_id)).status === 'timed_out');
  r = await page.goto(timed.link);
  assert.equal(r.status(), 410);
  assert.match(await page.textContent('.state'), /expired on .* without an answer/);

  r = await page.goto(link.slice(0, -3) + 'AAA');
  assert.equal(r.status(), 404);
  assert.equal(await page.textContent('h1'), 'This link is not valid');

  // A link more than an hour past its expiry shows nothing of the request, even pending.
  const live = await create(seedRequest());
  r = await page.goto(mintLink(svc.base, live.pause.pause_id, Math.floor(Date.now() / 1000) - 7200));
  assert.equal(r.status(), 410);
  assert.equal(await page.textContent('h1'), 'This link has expired');
  assert.equal(await page.getByRole('button').count(), 0);
  assert.ok(!(await page.content()).includes('Wire $8,400'));
  await page.screenshot({ path: join(ARTIFACTS, 'link-expired.png') });
  assert.equal((await apiGet(live.pause.pause_id)).status, 'pending');
  await context.close();
});
