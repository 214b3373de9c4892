// Load, concurrency storms and faults: every pause ends in exactly one final state,
// and a killed-and-restarted service loses nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startService, seedRequest, choose, eventually, sleep } from './harness.mjs';

let svc;
before(async () => { svc = await startService(); });
after(async () => svc?.cleanup());

async function listAll(key, status = '') {
  const out = [];
  let cursor = '';
  for (;;) {
    const r = await svc.request('GET', `/v1/pauses?limit=100${status}${cursor}`, { key });
    out.push(...r.json.data);
    if (!r.json.has_more) return out;
    cursor = `&cursor=${r.json.next_cursor}`;
  }
}

test('load: many pauses answered, cancelled and timed out concurrently all end in exactly one final state', async () => {
  const accounts = await Promise.all([1, 2, 3, 4].map((i) => svc.createAccount(`Load ${i}`, 'enterprise')));
  const N = 120;
  const created = await Promise.all(Array.from({ length: N }, (_, i) => {
    const a = accounts[i % accounts.length];
    const body = { ...seedRequest(), timeout_hours: undefined, timeout_seconds: i % 4 === 3 ? 3 : 600, message: `Load ${i}?` };
    return svc.request('POST', '/v1/pause', { key: a.live_key, body }).then((r) => ({ r, a, i }));
  }));
  assert.ok(created.every(({ r }) => r.status === 201), created.map(({ r }) => r.status).join(','));
  const expected = new Map();
  await Promise.all(created.map(async ({ r, a, i }) => {
    const id = r.json.pause_id;
    if (i % 4 === 0 || i % 4 === 1) {
      const res = await choose(await svc.linkFor(id), i % 2);
      assert.equal(res.status, 200, `${res.text.slice(0, 300)}\n${svc.logs.slice(-4000)}`);
      expected.set(id, 'responded');
    } else if (i % 4 === 2) {
      const res = await svc.request('POST', `/v1/pause/${id}/cancel`, { key: a.live_key });
      assert.equal(res.status, 200);
      expected.set(id, 'cancelled');
    } else {
      expected.set(id, 'responded'); // timeout_default fires
    }
  }));
  const final = await eventually(async () => {
    const all = (await Promise.all(accounts.map((a) => listAll(a.live_key)))).flat();
    return all.length === N && all.every((p) => p.status !== 'pending') ? all : null;
  }, { timeoutMs: 30_000, everyMs: 500 });
  assert.ok(final, 'every pause reached a final state');
  assert.equal(new Set(final.map((p) => p.pause_id)).size, N, 'each pause listed once');
  for (const p of final) assert.equal(p.status, expected.get(p.pause_id), p.pause_id);
  const outbox = (await svc.request('GET', '/dev/outbox')).json.data;
  const perPause = new Map();
  for (const m of outbox) perPause.set(m.pause_id, (perPause.get(m.pause_id) || 0) + 1);
  assert.ok([...perPause.values()].every((n) => n === 1), 'no message sent twice');
});

test('storm: submits and cancels on one pause at once, exactly one winner', async () => {
  const a = await svc.createAccount('Storm Co', 'enterprise');
  for (let round = 0; round < 3; round++) {
    const { pause_id } = (await svc.request('POST', '/v1/pause', { key: a.live_key, body: seedRequest() })).json;
    const link = await svc.linkFor(pause_id);
    const ops = [
      ...Array.from({ length: 30 }, (_, i) => choose(link, i % 2).then((r) => ({ kind: 'tap', ok: r.status === 200, status: r.status }))),
      ...Array.from({ length: 10 }, () => svc.request('POST', `/v1/pause/${pause_id}/cancel`, { key: a.live_key })
        .then((r) => ({ kind: 'cancel', ok: r.status === 200, status: r.status }))),
    ];
    const results = await Promise.all(ops);
    const winners = results.filter((r) => r.ok);
    assert.equal(winners.length, 1, JSON.stringify(results.map((r) => r.status)));
    const p = (await svc.request('GET', `/v1/pause/${pause_id}`, { key: a.live_key })).json;
    assert.equal(p.status, winners[0].kind === 'tap' ? 'responded' : 'cancelled');
  }
});

test('fault: killed and restarted while pauses are pending and messages are being sent; timeouts still fire, nothing is lost or doubled', async () => {
  const a = await svc.createAccount('Crash Co', 'enterprise');
  const mk = (extra) => svc.request('POST', '/v1/pause', { key: a.live_key, body: { ...seedRequest(), ...extra } }).then((r) => r.json);
  const withDefault = await mk({ timeout_hours: undefined, timeout_seconds: 4 });
  const noDefault = await mk({ timeout_hours: undefined, timeout_seconds: 4, timeout_default: undefined });
  const later = await mk({ timeout_hours: undefined, timeout_seconds: 12 });
  const longOne = await mk({});
  // Kill at once: some deliveries may not have run yet.
  await svc.stop();
  await sleep(5000);
  await svc.start();
  // Nothing touches these pauses through GET: the restart recovery and the alarms must.
  const resolved = await eventually(async () => {
    const all = await listAll(a.live_key);
    const by = Object.fromEntries(all.map((p) => [p.pause_id, p]));
    const ok = by[withDefault.pause_id]?.status === 'responded' && by[noDefault.pause_id]?.status === 'timed_out'
      && by[later.pause_id]?.status === 'responded';
    return ok ? by : null;
  }, { timeoutMs: 25_000, everyMs: 500 });
  assert.ok(resolved, 'overdue timeouts fired after the restart and a re-armed alarm fired the later one');
  assert.equal(resolved[withDefault.pause_id].responded_by, 'timeout_default');
  assert.equal(resolved[longOne.pause_id].status, 'pending');
  const lateness = Date.parse(resolved[later.pause_id].responded_at) - Date.parse(resolved[later.pause_id].expires_at);
  assert.ok(lateness >= 0 && lateness < 5000, `re-armed alarm fired ${lateness} ms late`);
  // A pause still pending after the restart got its message exactly once, even when the
  // kill cut its delivery off; one that timed out before its message left needs none, and
  // none is ever sent twice.
  const outbox = (await svc.request('GET', '/dev/outbox')).json.data;
  const sent = (p) => outbox.filter((m) => m.pause_id === p.pause_id).length;
  assert.equal(sent(later), 1, 'pending at the restart: delivered');
  assert.equal(sent(longOne), 1, 'pending at the restart: delivered');
  for (const p of [withDefault, noDefault]) assert.ok(sent(p) <= 1, p.pause_id);
  // The pending one still answers normally after the restart.
  const link = outbox.find((m) => m.pause_id === longOne.pause_id).link;
  assert.equal((await choose(link, 0)).status, 200);
  assert.equal((await svc.request('GET', `/v1/pause/${longOne.pause_id}`, { key: a.live_key })).json.status, 'responded');
});
