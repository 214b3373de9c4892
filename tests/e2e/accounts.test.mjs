// Plans and quotas, idempotency, API keys, rate limits and the security baseline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startService, seedRequest, choose } from './harness.mjs';

let svc;
before(async () => { svc = await startService(); });
after(async () => svc?.cleanup());

const create = (key, body = seedRequest(), headers = {}) => svc.request('POST', '/v1/pause', { key, body, headers });
const listCount = async (key) => (await svc.request('GET', '/v1/pauses?limit=100', { key })).json.data.length;

test('plan limits: channels and timeout lengths name the limit and the plan that lifts it', async () => {
  const free = await svc.createAccount('Free Co', 'free');
  const email = await create(free.live_key, { ...seedRequest(), channel: 'email', recipient: 'ops@example.com' });
  assert.equal(email.status, 403);
  assert.equal(email.json.error.code, 'plan_limit_exceeded');
  assert.equal(email.json.error.param, 'channel');
  assert.match(email.json.error.message, /pro plan/);
  const long = await create(free.live_key, { ...seedRequest(), timeout_hours: 25 });
  assert.equal(long.status, 403);
  assert.equal(long.json.error.param, 'timeout');
  assert.match(long.json.error.message, /up to 1 day/);
  assert.equal(await listCount(free.live_key), 0, 'refusals create nothing');
  assert.equal((await create(free.live_key, { ...seedRequest(), timeout_hours: 24 })).status, 201);

  const pro = await svc.createAccount('Pro Co', 'pro');
  assert.equal((await create(pro.live_key, { ...seedRequest(), channel: 'email', recipient: 'ops@example.com' })).status, 201);
  assert.equal((await create(pro.live_key, { ...seedRequest(), channel: 'slack', recipient: 'C0123456789', timeout_hours: 24 * 30 })).status, 201);
  const wa = await create(pro.live_key, { ...seedRequest(), channel: 'whatsapp' });
  assert.equal(wa.status, 403);
  assert.match(wa.json.error.message, /enterprise plan/);

  const acct = (await svc.request('GET', '/v1/account', { key: free.live_key })).json;
  assert.equal(acct.plan, 'free');
  assert.equal(acct.usage.pauses, 1);
  assert.equal(acct.limits.monthly_pauses, 50);
  assert.deepEqual(acct.limits.channels, ['sms']);
  assert.equal(acct.limits.max_timeout_seconds, 86400);
});

test('monthly quota is exact under concurrency: 50 parallel creates with 3 left, exactly 3 succeed', async () => {
  const free = await svc.createAccount('Quota Co', 'free');
  for (let i = 0; i < 47; i++) assert.equal((await create(free.live_key)).status, 201);
  const results = await Promise.all(Array.from({ length: 50 }, () => create(free.live_key)));
  const ok = results.filter((r) => r.status === 201);
  const refused = results.filter((r) => r.status === 403);
  assert.equal(ok.length, 3, results.map((r) => r.status).join(','));
  assert.equal(refused.length, 47);
  assert.ok(refused.every((r) => r.json.error.code === 'quota_exceeded'));
  assert.match(refused[0].json.error.message, /all 50 pauses of the free plan/);
  assert.equal(await listCount(free.live_key), 50);
  assert.equal((await svc.request('GET', '/v1/account', { key: free.live_key })).json.usage.pauses, 50);
  // Test mode is not counted and still works at the cap.
  const t = await create(free.test_key);
  assert.equal(t.status, 201);
  assert.equal(t.json.livemode, false);
});

test('at the monthly cap, the retry of a create that succeeded gets its pause back and takes nothing', async () => {
  const free = await svc.createAccount('Edge Co', 'free');
  for (let i = 0; i < 49; i++) assert.equal((await create(free.live_key)).status, 201);
  const h = { 'idempotency-key': 'last-one-of-the-month' };
  const last = await create(free.live_key, seedRequest(), h);
  assert.equal(last.status, 201);
  const retry = await create(free.live_key, seedRequest(), h);
  assert.equal(retry.status, 201, retry.text);
  assert.equal(retry.json.id, last.json.id);
  assert.equal(retry.headers.get('idempotent-replayed'), 'true');
  const usage = async () => (await svc.request('GET', '/v1/account', { key: free.live_key })).json.usage.pauses;
  assert.equal(await usage(), 50);
  // A new create is refused at the cap, and its key is not burnt by the refusal: the same
  // key with another body is refused for the quota again, not as a reused key.
  const fresh = await create(free.live_key, seedRequest(), { 'idempotency-key': 'over-the-cap' });
  assert.equal(fresh.json.error.code, 'quota_exceeded');
  const other = await create(free.live_key, { ...seedRequest(), message: 'Something else?' }, { 'idempotency-key': 'over-the-cap' });
  assert.equal(other.json.error.code, 'quota_exceeded');
  assert.equal(await usage(), 50);
  assert.equal(await listCount(free.live_key), 50);
});

