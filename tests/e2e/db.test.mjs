// The db module through the public interface: Server-Timing's d1 entry, the isolate's
// key cache (no D1 query for a key seen recently; revocation and rotation act at once
// in this isolate: local dev runs one) and the far-primary simulation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startService, seedRequest } from './harness.mjs';

const RTT_MS = 80;
let svc;
before(async () => { svc = await startService({ vars: { D1_SIMULATED_RTT_MS: String(RTT_MS) } }); });
after(async () => svc?.cleanup());

/// `d1;dur=12.0;desc="3 queries"` → { queries: 3, ms: 12 }.
function d1(res) {
  const h = res.headers.get('server-timing') ?? '';
  const m = /(?:^|,)\s*d1;dur=([0-9.]+);desc="(\d+) queries"/.exec(h);
  assert.ok(m, `no d1 entry in Server-Timing: ${JSON.stringify(h)}`);
  return { ms: Number(m[1]), queries: Number(m[2]) };
}

test('every D1 round trip waits D1_SIMULATED_RTT_MS in local mode, and is counted', async () => {
  const a = await svc.createAccount('Far Primary Co', 'pro');
  // A key not seen yet: its lookup and the usage read, two round trips.
  const first = await svc.request('GET', '/v1/account', { key: a.live_key });
  assert.equal(first.status, 200);
  assert.deepEqual({ queries: d1(first).queries }, { queries: 2 });
  assert.ok(d1(first).ms >= 2 * RTT_MS - 1, `d1 time ${d1(first).ms} ms`);
  // The key is cached now: only the usage read remains.
  const again = await svc.request('GET', '/v1/account', { key: a.live_key });
  assert.equal(d1(again).queries, 1);
  assert.ok(d1(again).ms >= RTT_MS - 1);
  // No D1 on the path at all: no query, no time.
  const health = await svc.request('GET', '/healthz');
  assert.deepEqual(d1(health), { queries: 0, ms: 0 });
});

test('GET of a pause with a key seen recently makes no D1 query (plain and ?wait)', async () => {
  const a = await svc.createAccount('Cached Co', 'pro');
  const created = await svc.request('POST', '/v1/pause', { key: a.live_key, body: seedRequest() });
  assert.equal(created.status, 201, created.text);
  const id = created.json.pause_id;
  for (const path of [`/v1/pause/${id}`, `/v1/pause/${id}?wait=0.2`]) {
    const got = await svc.request('GET', path, { key: a.live_key });
    assert.equal(got.status, 200, `${path}: ${got.text}`);
    assert.equal(got.json.pause_id, id);
    assert.deepEqual(d1(got), { queries: 0, ms: 0 }, path);
  }
  // Another account's cached key still finds nothing: the cache holds who, not what.
  const b = await svc.createAccount('Other Co', 'pro');
  assert.equal((await svc.request('GET', '/v1/account', { key: b.live_key })).status, 200);
  const foreign = await svc.request('GET', `/v1/pause/${id}`, { key: b.live_key });
  assert.equal(foreign.status, 404);
  assert.equal(d1(foreign).queries, 0);
});

test('a cached key that is revoked or rotated out is refused at once', async () => {
  const a = await svc.createAccount('Revoke Co', 'pro');
  const extra = await svc.request('POST', '/v1/keys', { key: a.live_key, body: { mode: 'live' } });
  assert.equal(extra.status, 201);
  const spare = extra.json.secret;
  // Seen (and so cached) before the revocation.
  assert.equal((await svc.request('GET', '/v1/account', { key: spare })).status, 200);
  const revoked = await svc.request('POST', `/v1/keys/${extra.json.id}/revoke`, { key: a.live_key });
  assert.equal(revoked.status, 200, revoked.text);
  const refused = await svc.request('GET', '/v1/account', { key: spare });
  assert.equal(refused.status, 401);
  assert.equal(refused.json.error.code, 'api_key_invalid');

  // Rotation without grace: the old key (cached, and the one asking) stops at once.
  const keys = (await svc.request('GET', '/v1/keys', { key: a.live_key })).json.data;
  const liveId = keys.find((k) => k.mode === 'live' && k.active).id;
  const rotated = await svc.request('POST', `/v1/keys/${liveId}/rotate`, { key: a.live_key });
  assert.equal(rotated.status, 201, rotated.text);
  assert.equal((await svc.request('GET', '/v1/account', { key: a.live_key })).status, 401);
  assert.equal((await svc.request('GET', '/v1/account', { key: rotated.json.new_key.secret })).status, 200);

  // A revoked test key too (test keys are revoked with a live key).
  assert.equal((await svc.request('GET', '/v1/account', { key: a.test_key })).status, 200);
  const testId = keys.find((k) => k.mode === 'test').id;
  const live = rotated.json.new_key.secret;
  assert.equal((await svc.request('POST', `/v1/keys/${testId}/revoke`, { key: live })).status, 200);
  assert.equal((await svc.request('GET', '/v1/account', { key: a.test_key })).status, 401);
});
