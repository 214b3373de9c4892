// The create hot path (issue 14): one D1 batch before the object, read-your-writes for
// the listing, an exact monthly cap under concurrency and retries, Server-Timing's query
// count, and the `pause.created` audit row leaving through the object's outbox (so a
// restart right after a create still gets it into D1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startService, seedRequest, eventually } from './harness.mjs';

let svc;
before(async () => { svc = await startService(); });
after(async () => svc?.cleanup());

const create = (key, body = seedRequest(), headers = {}) => svc.request('POST', '/v1/pause', { key, body, headers });
const listed = async (key) => (await svc.request('GET', '/v1/pauses?limit=100', { key })).json.data.map((p) => p.pause_id);
const usage = async (key) => (await svc.request('GET', '/v1/account', { key })).json.usage.pauses;
/// `d1;dur=…;desc="N queries"` of a response's Server-Timing, as N.
const d1Queries = (r) => {
  const st = r.headers.get('server-timing') ?? '';
  const m = /d1;dur=[\d.]+;desc="(\d+) quer(?:y|ies)"/.exec(st);
  assert.ok(m, `Server-Timing names the D1 queries: ${st}`);
  return Number(m[1]);
};

/// Fills a free account (50 a month) up to `left` places under its cap.
async function freeAccountWith(left, name) {
  const a = await svc.createAccount(name, 'free');
  for (let i = 0; i < 50 - left; i++) assert.equal((await create(a.live_key)).status, 201);
  return a;
}

test('a list right after a create shows the pause, every time, with creates running concurrently', async () => {
  const a = await svc.createAccount('Read Your Writes Co', 'pro');
  for (const key of [a.live_key, a.test_key]) {
    const rounds = await Promise.all(Array.from({ length: 24 }, async () => {
      const c = await create(key);
      assert.equal(c.status, 201, c.text);
      return (await listed(key)).includes(c.json.pause_id);
    }));
    assert.equal(rounds.filter(Boolean).length, rounds.length, 'every list saw the pause just created');
  }
  assert.equal((await listed(a.live_key)).length, 24);
  assert.equal(await usage(a.live_key), 24, 'live creates counted, test ones not');
});

test('the monthly cap is exact: 20 concurrent creates with 5 places left, exactly 5 succeed', async () => {
  const a = await freeAccountWith(5, 'Cap Co');
  const results = await Promise.all(Array.from({ length: 20 }, () => create(a.live_key)));
  const codes = results.map((r) => r.status);
  assert.equal(codes.filter((s) => s === 201).length, 5, codes.join(','));
  assert.ok(results.filter((r) => r.status !== 201).every((r) => r.status === 403 && r.json.error.code === 'quota_exceeded'));
  assert.equal(await usage(a.live_key), 50);
  assert.equal((await listed(a.live_key)).length, 50, 'refused creates leave no listing row');
});

test('the monthly cap is exact under idempotent retries: each key gets one pause or none, 5 in all', async () => {
  const a = await freeAccountWith(5, 'Retry Co');
  const keys = Array.from({ length: 8 }, (_, i) => `order-${i}`);
  const results = await Promise.all(keys.flatMap((k) => [0, 1, 2].map(() =>
    create(a.live_key, { ...seedRequest(), message: `Ship ${k}?` }, { 'idempotency-key': k }).then((r) => ({ k, r })))));
  const made = new Set();
  for (const k of keys) {
    const mine = results.filter((x) => x.k === k).map((x) => x.r);
    const ok = mine.filter((r) => r.status === 201);
    if (ok.length === 0) {
      assert.ok(mine.every((r) => r.json.error.code === 'quota_exceeded'), mine.map((r) => r.text).join('\n'));
      continue;
    }
    assert.equal(ok.length, 3, `all retries of ${k} agree: ${mine.map((r) => r.status)}`);
    assert.equal(new Set(ok.map((r) => r.json.pause_id)).size, 1, `one pause for ${k}`);
    made.add(ok[0].json.pause_id);
  }
  assert.equal(made.size, 5);
  assert.equal(await usage(a.live_key), 50);
  const ids = await listed(a.live_key);
  assert.equal(ids.length, 50);
  assert.ok([...made].every((id) => ids.includes(id)));
  // A retry later still gets its pause, at the cap, and takes nothing.
  const done = results.find((x) => x.r.status === 201);
  const again = await create(a.live_key, { ...seedRequest(), message: `Ship ${done.k}?` }, { 'idempotency-key': done.k });
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.json.pause_id, done.r.json.pause_id);
  assert.equal(await usage(a.live_key), 50);
});

