// Signed webhooks end to end: a local receiver started here plays the agent's endpoint.
// Signatures are checked twice, by node:crypto code written from the Standard Webhooks
// specification and by the `standardwebhooks` reference library, never by our code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { startService, seedRequest, choose, eventually, sleep } from './harness.mjs';

// Two seconds after each failed attempt, four attempts in all (production: 8 over ~28 h).
const SCHEDULE = '2,2,2';
const ATTEMPTS = 4;

let svc, acct, receiver, hookBase;
/// Every request the receiver got, per path: { id, timestamp, signature, body, at, status }.
const got = new Map();
/// Per path: how to answer the n-th request (0-based) -> [status, headers].
const behaviour = new Map();

before(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const list = got.get(req.url) ?? [];
      const plan = behaviour.get(req.url) ?? (() => [200, {}]);
      const [status, headers] = plan(list.length);
      list.push({
        id: req.headers['webhook-id'],
        timestamp: req.headers['webhook-timestamp'],
        signature: req.headers['webhook-signature'],
        contentType: req.headers['content-type'],
        body,
        at: Date.now(),
        status,
      });
      got.set(req.url, list);
      res.writeHead(status, headers).end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  hookBase = `http://127.0.0.1:${receiver.address().port}`;
  svc = await startService({ vars: { WEBHOOK_RETRY_SCHEDULE: SCHEDULE } });
  acct = await svc.createAccount('Acme Payments');
});
after(async () => {
  await svc?.cleanup();
  receiver?.close();
});

let seq = 0;
/// A fresh receiver path answering with `plan(n)`.
function endpoint(plan = () => [200, {}]) {
  const path = `/hook/${++seq}`;
  behaviour.set(path, plan);
  return { path, url: hookBase + path, received: () => got.get(path) ?? [] };
}

