// Operator metrics and request logs through the public interface: the real Worker under `wrangler dev`
// writes its Analytics Engine data points (kept by nobody locally) and, in local mode,
// logs each as one JSON line; these tests read those lines. The layout is documented in
// docs/operations.md and unit-tested in src/core/metrics.rs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startService, seedRequest, choose, eventually } from './harness.mjs';

// The Worker's console lines are printed at wrangler's `log` level, below `info`.
process.env.PP_WRANGLER_LOG_LEVEL ??= 'log';
let svc, acct, receiver, hookUrl;

before(async () => {
  receiver = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(503).end('down')));
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
  svc = await startService({ vars: { WEBHOOK_RETRY_SCHEDULE: '60' } });
  acct = await svc.createAccount('Metrics Co', 'enterprise');
});
after(async () => {
  await svc?.cleanup();
  receiver?.close();
});

/// The data points logged so far, as {metric, blobs, doubles}.
function points() {
  return svc.logs.split('\n').flatMap((l) => {
    const i = l.indexOf('{');
    if (i < 0 || !l.includes('"metric":')) return [];
    try {
      const p = JSON.parse(l.slice(i));
      return typeof p.metric === 'string' ? [p] : [];
    } catch { return []; }
  });
}
const find = (metric, pred = () => true) => points().filter((p) => p.metric === metric && pred(p));
const create = async (key, extra = {}) => {
  const r = await svc.request('POST', '/v1/pause', { key, body: { ...seedRequest(), ...extra } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};

test('a pause answered on its page: created, sent, answered with the seconds it took, per channel and mode', async () => {
  const p = await create(acct.live_key, { channel: 'email', recipient: 'ops@example.invalid' });
  const link = await svc.linkFor(p.pause_id);
  assert.equal((await choose(link, 0)).status, 200);
  const answered = await eventually(() => find('pause_answered', (x) => x.blobs[1] === 'email')[0]);
  assert.ok(answered, `no pause_answered point in:\n${JSON.stringify(points(), null, 1)}`);
  assert.deepEqual(answered.blobs, ['pause_answered', 'email', 'page', '', 'live']);
  assert.equal(answered.doubles[0], 1);
  assert.ok(answered.doubles[1] >= 0 && answered.doubles[1] < 60, `seconds to answer: ${answered.doubles[1]}`);
  assert.ok(find('pause_created', (x) => x.blobs[1] === 'email' && x.blobs[4] === 'live').length >= 1);
  assert.ok(find('delivery_sent', (x) => x.blobs[1] === 'email').length >= 1);
});

test('timeouts, cancels and test mode are counted apart; no point carries a recipient, message or link', async () => {
  const timed = await create(acct.live_key, { timeout_seconds: 1, timeout_default: undefined, timeout_hours: undefined });
  const cancelled = await create(acct.test_key);
  assert.equal((await svc.request('POST', `/v1/pause/${cancelled.pause_id}/cancel`, { key: acct.test_key })).status, 200);
  assert.ok(await eventually(() => find('pause_cancelled', (x) => x.blobs[4] === 'test').length > 0));
  const t = await eventually(() => find('pause_timed_out', (x) => x.blobs[2] === 'no_default')[0], { timeoutMs: 20_000 });
  assert.ok(t, 'the timeout is counted');
  assert.equal(t.blobs[1], 'sms');
  const all = JSON.stringify(points());
  for (const secret of ['+13128471928', 'Meridian', '/r/', acct.live_key, acct.test_key, timed.pause_id]) {
    assert.ok(!all.includes(secret), `a metric carries ${secret}`);
  }
});

test('webhook attempts carry outcome and status, never the URL', async () => {
  await create(acct.live_key, { webhook_url: hookUrl, timeout_seconds: 1, timeout_default: 'Reject', timeout_hours: undefined });
  const attempt = await eventually(() => find('webhook_attempt')[0], { timeoutMs: 30_000 });
  assert.ok(attempt, 'a webhook attempt is counted');
  assert.deepEqual(attempt.blobs.slice(2, 4), ['retry', '503']);
  assert.ok(attempt.doubles[1] >= 0, 'latency in ms');
  assert.ok(!JSON.stringify(points()).includes(hookUrl));
  assert.ok(find('pause_timed_out', (x) => x.blobs[2] === 'default_fired').length >= 1);
});

test('request logs: one JSON line per request with its Request-Id, the route masked, no key, id or link token', async () => {
  const p = await create(acct.live_key);
  const link = await svc.linkFor(p.pause_id);
  const token = new URL(link).pathname.split('/').pop();
  const page = await fetch(link);
  await page.text();
  const get = await svc.request('GET', `/v1/pause/${p.pause_id}?wait=0`, { key: acct.live_key });
  const lines = () => svc.logs.split('\n').flatMap((l) => {
    const i = l.indexOf('{');
    if (i < 0 || !l.includes('"msg":"request"')) return [];
    try { return [JSON.parse(l.slice(i))]; } catch { return []; }
  });
  const pageLine = await eventually(() => lines().find((l) => l.request_id === page.headers.get('request-id')));
  assert.ok(pageLine, 'the page request is logged under its Request-Id');
  assert.deepEqual({ ...pageLine, duration_ms: 0 }, { level: 'info', msg: 'request', request_id: page.headers.get('request-id'), method: 'GET', route: '/r/:id', status: 200, duration_ms: 0 });
  const apiLine = await eventually(() => lines().find((l) => l.request_id === get.headers.get('request-id')));
  assert.equal(apiLine.route, '/v1/pause/:id');
  const requestLogs = JSON.stringify(lines());
  for (const secret of [token, acct.live_key, p.pause_id, 'wait=0']) assert.ok(!requestLogs.includes(secret), `a request log carries ${secret}`);
});
