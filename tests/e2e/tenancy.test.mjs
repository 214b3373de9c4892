// Tenancy (issue 13): test mode is a separate world, signing secrets are per mode and
// bounded, keys are capped, and concurrent revocations keep a live key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Webhook } from 'standardwebhooks';
import { startService, seedRequest, eventually } from './harness.mjs';

let svc, receiver, hookBase;
const got = new Map(); // path -> [{ id, timestamp, signature, body }]
const gone = new Set(); // paths that answer 410 Gone

before(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const list = got.get(req.url) ?? [];
      list.push({ id: req.headers['webhook-id'], timestamp: req.headers['webhook-timestamp'], signature: req.headers['webhook-signature'], body });
      got.set(req.url, list);
      res.writeHead(gone.has(req.url) ? 410 : 200).end('ok');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  hookBase = `http://127.0.0.1:${receiver.address().port}`;
  svc = await startService({ vars: { WEBHOOK_RETRY_SCHEDULE: '1,1' } });
});
after(async () => {
  await svc?.cleanup();
  receiver?.close();
});

let seq = 0;
const endpoint = () => {
  const path = `/tenancy/${++seq}`;
  return { path, url: hookBase + path, received: () => got.get(path) ?? [] };
};
const create = async (key, extra = {}, headers = {}) => {
  const r = await svc.request('POST', '/v1/pause', { key, body: { ...seedRequest(), ...extra }, headers });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
const get = (key, path) => svc.request('GET', path, { key });
const verifies = (secret, msg) => {
  try {
    new Webhook(secret).verify(msg.body, { 'webhook-id': msg.id, 'webhook-timestamp': msg.timestamp, 'webhook-signature': msg.signature });
    return true;
  } catch {
    return false;
  }
};
/// Cancels the pause and returns the webhook its endpoint received.
async function cancelledEvent(key, pauseId, ep) {
  assert.equal((await svc.request('DELETE', `/v1/pause/${pauseId}`, { key })).status, 200);
  const msg = await eventually(() => ep.received()[0], { timeoutMs: 20_000 });
  assert.ok(msg, `no webhook for ${pauseId}`);
  return msg;
}
const mcpCall = (key, name, args) => svc.request('POST', '/mcp', {
  key,
  headers: { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
  body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } },
});

