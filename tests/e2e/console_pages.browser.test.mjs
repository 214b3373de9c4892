// The console's pages of pauses, audit, keys and secrets, and usage, in a real browser
// (Debian's headless Chromium via playwright-core) against the real Worker: every page
// passes axe-core (no serious or critical violation), stays under 50 KB and is
// screenshot at 1280×800 and 390×844 into tests/artifacts/console/. Walks: the live
// list, a pause's page with its timeline and webhook attempts, replay, cancel; audit
// export and verify; keys create/rotate/revoke checked against the API; and a viewer
// refused every change by the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startService, eventually, choose, seedRequest, ROOT } from './harness.mjs';

const ARTIFACTS = join(ROOT, 'tests', 'artifacts', 'console');
const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
const AXE = readFileSync(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const MAX_PAGE_BYTES = 50 * 1024;

let svc, browser, receiver, hookUrl;
const hooks = []; // every webhook the receiver got

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => { hooks.push({ id: req.headers['webhook-id'], body }); res.writeHead(200).end('ok'); });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
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
  receiver?.close();
});

/// axe-core on the page as it is. Evaluated through the DevTools protocol, which the
/// page's CSP does not govern (the page itself still loads no inline script).
async function axe(page, name) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    [],
    `${name}: no serious or critical accessibility violations`,
  );
}

/// The page's size as served (its HTML; the stylesheets and scripts are separate, cached).
async function size(page, name) {
  const r = await page.context().request.get(page.url());
  const bytes = (await r.body()).length;
  assert.ok(bytes < MAX_PAGE_BYTES, `${name}: ${bytes} bytes < 50 KB`);
  return bytes;
}

/// On a phone, these stay visible (a narrow layout must not hide what the page is for).
async function visibleOnPhone(page, selectors) {
  await page.setViewportSize(SIZES.phone);
  for (const sel of selectors) assert.ok(await page.locator(sel).first().isVisible(), `${sel} visible on a phone`);
  await page.setViewportSize(SIZES.desktop);
}

/// Checks a console page: accessible, small, no sideways scrolling, screenshots.
async function check(page, name) {
  await axe(page, name);
  const bytes = await size(page, name);
  for (const [label, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${label}.png`), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name} at ${label}: no sideways scrolling (${overflow})`);
  }
  await page.setViewportSize(SIZES.desktop);
  console.log(`# ${name}: ${bytes} bytes`);
}

const seen = new Set();
async function mailTo(email) {
  const link = await eventually(async () => {
    const r = await svc.request('GET', '/dev/outbox');
    const row = r.json.data.find((m) => m.recipient === email && m.pause_id.startsWith('mail_') && !seen.has(m.link));
    return row?.link;
  }, { timeoutMs: 20_000 });
  assert.ok(link, `an email to ${email} in the outbox`);
  seen.add(link);
  return link;
}