test('test keys never reach a provider: their messages are readable at /v1/test/outbox', async () => {
  const a = await svc.createAccount('Test Mode Co', 'pro');
  const p = (await create(a.test_key)).json;
  let rows = [];
  for (let i = 0; i < 50 && rows.length === 0; i++) {
    rows = (await svc.request('GET', `/v1/test/outbox?pause_id=${p.pause_id}`, { key: a.test_key })).json.data;
    if (!rows.length) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(rows.length, 1);
  assert.equal(rows[0].recipient, '+13128471928');
  assert.equal(rows[0].livemode, 0);
  const live = (await create(a.live_key)).json;
  await svc.linkFor(live.pause_id);
  const testRows = (await svc.request('GET', '/v1/test/outbox', { key: a.test_key })).json.data;
  assert.ok(!testRows.some((r) => r.pause_id === live.pause_id), 'live messages are not in the test outbox');
  // A test key sees only test pauses' messages of its own account.
  const other = await svc.createAccount('Someone Else', 'pro');
  assert.equal((await svc.request('GET', '/v1/test/outbox', { key: other.test_key })).json.data.length, 0);
});

test('idempotency: same key and body replays, other body is refused, concurrent retries make one pause', async () => {
  const a = await svc.createAccount('Idem Co', 'free');
  const h = { 'idempotency-key': 'order-7781-approval' };
  const first = await create(a.live_key, seedRequest(), h);
  assert.equal(first.status, 201);
  assert.equal(first.headers.get('idempotent-replayed'), null);
  const again = await create(a.live_key, { ...seedRequest(), recipient: '+13128471928' }, h);
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.json.pause_id, first.json.pause_id);
  assert.equal(again.json.created_at, first.json.created_at);
  const other = await create(a.live_key, { ...seedRequest(), message: 'Wire $9,000 to Meridian?' }, h);
  assert.equal(other.status, 422);
  assert.equal(other.json.error.code, 'idempotency_key_reused');
  assert.equal(other.json.error.param, 'Idempotency-Key');

  const burst = await Promise.all(Array.from({ length: 12 }, () =>
    create(a.live_key, { ...seedRequest(), message: 'Ship order 7782?' }, { 'idempotency-key': 'order-7782' })));
  assert.ok(burst.every((r) => r.status === 201), burst.map((r) => r.status).join(','));
  assert.equal(new Set(burst.map((r) => r.json.pause_id)).size, 1);
  assert.equal(await listCount(a.live_key), 2);
  const outbox = (await svc.request('GET', `/dev/outbox?pause_id=${burst[0].json.pause_id}`)).json.data;
  assert.equal(outbox.length, 1, 'sent once');
  assert.equal((await svc.request('GET', '/v1/account', { key: a.live_key })).json.usage.pauses, 2, 'replays are not counted');

  const bad = await create(a.live_key, seedRequest(), { 'idempotency-key': 'x'.repeat(256) });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.param, 'Idempotency-Key');
  // Keys are per account: another account's identical key is independent.
  const b = await svc.createAccount('Idem Two', 'free');
  const theirs = await create(b.live_key, seedRequest(), h);
  assert.equal(theirs.status, 201);
  assert.notEqual(theirs.json.pause_id, first.json.pause_id);
});