test('a test key reads, waits on, cancels, lists and audits only test-mode pauses (and a live key only live ones)', async () => {
  const a = await svc.createAccount('Sandbox Co', 'pro');
  const live = await create(a.live_key);
  const sandbox = await create(a.test_key);
  assert.equal(sandbox.livemode, false);

  for (const [key, other] of [[a.test_key, live.pause_id], [a.live_key, sandbox.pause_id]]) {
    for (const path of [`/v1/pause/${other}`, `/v1/pause/${other}?wait=1`, `/v1/pause/${other}/webhooks`, `/v1/audit/verify?pause_id=${other}`]) {
      const r = await get(key, path);
      assert.equal(r.status, 404, `${path}: ${r.text}`);
      assert.equal(r.json.error.code, 'pause_not_found');
    }
    const cancel = await svc.request('POST', `/v1/pause/${other}/cancel`, { key });
    assert.equal(cancel.status, 404, cancel.text);
    assert.equal((await svc.request('DELETE', `/v1/pause/${other}`, { key })).status, 404);
    const replay = await svc.request('POST', `/v1/pause/${other}/webhooks/msg_000000000000000000000000/replay`, { key });
    assert.equal(replay.status, 404);
    assert.equal(replay.json.error.code, 'pause_not_found');
    // The other mode's pause as a listing cursor is unknown too.
    assert.equal((await get(key, `/v1/pauses?cursor=${other}`)).status, 400);
    // Through MCP as well.
    const polled = await mcpCall(key, 'poll_pause_request', { pause_id: other });
    assert.equal(polled.json.result.isError, true);
    assert.equal(polled.json.result.structuredContent.error.code, 'pause_not_found');
  }
  // Nothing the other mode tried changed anything.
  assert.equal((await get(a.live_key, `/v1/pause/${live.pause_id}`)).json.status, 'pending');
  assert.equal((await get(a.test_key, `/v1/pause/${sandbox.pause_id}`)).json.status, 'pending');

  const ids = async (key, path = '/v1/pauses?limit=100') => (await get(key, path)).json.data.map((p) => p.pause_id);
  assert.deepEqual(await ids(a.test_key), [sandbox.pause_id]);
  assert.deepEqual(await ids(a.live_key), [live.pause_id]);
  const mcpList = await mcpCall(a.test_key, 'list_pause_requests', {});
  assert.deepEqual(mcpList.json.result.structuredContent.data.map((p) => p.pause_id), [sandbox.pause_id]);

  // Audit: listing, exports and verification stay within the mode.
  const auditPauses = async (key, q = '') => {
    const rows = await eventually(async () => {
      const r = (await get(key, `/v1/audit?limit=500${q}`)).json.data;
      return r.length ? r : null;
    });
    return new Set(rows.map((e) => e.pause_id));
  };
  assert.deepEqual([...await auditPauses(a.test_key)], [sandbox.pause_id]);
  assert.deepEqual([...await auditPauses(a.live_key)], [live.pause_id]);
  const ndjson = (await get(a.test_key, '/v1/audit?format=ndjson')).text.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(ndjson.length > 0 && ndjson.every((e) => e.pause_id === sandbox.pause_id), 'the export holds only test-mode rows');
  const csv = (await get(a.live_key, '/v1/audit?format=csv')).text;
  assert.ok(csv.includes(live.pause_id) && !csv.includes(sandbox.pause_id));
  const liveRow = (await get(a.live_key, '/v1/audit?limit=1')).json.data[0];
  assert.equal((await get(a.test_key, `/v1/audit?cursor=${liveRow.event_id}`)).status, 400, "a live row is not a test key's cursor");
  assert.equal((await get(a.test_key, `/v1/audit/verify?pause_id=${sandbox.pause_id}`)).json.valid, true);

  // Each mode cancels its own.
  assert.equal((await svc.request('POST', `/v1/pause/${sandbox.pause_id}/cancel`, { key: a.test_key })).json.status, 'cancelled');
});

test('idempotency keys are scoped by mode: the same key makes one live and one test pause', async () => {
  const a = await svc.createAccount('Idempotent Modes Co', 'pro');
  const h = { 'idempotency-key': 'order-7781' };
  const live = await create(a.live_key, {}, h);
  const sandbox = await create(a.test_key, {}, h);
  assert.notEqual(live.pause_id, sandbox.pause_id);
  assert.equal(live.livemode, true);
  assert.equal(sandbox.livemode, false);
  const again = await svc.request('POST', '/v1/pause', { key: a.test_key, body: seedRequest(), headers: h });
  assert.equal(again.status, 201);
  assert.equal(again.json.pause_id, sandbox.pause_id);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
});