test('Server-Timing: a create with a key the isolate knows makes one D1 query, whatever the plan; a GET none', async () => {
  for (const plan of ['free', 'enterprise']) {
    const a = await svc.createAccount(`Timing ${plan}`, plan);
    for (const key of [a.live_key, a.test_key]) {
      assert.equal((await svc.request('GET', '/v1/pauses?limit=1', { key })).status, 200); // the key is now cached
      const plain = await create(key);
      assert.equal(plain.status, 201, plain.text);
      assert.equal(d1Queries(plain), 1, `${plan} ${key.slice(0, 8)} create`);
      const idem = await create(key, seedRequest(), { 'idempotency-key': `st-${plan}-${key.slice(3, 7)}` });
      assert.equal(d1Queries(idem), 1, 'with an Idempotency-Key too');
      const replay = await create(key, seedRequest(), { 'idempotency-key': `st-${plan}-${key.slice(3, 7)}` });
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(d1Queries(replay), 1, 'a replay too');
      const got = await svc.request('GET', `/v1/pause/${plain.json.pause_id}`, { key });
      assert.equal(got.status, 200);
      assert.equal(d1Queries(got), 0);
      assert.match(got.headers.get('server-timing'), /do;dur=[\d.]+/);
    }
  }
});

test('a restart right after a create still gets the pause.created audit row into D1', async () => {
  // Every D1 call waits 1.5 s here, so the object's flush is still on its way to D1 when
  // the process is killed: the row can only arrive through the outbox after the restart.
  const slow = await startService({ vars: { D1_SIMULATED_RTT_MS: '1500' } });
  try {
    const a = await slow.createAccount('Restart Co', 'pro');
    const c = await slow.request('POST', '/v1/pause', { key: a.live_key, body: seedRequest() });
    assert.equal(c.status, 201, c.text);
    await slow.restart();
    const id = c.json.pause_id;
    const created = await eventually(async () => {
      const evs = (await slow.request('GET', `/v1/audit?pause_id=${id}`, { key: a.live_key })).json?.data ?? [];
      return evs.some((e) => e.type === 'pause.created') && evs;
    }, { timeoutMs: 60_000, everyMs: 500 });
    assert.equal(created.filter((e) => e.type === 'pause.created').length, 1, 'exactly once');
    const v = await slow.request('GET', `/v1/audit/verify?pause_id=${id}`, { key: a.live_key });
    assert.equal(v.json.valid, true, v.text);
    assert.ok((await slow.request('GET', '/v1/pauses', { key: a.live_key })).json.data.some((p) => p.pause_id === id));
  } finally {
    await slow.cleanup();
  }
});

test('a repeated create gets the pause the object holds, and the object writes no second pause.created', async () => {
  const a = await svc.createAccount('Replay Co', 'pro');
  const h = { 'idempotency-key': 'once-only' };
  const first = await create(a.live_key, seedRequest(), h);
  assert.equal(first.status, 201, first.text);
  await new Promise((r) => setTimeout(r, 1100)); // a rebuilt pause would have later times
  const again = await create(a.live_key, seedRequest(), h);
  assert.equal(again.status, 201, again.text);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  for (const f of ['pause_id', 'created_at', 'expires_at', 'status']) assert.equal(again.json[f], first.json[f], f);
  // The chain: pause.created, then message.sent once the alarm delivered; nothing more.
  const verify = () => svc.request('GET', `/v1/audit/verify?pause_id=${first.json.pause_id}`, { key: a.live_key });
  await eventually(async () => (await verify()).json.events === 2);
  await new Promise((r) => setTimeout(r, 500));
  const v = (await verify()).json;
  assert.equal(v.valid, true, JSON.stringify(v));
  assert.equal(v.events, 2, JSON.stringify(v));
  assert.equal(v.head.seq, 2);
});