test('API keys: listed without secrets, created, rotated with and without grace, revoked', async () => {
  const a = await svc.createAccount('Keys Co', 'pro');
  const list = await svc.request('GET', '/v1/keys', { key: a.live_key });
  assert.equal(list.status, 200);
  assert.equal(list.json.data.length, 2);
  assert.ok(!list.text.includes(a.live_key) && !list.text.includes(a.live_key.slice(8, 30)));
  assert.ok(list.json.data.every((k) => /^pp_(live|test)_…[0-9a-f]{4}$/.test(k.display) && k.secret === null));

  const liveId = list.json.data.find((k) => k.mode === 'live').id;
  const rotated = await svc.request('POST', `/v1/keys/${liveId}/rotate`, { key: a.live_key, body: { grace_seconds: 3600 } });
  assert.equal(rotated.status, 201, rotated.text);
  const newKey = rotated.json.new_key.secret;
  assert.match(newKey, /^pp_live_[0-9a-f]{40}$/);
  assert.ok(rotated.json.old_key.expires_at);
  assert.equal((await svc.request('GET', '/v1/account', { key: a.live_key })).status, 200, 'old key works during grace');
  assert.equal((await svc.request('GET', '/v1/account', { key: newKey })).status, 200);

  const newId = rotated.json.new_key.id;
  const r2 = await svc.request('POST', `/v1/keys/${newId}/rotate`, { key: newKey });
  assert.equal(r2.status, 201);
  const newest = r2.json.new_key.secret;
  assert.equal((await svc.request('GET', '/v1/account', { key: newKey })).status, 401, 'no grace: stops at once');

  const revoked = await svc.request('POST', `/v1/keys/${liveId}/revoke`, { key: newest });
  assert.equal(revoked.status, 200);
  assert.equal(revoked.json.active, false);
  assert.equal((await svc.request('GET', '/v1/account', { key: a.live_key })).status, 401);

  const last = await svc.request('POST', `/v1/keys/${r2.json.new_key.id}/revoke`, { key: newest });
  assert.equal(last.status, 409);
  assert.equal(last.json.error.code, 'last_live_key');
  assert.equal((await svc.request('GET', '/v1/keys', { key: a.test_key })).status, 403, 'test keys cannot manage keys');
  assert.equal((await svc.request('POST', '/v1/keys/key_0000000000000000/revoke', { key: newest })).status, 404);
  const created = await svc.request('POST', '/v1/keys', { key: newest, body: { mode: 'test' } });
  assert.equal(created.status, 201);
  assert.match(created.json.secret, /^pp_test_/);
  assert.equal((await svc.request('POST', '/v1/keys', { key: newest, body: { mode: 'root' } })).json.error.param, 'mode');
});

test('rate limit per key: 429 with Retry-After, other keys unaffected', async () => {
  const a = await svc.createAccount('Busy Co', 'pro');
  const statuses = [];
  let limited;
  // Up to 2,500 requests: the local limiter counts in fixed one-minute windows, so 1,500
  // could split 700 + 800 across a boundary; any two windows with 2,001 must exceed 1,000.
  for (let batch = 0; batch < 50 && !limited; batch++) {
    const rs = await Promise.all(Array.from({ length: 50 }, () => svc.request('GET', '/v1/account', { key: a.live_key })));
    statuses.push(...rs.map((r) => r.status));
    limited = rs.find((r) => r.status === 429);
  }
  assert.ok(limited, `no 429 after ${statuses.length} requests`);
  assert.equal(limited.json.error.code, 'rate_limited');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
  assert.equal((await svc.request('GET', '/v1/account', { key: a.test_key })).status, 200);
});

test('security baseline: HTML in a message renders as text, CORS is closed, secrets stay out of logs', async () => {
  const a = await svc.createAccount('<b>Evil</b> & Co', 'pro');
  const p = (await create(a.live_key, { ...seedRequest(), message: '<script>alert(1)</script><img src=x onerror=alert(2)>', options: ['<b>Yes</b>', 'No'], timeout_default: 'No' })).json;
  const link = await svc.linkFor(p.pause_id);
  const html = await (await fetch(link)).text();
  assert.ok(!html.includes('<script>alert') && !html.includes('<img src=x') && !html.includes('<b>'));
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('&lt;b&gt;Evil&lt;/b&gt; &amp; Co'));

  const pre = await fetch(`${svc.base}/v1/pauses`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
  assert.equal(pre.headers.get('access-control-allow-origin'), null);
  const get = await fetch(`${svc.base}/v1/account`, { headers: { origin: 'https://evil.example', authorization: `Bearer ${a.live_key}` } });
  assert.equal(get.headers.get('access-control-allow-origin'), null);

  assert.ok(!svc.logs.includes(a.live_key), 'API keys never appear in the logs');
  assert.ok(!svc.logs.includes(a.test_key));
  assert.ok(!svc.logs.includes(svc.vars.TOKEN_SECRET));
  await choose(link, 0);
});