test('test mode has its own webhook secret; a test key cannot rotate the live one', async () => {
  const a = await svc.createAccount('Secret Modes Co', 'pro');
  assert.match(a.test_webhook_secret, /^whsec_/);
  assert.notEqual(a.test_webhook_secret, a.webhook_secret);

  const epTest = endpoint();
  const t = await create(a.test_key, { webhook_url: epTest.url });
  const testMsg = await cancelledEvent(a.test_key, t.pause_id, epTest);
  assert.ok(verifies(a.test_webhook_secret, testMsg), 'test events are signed with the test secret');
  assert.ok(!verifies(a.webhook_secret, testMsg), 'and not with the live one');

  const refused = await svc.request('POST', '/v1/webhook_secret/rotate', { key: a.test_key, body: { mode: 'live' } });
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.json.error.code, 'forbidden');
  assert.match(refused.json.error.message, /live key/);

  const rotated = await svc.request('POST', '/v1/webhook_secret/rotate', { key: a.test_key });
  assert.equal(rotated.status, 200, rotated.text);
  assert.equal(rotated.json.livemode, false);
  const forged = rotated.json.secret;

  const epLive = endpoint();
  const l = await create(a.live_key, { webhook_url: epLive.url });
  const liveMsg = await cancelledEvent(a.live_key, l.pause_id, epLive);
  assert.ok(verifies(a.webhook_secret, liveMsg), 'the live secret is unchanged');
  assert.equal(liveMsg.signature.split(' ').length, 1, 'no test rotation reached the live secret');
  for (const s of [forged, a.test_webhook_secret]) assert.ok(!verifies(s, liveMsg), 'no test secret verifies a live event');

  const bad = await svc.request('POST', '/v1/webhook_secret/rotate', { key: a.live_key, body: { mode: 'sandbox' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.param, 'mode');
});

test('at most two secrets sign at once, and rotations are limited to five an hour per mode', async () => {
  const a = await svc.createAccount('Rotation Co', 'pro');
  const rotate = (key = a.live_key) => svc.request('POST', '/v1/webhook_secret/rotate', { key });
  const issued = [a.webhook_secret];
  for (let i = 0; i < 3; i++) {
    const r = await rotate();
    assert.equal(r.status, 200, r.text);
    issued.push(r.json.secret);
  }
  const ep = endpoint();
  const p = await create(a.live_key, { webhook_url: ep.url });
  const msg = await cancelledEvent(a.live_key, p.pause_id, ep);
  assert.equal(msg.signature.split(' ').length, 2, 'the newest and the one in its grace period');
  assert.deepEqual(issued.map((s) => verifies(s, msg)), [false, false, true, true]);

  for (let i = 0; i < 2; i++) assert.equal((await rotate()).status, 200);
  const limited = await rotate();
  assert.equal(limited.status, 429, limited.text);
  assert.equal(limited.json.error.code, 'rate_limited');
  assert.match(limited.json.error.message, /at most 5 times an hour/);
  const wait = Number(limited.headers.get('retry-after'));
  assert.ok(wait > 3000 && wait <= 3600, `Retry-After ${wait}`);
  // The other mode has its own allowance.
  assert.equal((await rotate(a.test_key)).status, 200);
});

test('an account holds at most 20 active keys; rotation counts, revocation frees a place', async () => {
  const a = await svc.createAccount('Many Keys Co', 'pro');
  for (let i = 0; i < 18; i++) {
    const r = await svc.request('POST', '/v1/keys', { key: a.live_key, body: { mode: i % 2 ? 'live' : 'test' } });
    assert.equal(r.status, 201, r.text);
  }
  const over = await svc.request('POST', '/v1/keys', { key: a.live_key, body: { mode: 'test' } });
  assert.equal(over.status, 403, over.text);
  assert.equal(over.json.error.code, 'key_limit_exceeded');
  assert.match(over.json.error.message, /20 active API keys/);
  const keys = (await get(a.live_key, '/v1/keys')).json.data;
  assert.equal(keys.filter((k) => k.active).length, 20);
  const victim = keys.find((k) => k.mode === 'test');
  const graceful = await svc.request('POST', `/v1/keys/${victim.id}/rotate`, { key: a.live_key, body: { grace_seconds: 60 } });
  assert.equal(graceful.status, 403, 'a rotation with grace would hold 21');
  assert.equal(graceful.json.error.code, 'key_limit_exceeded');
  const replaced = await svc.request('POST', `/v1/keys/${victim.id}/rotate`, { key: a.live_key });
  assert.equal(replaced.status, 201, `a rotation without grace replaces: ${replaced.text}`);
  assert.equal((await svc.request('POST', `/v1/keys/${replaced.json.new_key.id}/revoke`, { key: a.live_key })).status, 200);
  assert.equal((await svc.request('POST', '/v1/keys', { key: a.live_key, body: { mode: 'test' } })).status, 201);
});

test('two live keys revoked concurrently: exactly one succeeds, the other is last_live_key', async () => {
  for (let round = 0; round < 6; round++) {
    const a = await svc.createAccount(`Race Co ${round}`, 'pro');
    const second = await svc.request('POST', '/v1/keys', { key: a.live_key, body: { mode: 'live' } });
    assert.equal(second.status, 201);
    const live = (await get(a.live_key, '/v1/keys')).json.data.filter((k) => k.mode === 'live');
    assert.equal(live.length, 2);
    const rs = await Promise.all(live.map((k) => svc.request('POST', `/v1/keys/${k.id}/revoke`, { key: a.live_key })));
    const statuses = rs.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 409], rs.map((r) => r.text).join('\n'));
    assert.equal(rs.find((r) => r.status === 409).json.error.code, 'last_live_key');
    const survivor = live.find((k) => k.id !== rs.find((r) => r.status === 200).json.id);
    const after = (await get(second.json.secret, '/v1/keys')).status === 200 ? second.json.secret : a.live_key;
    const keys = (await get(after, '/v1/keys')).json.data;
    assert.deepEqual(keys.filter((k) => k.mode === 'live' && k.active).map((k) => k.id), [survivor.id]);
  }
});