/// Signs up in a fresh browser context; returns it with the page and the live key.
async function signUp(email, team) {
  const context = await browser.newContext({ viewport: SIZES.desktop });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${svc.base}/console/sign-up`);
  await page.fill('#email', email);
  await page.fill('#team', team);
  await page.click('button[type=submit]');
  await page.goto(await mailTo(email));
  await page.click('button[type=submit]');
  const live = await page.textContent('#live-key');
  const testKey = await page.textContent('#test-key');
  assert.match(live, /^pp_live_/);
  return { context, page, live, testKey, problems };
}

const api = (key, method, path, body) => svc.request(method, path, { key, body });
const csrfOf = (page) => page.getAttribute('input[name=csrf]', 'value');

test('console pages: pauses, pause page, replay, cancel, audit export and verify, keys, usage, a viewer refused', async () => {
  const { context, page, live, testKey, problems } = await signUp('pages@example.invalid', 'Pages & Co');

  // Pauses made through the API with the key from the first screen.
  const mk = async (key, extra = {}) => {
    const r = await api(key, 'POST', '/v1/pause', { ...seedRequest(), ...extra });
    assert.equal(r.status, 201, r.text);
    return r.json.pause_id;
  };
  const answered = await mk(live, { webhook_url: hookUrl, metadata: { invoice: 'INV-7' }, message: 'Wire $8,400 to <Meridian>?' });
  const pending = await mk(live, { message: 'Delete the staging database?' });
  const testPause = await mk(testKey, { message: 'A test-mode question' });

  // The list: newest first, both live pauses, not the test one.
  await page.goto(`${svc.base}/console/pauses`);
  assert.equal(await page.textContent('main h1'), 'Pauses');
  const rows = await page.$$eval('tbody[data-live] tr a', (as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(rows, [`/console/pauses/${pending}`, `/console/pauses/${answered}`]);
  assert.ok((await page.content()).includes('Wire $8,400 to &lt;Meridian&gt;?'), 'escaped');
  await check(page, 'pauses');
  await visibleOnPhone(page, ['th:text-is("Age")', 'th:text-is("Question")', 'th:text-is("Status")']);

  // It updates while open: answering on the response page shows up without a reload.
  assert.equal((await choose(await svc.linkFor(answered), 0)).status, 200);
  await page.waitForSelector(`tbody[data-live] tr:has(a[href="/console/pauses/${answered}"]) .b-ok`, { timeout: 20_000 });

  // Filters: status, channel, mode.
  await page.selectOption('#f-status', 'pending');
  await page.click('form.filters button');
  assert.deepEqual(await page.$$eval('tbody tr a', (as) => as.map((a) => a.textContent)), ['Delete the staging database?']);
  await page.goto(`${svc.base}/console/pauses?channel=email`);
  assert.match(await page.textContent('tbody'), /No pauses match/);
  await page.goto(`${svc.base}/console/pauses?mode=test`);
  assert.deepEqual(await page.$$eval('tbody tr a', (as) => as.map((a) => a.textContent)), ['A test-mode question']);
  // Cursor paging (25 a page), in test mode so the month's allowance is untouched.
  for (let i = 0; i < 26; i++) await mk(testKey, { message: `Test question ${i}` });
  await page.goto(`${svc.base}/console/pauses?mode=test`);
  const first = await page.$$eval('tbody tr a', (as) => as.map((a) => a.textContent));
  assert.equal(first.length, 25);
  assert.equal(first[0], 'Test question 25', 'newest first');
  await page.click('a[rel=next]');
  const second = await page.$$eval('tbody tr a', (as) => as.map((a) => a.textContent));
  assert.deepEqual(second, ['Test question 0', 'A test-mode question']);
  assert.equal(await page.$('tbody[data-live]'), null, 'an older page does not refresh itself');
  assert.equal(await page.$('a[rel=next]'), null, 'the last page');
  // A refused filter: its page says why (the browser logs the 400 of the document).
  const logged = problems.length;
  const bad = await page.goto(`${svc.base}/console/pauses?status=done`);
  assert.equal(bad.status(), 400);
  assert.match(await page.textContent('main'), /Status must be/);

  // The answered pause's page: question, options, metadata, delivery, timeline, webhook.
  const hook = await eventually(() => hooks.find((h) => JSON.parse(h.body).data.pause_id === answered), { timeoutMs: 20_000 });
  assert.ok(hook, 'the webhook arrived');
  await page.goto(`${svc.base}/console/pauses/${answered}`);
  await page.waitForSelector('text=Replay this event');
  const main = await page.textContent('main');
  for (const s of ['Approve', 'Reject', 'INV-7', 'Created', 'Answered “Approve”', 'pause.responded', 'sms']) {
    assert.ok(main.includes(s), `the pause page shows ${s}`);
  }
  assert.ok(main.includes(hookUrl), 'the webhook URL');
  assert.ok(!(await page.$('form[action$="/cancel"]')), 'no cancel once answered');
  await check(page, 'pause-answered');

  // Replay the webhook event: same id again at the receiver, a second attempt listed.
  const before = hooks.length;
  await page.click('text=Replay this event');
  assert.match(await page.textContent('[role=status]'), /delivered again/);
  const again = await eventually(() => hooks.slice(before).find((h) => h.id === hook.id), { timeoutMs: 20_000 });
  assert.ok(again, 'the replayed event reached the receiver with the same webhook-id');
  await eventually(async () => {
    await page.reload();
    return (await page.$$('section[aria-label^="Webhook"] tbody tr')).length >= 2;
  }, { timeoutMs: 20_000, everyMs: 500 });

  // Cancel the pending one from its page.
  await page.goto(`${svc.base}/console/pauses/${pending}`);
  await check(page, 'pause-pending');
  await page.click('text=Cancel this pause');
  assert.match(await page.textContent('[role=status]'), /cancelled/);
  assert.equal((await api(live, 'GET', `/v1/pause/${pending}`)).json.status, 'cancelled');
  assert.match(await page.textContent('ol.tl'), /Cancelled by member:mem_/);

  // A test-mode pause opens from its own page too.
  await page.goto(`${svc.base}/console/pauses/${testPause}`);
  assert.match(await page.textContent('main'), /test mode/);

  // Audit: filtered by pause; exports are the API's; verify says what it proved.
  await page.goto(`${svc.base}/console/audit?pause_id=${answered}`);
  assert.match(await page.textContent('tbody'), /pause\.created/);
  await check(page, 'audit');
  for (const format of ['csv', 'ndjson']) {
    const href = await page.getAttribute(`a:text-is("${format.toUpperCase()}")`, 'href');
    const fromConsole = await context.request.get(svc.base + href);
    assert.equal(fromConsole.status(), 200);
    const fromApi = await api(live, 'GET', `/v1/audit?format=${format}&pause_id=${answered}`);
    assert.equal(await fromConsole.text(), fromApi.text, `the console's ${format} export is the API's`);
    assert.ok(fromApi.text.includes('pause.responded'));
  }
  const ndjson = (await api(live, 'GET', `/v1/audit?format=ndjson&pause_id=${answered}`)).text.trim().split('\n');
  await page.fill('#v-pause', answered);
  await page.click('button:text-is("Verify")');
  const verdict = await page.textContent('.note');
  assert.match(verdict, new RegExp(`Verified\\. The ${ndjson.length} audit events of pause ${answered}`));
  assert.match(verdict, /not prove/);
  await check(page, 'audit-verified');
  const unknown = await page.goto(`${svc.base}/console/audit/verify?pause_id=pause_000000000000000000000000`);
  assert.equal(unknown.status(), 404);
  assert.match(await page.textContent('[role=alert]'), /There is no pause/);
  const badTime = await page.goto(`${svc.base}/console/audit?from=2026-01-01T00:00&to=nonsense`);
  assert.equal(badTime.status(), 400);
  assert.match(await page.textContent('[role=alert]'), /until/);
  // Only the refused documents above were logged as failed loads.
  assert.ok(problems.slice(logged).every((p) => /Failed to load resource: .* (400|404)/.test(p)), String(problems));
  problems.splice(logged);

  // Keys: create one, use it, rotate it with grace (both work), revoke (refused).
  await page.goto(`${svc.base}/console/keys`);
  await check(page, 'keys');
  await visibleOnPhone(page, ['button:text-is("Rotate")', 'button:text-is("Revoke")', 'th:text-is("Actions")']);
  await page.selectOption('#k-mode', 'live');
  await page.click('text=Create key');
  const created = await page.textContent('#new-secret');
  assert.match(created, /^pp_live_[0-9a-f]{40}$/);
  assert.ok(await page.$('button[data-copy=new-secret]'), 'a copy button');
  await check(page, 'keys-secret-shown');
  assert.equal((await api(created, 'GET', '/v1/account')).status, 200, 'the new key works');
  await page.goto(`${svc.base}/console/keys`);
  assert.equal(await page.$('#new-secret'), null, 'shown once');

  const row = page.locator('tbody tr', { hasText: created.slice(-4) });
  await row.locator('select[name=grace_seconds]').selectOption('3600');
  await row.locator('button:text-is("Rotate")').click();
  const rotated = await page.textContent('#new-secret');
  assert.match(rotated, /^pp_live_/);
  assert.match(await page.textContent('[role=status]'), /keeps working until/);
  assert.equal((await api(rotated, 'GET', '/v1/account')).status, 200, 'the rotated key works');
  assert.equal((await api(created, 'GET', '/v1/account')).status, 200, 'the old key works during its grace');

  await page.locator('tbody tr', { hasText: rotated.slice(-4) }).locator('button:text-is("Revoke")').click();
  assert.match(await page.textContent('[role=status]'), /revoked/);
  assert.equal((await api(rotated, 'GET', '/v1/account')).status, 401, 'the revoked key is refused');

  // The webhook signing secret (test mode), shown once.
  await page.selectOption('#s-mode', 'test');
  await page.click('text=Rotate signing secret');
  assert.match(await page.textContent('#new-secret'), /^whsec_/);

  // Every one of those actions is an audit event of the member.
  await page.goto(`${svc.base}/console/audit`);
  const log = await page.textContent('tbody');
  for (const t of ['key.created', 'key.rotated', 'key.revoked', 'webhook_secret.rotated', 'webhook.replayed']) {
    assert.ok(log.includes(t), `audited: ${t}`);
  }
  assert.ok(log.includes('pages@example.invalid'), 'with the member');
  await page.click('text=Verify your team\'s own log');
  const teamVerdict = await page.textContent('.note');
  assert.match(teamVerdict, /Verified\. The \d+ audit events of your team's own log/);
  assert.match(teamVerdict, /cut from the end/);

  // Usage and plan.
  await page.goto(`${svc.base}/console/usage`);
  assert.match(await page.textContent('main'), /Live pauses in \d{4}-\d{2}: 2 of 50/);
  await check(page, 'usage');

  // A CSRF-less or foreign POST changes nothing.
  const noToken = await context.request.post(`${svc.base}/console/pauses/${answered}/cancel`, { form: {}, headers: { origin: svc.base } });
  assert.equal(noToken.status(), 403);
  const foreign = await context.request.post(`${svc.base}/console/keys`, { form: { csrf: await csrfOf(page), mode: 'live' }, headers: { origin: 'https://evil.invalid' } });
  assert.equal(foreign.status(), 403);

  // A viewer: sees the pages, is refused every change by the server.
  await page.goto(`${svc.base}/console/team`);
  await page.fill('#invite-email', 'viewer@example.invalid');
  await page.selectOption('#invite-role', 'viewer');
  await page.click('form[action="/console/team/invite"] button');
  const vctx = await browser.newContext({ viewport: SIZES.desktop });
  const vpage = await vctx.newPage();
  await vpage.goto(await mailTo('viewer@example.invalid'));
  await vpage.click('button[type=submit]');
  const pending2 = await mk(live, { message: 'Viewer cannot cancel this' });
  await vpage.goto(`${svc.base}/console/keys`);
  assert.match(await vpage.textContent('main'), /You are a viewer/);
  assert.equal(await vpage.$('form[action="/console/keys"]'), null, 'no create form for a viewer');
  await check(vpage, 'keys-viewer');
  await vpage.goto(`${svc.base}/console/pauses/${pending2}`);
  assert.match(await vpage.textContent('main'), /Viewers cannot cancel/);
  const vcsrf = await csrfOf(vpage);
  const post = (path, form) => vctx.request.post(svc.base + path, { form: { csrf: vcsrf, ...form }, headers: { origin: svc.base } });
  const keysBefore = (await api(live, 'GET', '/v1/keys')).json.data.length;
  assert.equal((await post('/console/keys', { mode: 'live' })).status(), 403, 'viewer: create key');
  assert.equal((await post(`/console/pauses/${pending2}/cancel`, {})).status(), 403, 'viewer: cancel');
  assert.equal((await post('/console/webhook-secret/rotate', { mode: 'live' })).status(), 403, 'viewer: rotate secret');
  const someKey = (await api(live, 'GET', '/v1/keys')).json.data[0].id;
  assert.equal((await post(`/console/keys/${someKey}/revoke`, {})).status(), 403, 'viewer: revoke');
  assert.equal((await post(`/console/keys/${someKey}/rotate`, { grace_seconds: '0' })).status(), 403, 'viewer: rotate');
  assert.equal((await api(live, 'GET', '/v1/keys')).json.data.length, keysBefore, 'nothing created');
  assert.equal((await api(live, 'GET', `/v1/pause/${pending2}`)).json.status, 'pending', 'nothing cancelled');
  await vctx.close();

  assert.deepEqual(problems, [], 'no console errors (a CSP violation would show here)');
  await context.close();
});