const createPause = async (url, extra = {}) => {
  const r = await svc.request('POST', '/v1/pause', { key: acct.live_key, body: { ...seedRequest(), webhook_url: url, ...extra } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
const webhooksOf = async (id) => {
  const r = await svc.request('GET', `/v1/pause/${id}/webhooks`, { key: acct.live_key });
  assert.equal(r.status, 200, r.text);
  return r.json.data;
};
/// The pause's (first) event once `done(event)` holds; fails with the last state seen.
async function eventOf(id, done) {
  let last;
  const e = await eventually(async () => {
    [last] = await webhooksOf(id);
    return last && done(last) ? last : null;
  }, { timeoutMs: 60_000, everyMs: 250 });
  assert.ok(e, `webhook event of ${id} never reached the expected state; last seen: ${JSON.stringify(last)}`);
  return e;
}

/// The specification, in a few lines: HMAC-SHA256 over "id.timestamp.body" keyed with the
/// base64-decoded secret; the header holds space-separated "v1,<base64>" signatures.
function verifiesWith(secret, msg) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${msg.id}.${msg.timestamp}.${msg.body}`).digest();
  return msg.signature.split(' ').some((s) => {
    const [version, sig] = s.split(',');
    const given = Buffer.from(sig ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}
function libraryVerifies(secret, msg) {
  try {
    new Webhook(secret).verify(msg.body, {
      'webhook-id': msg.id, 'webhook-timestamp': msg.timestamp, 'webhook-signature': msg.signature,
    });
    return true;
  } catch {
    return false;
  }
}

test('an answer on the page sends one signed pause.responded event carrying the pause', async () => {
  const ep = endpoint();
  const p = await createPause(ep.url, { metadata: { invoice: 'INV-2207' } });
  const link = await svc.linkFor(p.pause_id);
  assert.equal((await choose(link, 0)).status, 200);
  const [msg] = await eventually(async () => ep.received().length && ep.received(), { timeoutMs: 20_000 });
  assert.ok(msg, 'the event arrived');

  assert.match(msg.id, /^msg_[0-9a-f]{24}$/);
  assert.match(msg.timestamp, /^\d{10}$/);
  assert.ok(Math.abs(Number(msg.timestamp) - Date.now() / 1000) < 300, 'timestamp is the send time');
  assert.equal(msg.contentType, 'application/json');
  assert.ok(verifiesWith(acct.webhook_secret, msg), 'node:crypto verification from the spec');
  assert.ok(libraryVerifies(acct.webhook_secret, msg), 'standardwebhooks library verification');
  // A tampered body or another secret does not verify.
  assert.ok(!verifiesWith(acct.webhook_secret, { ...msg, body: msg.body.replace('Approve', 'Reject') }));
  assert.ok(!libraryVerifies(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, msg));

  const body = JSON.parse(msg.body);
  assert.equal(body.type, 'pause.responded');
  const now = (await svc.request('GET', `/v1/pause/${p.pause_id}`, { key: acct.live_key })).json;
  assert.equal(body.timestamp, now.responded_at);
  assert.equal(body.data.pause_id, p.pause_id);
  assert.equal(body.data.status, 'responded');
  assert.equal(body.data.response_choice, 'Approve');
  assert.deepEqual(body.data.metadata, { invoice: 'INV-2207' });
  assert.deepEqual({ ...body.data, delivery: undefined }, { ...now, delivery: undefined });

  const e = await eventOf(p.pause_id, (e) => e.status === 'succeeded');
  assert.equal(e.event_id, msg.id);
  assert.equal(e.type, 'pause.responded');
  assert.equal(e.url, ep.url);
  assert.equal(e.attempts.length, 1);
  assert.equal(e.attempts[0].status_code, 200);
  assert.equal(e.attempts[0].outcome, 'succeeded');
  assert.equal(typeof e.attempts[0].latency_ms, 'number');
  await sleep(1500);
  assert.equal(ep.received().length, 1, 'sent exactly once');
});

test('cancel and timeout send pause.cancelled and pause.timed_out; no webhook_url, no event', async () => {
  const c = endpoint();
  const p1 = await createPause(c.url);
  assert.equal((await svc.request('POST', `/v1/pause/${p1.pause_id}/cancel`, { key: acct.live_key })).status, 200);
  const t = endpoint();
  const p2 = await createPause(t.url, { timeout_hours: undefined, timeout_seconds: 1, timeout_default: undefined });
  const cancelled = await eventually(() => c.received()[0], { timeoutMs: 20_000 });
  const timedOut = await eventually(() => t.received()[0], { timeoutMs: 20_000 });
  assert.equal(JSON.parse(cancelled.body).type, 'pause.cancelled');
  assert.equal(JSON.parse(cancelled.body).data.status, 'cancelled');
  assert.equal(JSON.parse(timedOut.body).type, 'pause.timed_out');
  assert.equal(JSON.parse(timedOut.body).data.status, 'timed_out');
  assert.ok(libraryVerifies(acct.webhook_secret, cancelled) && libraryVerifies(acct.webhook_secret, timedOut));
  assert.notEqual(cancelled.id, timedOut.id);

  const plain = (await svc.request('POST', '/v1/pause', { key: acct.live_key, body: seedRequest() })).json;
  await svc.request('POST', `/v1/pause/${plain.pause_id}/cancel`, { key: acct.live_key });
  assert.deepEqual(await webhooksOf(plain.pause_id), []);
});

test('an endpoint that fails twice gets the event once as a success, same webhook-id, every attempt recorded', async () => {
  const ep = endpoint((n) => (n < 2 ? [503, {}] : [200, {}]));
  const p = await createPause(ep.url);
  await svc.request('DELETE', `/v1/pause/${p.pause_id}`, { key: acct.live_key });
  // Between attempts the event is pending: a replay now is refused and changes nothing.
  const first = await eventOf(p.pause_id, (e) => e.attempts.length === 1 && e.attempts[0].outcome === 'failed');
  const early = await svc.request('POST', `/v1/pause/${p.pause_id}/webhooks/${first.event_id}/replay`, { key: acct.live_key });
  assert.equal(early.status, 409, early.text);
  assert.equal(early.json.error.code, 'webhook_event_pending');
  const e = await eventOf(p.pause_id, (e) => e.status !== 'pending');
  assert.equal(e.status, 'succeeded');
  const msgs = ep.received();
  assert.equal(msgs.length, 3);
  assert.equal(msgs.filter((m) => m.status === 200).length, 1, 'exactly one success');
  assert.ok(msgs.every((m) => m.id === msgs[0].id && m.body === msgs[0].body), 'same id and body on every retry');
  assert.ok(msgs.every((m) => libraryVerifies(acct.webhook_secret, m)));
  assert.ok(msgs[1].at - msgs[0].at >= 1500, 'the retry waited for its back-off');
  assert.deepEqual(e.attempts.map((a) => [a.attempt, a.status_code, a.outcome]),
    [[1, 503, 'failed'], [2, 503, 'failed'], [3, 200, 'succeeded']]);
  assert.equal(e.attempts[0].error, 'HTTP 503');
  await sleep(3000);
  assert.equal(ep.received().length, 3, 'nothing sent after the success');
});

test('Retry-After is honoured and redirects are not followed', async () => {
  const ep = endpoint((n) => (n === 0 ? [503, { 'retry-after': '5' }] : [200, {}]));
  const target = endpoint();
  const redirect = endpoint((n) => (n === 0 ? [302, { location: target.url }] : [200, {}]));
  const p1 = await createPause(ep.url);
  const p2 = await createPause(redirect.url);
  await svc.request('DELETE', `/v1/pause/${p1.pause_id}`, { key: acct.live_key });
  await svc.request('DELETE', `/v1/pause/${p2.pause_id}`, { key: acct.live_key });
  await eventOf(p1.pause_id, (e) => e.status === 'succeeded');
  const [a, b] = ep.received();
  assert.ok(b.at - a.at >= 4500, `waited ${b.at - a.at} ms for Retry-After: 5, not the 2 s schedule`);
  const e2 = await eventOf(p2.pause_id, (e) => e.status === 'succeeded');
  assert.deepEqual(e2.attempts.map((x) => x.status_code), [302, 200]);
  assert.equal(target.received().length, 0, 'the redirect was not followed');
});

test('an endpoint that is always down ends dead-lettered with every attempt recorded, then replays', async () => {
  let up = false;
  const ep = endpoint(() => (up ? [200, {}] : [503, {}]));
  const p = await createPause(ep.url);
  await svc.request('DELETE', `/v1/pause/${p.pause_id}`, { key: acct.live_key });
  const e = await eventOf(p.pause_id, (e) => e.status !== 'pending');
  assert.equal(e.status, 'failed');
  assert.equal(e.failure_reason, 'attempts_exhausted');
  assert.ok(e.dead_lettered_at);
  assert.equal(e.attempt_count, ATTEMPTS);
  assert.deepEqual(e.attempts.map((a) => [a.attempt, a.status_code, a.outcome]),
    Array.from({ length: ATTEMPTS }, (_, i) => [i + 1, 503, 'failed']));
  assert.ok(e.attempts.every((a) => a.started_at && a.error === 'HTTP 503' && a.latency_ms >= 0));
  await sleep(3000);
  assert.equal(ep.received().length, ATTEMPTS, 'no attempt after the last');

  // Replay: same id and body, a fresh schedule; a second replay while pending is refused.
  up = true;
  const r = await svc.request('POST', `/v1/pause/${p.pause_id}/webhooks/${e.event_id}/replay`, { key: acct.live_key });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.status, 'pending');
  const done = await eventOf(p.pause_id, (x) => x.status === 'succeeded');
  assert.equal(done.attempts.length, ATTEMPTS + 1);
  assert.equal(done.dead_lettered_at, null);
  const last = ep.received().at(-1);
  assert.equal(last.id, e.event_id);
  assert.equal(last.body, ep.received()[0].body);

  const bad = await svc.request('POST', `/v1/pause/${p.pause_id}/webhooks/msg_000000000000000000000000/replay`, { key: acct.live_key });
  assert.equal(bad.status, 404);
  assert.equal(bad.json.error.code, 'webhook_event_not_found');
  const other = await svc.createAccount('Other Co');
  const foreign = await svc.request('GET', `/v1/pause/${p.pause_id}/webhooks`, { key: other.live_key });
  assert.equal(foreign.status, 404);
  assert.equal(foreign.json.error.code, 'pause_not_found');
});

test('an endpoint answering 410 stops receiving until a replay', async () => {
  const ep = endpoint(() => [410, {}]);
  const p1 = await createPause(ep.url);
  await svc.request('DELETE', `/v1/pause/${p1.pause_id}`, { key: acct.live_key });
  const e1 = await eventOf(p1.pause_id, (e) => e.status !== 'pending');
  assert.equal(e1.status, 'failed');
  assert.equal(e1.failure_reason, 'endpoint_gone');
  assert.equal(e1.attempts.length, 1);
  const p2 = await createPause(ep.url);
  await svc.request('DELETE', `/v1/pause/${p2.pause_id}`, { key: acct.live_key });
  const e2 = await eventOf(p2.pause_id, (e) => e.status !== 'pending');
  assert.equal(e2.failure_reason, 'endpoint_disabled');
  assert.equal(e2.attempts.length, 0);
  assert.equal(ep.received().length, 1);
  // A replay says the endpoint is back.
  behaviour.set(ep.path, () => [200, {}]);
  await svc.request('POST', `/v1/pause/${p2.pause_id}/webhooks/${e2.event_id}/replay`, { key: acct.live_key });
  assert.equal((await eventOf(p2.pause_id, (e) => e.status === 'succeeded')).attempts.length, 1);
});

test('after a secret rotation both secrets sign for the overlap', async () => {
  const own = await svc.createAccount('Rotating Co');
  const r = await svc.request('POST', '/v1/webhook_secret/rotate', { key: own.live_key });
  assert.equal(r.status, 200, r.text);
  const fresh = r.json.secret;
  assert.match(fresh, /^whsec_[A-Za-z0-9+/]{43}=$/);
  assert.notEqual(fresh, own.webhook_secret);
  const overlap = Date.parse(r.json.previous_secrets_expire_at) - Date.now();
  assert.ok(overlap > 23.9 * 3600e3 && overlap <= 24 * 3600e3);

  const ep = endpoint();
  const p = (await svc.request('POST', '/v1/pause', { key: own.live_key, body: { ...seedRequest(), webhook_url: ep.url } })).json;
  await svc.request('DELETE', `/v1/pause/${p.pause_id}`, { key: own.live_key });
  const msg = await eventually(() => ep.received()[0], { timeoutMs: 20_000 });
  assert.equal(msg.signature.split(' ').length, 2);
  for (const secret of [fresh, own.webhook_secret]) {
    assert.ok(verifiesWith(secret, msg) && libraryVerifies(secret, msg));
  }
  assert.ok(!libraryVerifies(acct.webhook_secret, msg), "another account's secret does not verify");
});

test('a restart of the service in the middle of the retries loses no event', async () => {
  const ep = endpoint((n) => (n < 2 ? [503, {}] : [200, {}]));
  const p = await createPause(ep.url);
  await svc.request('DELETE', `/v1/pause/${p.pause_id}`, { key: acct.live_key });
  // Attempt 1 failed and is recorded; attempt 2 waits 2 s in the queue.
  await eventOf(p.pause_id, (e) => e.attempts.length === 1 && e.attempts[0].outcome === 'failed');
  await svc.restart(); // the queue's delayed job dies with the process; D1 remembers
  const e = await eventOf(p.pause_id, (e) => e.status !== 'pending');
  assert.equal(e.status, 'succeeded');
  const msgs = ep.received();
  assert.equal(msgs.filter((m) => m.status === 200).length, 1);
  assert.ok(msgs.every((m) => m.id === e.event_id));
  assert.equal(e.attempts.at(-1).status_code, 200);
  assert.equal(e.attempts.length, msgs.length);
});