test('many live keys revoked at once: all but one are revoked, one live key always remains', async () => {
  for (let round = 0; round < 3; round++) {
    const a = await svc.createAccount(`Stampede Co ${round}`, 'pro');
    for (let i = 0; i < 5; i++) {
      assert.equal((await svc.request('POST', '/v1/keys', { key: a.live_key, body: { mode: 'live' } })).status, 201);
    }
    const live = (await get(a.live_key, '/v1/keys')).json.data.filter((k) => k.mode === 'live');
    assert.equal(live.length, 6);
    const rs = await Promise.all(live.map((k) => svc.request('POST', `/v1/keys/${k.id}/revoke`, { key: a.live_key })));
    const ok = rs.filter((r) => r.status === 200);
    const refused = rs.filter((r) => r.status === 409);
    assert.equal(ok.length, 5, rs.map((r) => r.text).join('\n'));
    assert.equal(refused.length, 1);
    assert.equal(refused[0].json.error.code, 'last_live_key');
  }
});

test("an endpoint's 410 Gone disables it for that mode only; a test replay does not re-enable it for live", async () => {
  const acct = await svc.createAccount('Gone Co');
  const ep = endpoint();
  /// The pause's one webhook event once it is no longer pending.
  const finished = async (key, id) => {
    let last;
    const e = await eventually(async () => {
      [last] = (await get(key, `/v1/pause/${id}/webhooks`)).json.data ?? [];
      return last && last.status !== 'pending' ? last : null;
    }, { timeoutMs: 30_000, everyMs: 250 });
    assert.ok(e, `webhook event of ${id} never finished; last seen: ${JSON.stringify(last)}`);
    return e;
  };
  const cancelled = async (key) => {
    const p = await create(key, { webhook_url: ep.url });
    assert.equal((await svc.request('DELETE', `/v1/pause/${p.pause_id}`, { key })).status, 200);
    return finished(key, p.pause_id).then((e) => ({ pause: p, event: e }));
  };

  // A test event answered 410: the endpoint is disabled for test mode...
  gone.add(ep.path);
  const t1 = await cancelled(acct.test_key);
  assert.equal(t1.event.failure_reason, 'endpoint_gone');
  gone.delete(ep.path);
  assert.equal((await cancelled(acct.test_key)).event.failure_reason, 'endpoint_disabled');
  // ...and live events still go out.
  const l1 = await cancelled(acct.live_key);
  assert.equal(l1.event.status, 'succeeded', JSON.stringify(l1.event));

  // A live event answered 410: disabled for live. A test key's replay re-enables the
  // endpoint for test mode only; live events stay stopped.
  gone.add(ep.path);
  assert.equal((await cancelled(acct.live_key)).event.failure_reason, 'endpoint_gone');
  gone.delete(ep.path);
  const r = await svc.request('POST', `/v1/pause/${t1.pause.pause_id}/webhooks/${t1.event.event_id}/replay`, { key: acct.test_key });
  assert.equal(r.status, 202, r.text);
  assert.equal((await finished(acct.test_key, t1.pause.pause_id)).status, 'succeeded');
  assert.equal((await cancelled(acct.live_key)).event.failure_reason, 'endpoint_disabled');
});
