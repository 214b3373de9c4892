// Long-polling: GET /v1/pause/{id}?wait=N holds until the pause leaves `pending` or N passes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startService, seedRequest, choose, sleep } from './harness.mjs';

let svc, acct;
before(async () => {
  svc = await startService();
  acct = await svc.createAccount('Acme Payments');
});
after(async () => svc?.cleanup());

const create = (body) => svc.request('POST', '/v1/pause', { key: acct.live_key, body });
const wait = (id, q) => svc.request('GET', `/v1/pause/${id}?wait=${q}`, { key: acct.live_key });

test('many concurrent waiters on one pause all wake with the answer', async () => {
  const { pause_id } = (await create(seedRequest())).json;
  const link = await svc.linkFor(pause_id);
  const started = Date.now();
  const waiters = Array.from({ length: 8 }, () => wait(pause_id, 50));
  await sleep(1500); // let them all park in the Durable Object
  assert.equal((await choose(link, 0)).status, 200);
  const results = await Promise.all(waiters);
  const elapsed = Date.now() - started;
  for (const r of results) {
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'responded');
    assert.equal(r.json.response_choice, 'Approve');
  }
  assert.ok(elapsed < 30_000, `waiters woke on the answer, not at the 50 s limit (${elapsed} ms)`);
});

test('a wait with nothing happening returns pending after about N seconds', async () => {
  const { pause_id } = (await create(seedRequest())).json;
  const started = Date.now();
  const r = await wait(pause_id, 3);
  const elapsed = Date.now() - started;
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'pending');
  assert.ok(elapsed >= 2_900, `held for the wait (${elapsed} ms)`);
  assert.ok(elapsed < 20_000, `returned at the wait, not later (${elapsed} ms)`);
});

test('the timeout firing during a wait wakes it with the default answer', async () => {
  const { pause_id } = (await create({ ...seedRequest(), timeout_hours: undefined, timeout_seconds: 2 })).json;
  const started = Date.now();
  const r = await wait(pause_id, 40);
  const elapsed = Date.now() - started;
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'responded');
  assert.equal(r.json.response_choice, 'Reject');
  assert.equal(r.json.responded_by, 'timeout_default');
  assert.ok(elapsed < 30_000, `woken by the timeout, not the 40 s limit (${elapsed} ms)`);
});

test('the timeout without a default wakes a waiter with timed_out', async () => {
  const body = { ...seedRequest(), timeout_hours: undefined, timeout_default: undefined, timeout_seconds: 2 };
  const { pause_id } = (await create(body)).json;
  const r = await wait(pause_id, 40);
  assert.equal(r.json.status, 'timed_out');
  assert.equal(r.json.response_choice, null);
});

test('cancelling wakes a waiter', async () => {
  const { pause_id } = (await create(seedRequest())).json;
  const w = wait(pause_id, 40);
  await sleep(1000);
  const c = await svc.request('POST', `/v1/pause/${pause_id}/cancel`, { key: acct.live_key });
  assert.equal(c.status, 200);
  const r = await w;
  assert.equal(r.json.status, 'cancelled');
});

test('wait=0 and fractional waits are accepted; a finished pause answers at once', async () => {
  const { pause_id } = (await create(seedRequest())).json;
  const zero = await wait(pause_id, 0);
  assert.equal(zero.status, 200);
  assert.equal(zero.json.status, 'pending');
  const fracStart = Date.now();
  const frac = await wait(pause_id, 0.5);
  assert.ok(Date.now() - fracStart >= 450, 'a fractional wait is held, not rounded to 0');
  assert.equal(frac.status, 200);
  assert.equal(frac.json.status, 'pending');
  await choose(await svc.linkFor(pause_id), 1);
  const started = Date.now();
  const done = await wait(pause_id, 55); // the maximum is accepted
  assert.equal(done.json.response_choice, 'Reject');
  assert.ok(Date.now() - started < 20_000, 'no wait on a finished pause');
});

test('bad waits are refused with a clear error', async () => {
  const { pause_id } = (await create(seedRequest())).json;
  for (const bad of ['-1', 'abc', '56', 'NaN', 'Infinity', '1e9']) {
    const r = await wait(pause_id, bad);
    assert.equal(r.status, 400, `wait=${bad}`);
    assert.equal(r.json.error.param, 'wait');
    assert.equal(r.json.error.code, 'parameter_invalid');
  }
});

test('waiting on another account\'s pause is not found, without waiting', async () => {
  const { pause_id } = (await create(seedRequest())).json;
  const other = await svc.createAccount('Other Co');
  const started = Date.now();
  const r = await svc.request('GET', `/v1/pause/${pause_id}?wait=30`, { key: other.live_key });
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, 'pause_not_found');
  assert.ok(Date.now() - started < 20_000);
});
