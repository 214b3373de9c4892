// Server-Timing on every API response: time in Durable Objects and in D1, with the
// number of D1 queries, so a client can see where a request's time went.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startService, seedRequest } from './harness.mjs';

const FORMAT = /^do;dur=(\d+(?:\.\d)?), d1;dur=(\d+(?:\.\d)?);desc="(\d+) queries"$/;
const APP = 'https://console.example.invalid';

let svc, acct;
before(async () => {
  svc = await startService({ vars: { CORS_ALLOWED_ORIGINS: APP } });
  acct = await svc.createAccount('Timing Co');
});
after(async () => svc?.cleanup());

function timing(r) {
  const h = r.headers.get('server-timing');
  assert.ok(h, `no Server-Timing on ${r.status} ${r.text}`);
  const m = FORMAT.exec(h);
  assert.ok(m, `Server-Timing not in the documented format: ${h}`);
  return { objectMs: Number(m[1]), d1Ms: Number(m[2]), queries: Number(m[3]) };
}

test('a create goes to D1; a GET with a key already seen makes no D1 query', async () => {
  const created = await svc.request('POST', '/v1/pause', { key: acct.live_key, body: seedRequest() });
  assert.equal(created.status, 201, created.text);
  assert.ok(timing(created).queries >= 1, created.headers.get('server-timing'));

  for (const path of [`/v1/pause/${created.json.pause_id}`, `/v1/pause/${created.json.pause_id}?wait=0.2`]) {
    const got = await svc.request('GET', path, { key: acct.live_key });
    assert.equal(got.status, 200, got.text);
    const t = timing(got);
    assert.equal(t.queries, 0, `${path}: ${got.headers.get('server-timing')}`);
    assert.equal(t.d1Ms, 0);
  }
  const waited = timing(await svc.request('GET', `/v1/pause/${created.json.pause_id}?wait=0.3`, { key: acct.live_key }));
  assert.ok(waited.objectMs >= 250, `a held GET shows its wait in the object: ${waited.objectMs}`);

  // A listing reads D1 only: no object is asked.
  const list = timing(await svc.request('GET', '/v1/pauses', { key: acct.live_key }));
  assert.equal(list.objectMs, 0);
  assert.ok(list.queries >= 1);
});

test('every API response carries it, errors and MCP and admin included', async () => {
  const responses = [
    await svc.request('GET', '/v1/pause/pause_000000000000000000000000', { key: acct.live_key }),
    await svc.request('GET', '/v1/pauses'),
    await svc.request('GET', '/v1/pauses', { key: 'pp_live_not_a_key' }),
    await svc.request('PUT', '/v1/pause', { key: acct.live_key }),
    await svc.request('GET', '/v1/account', { key: acct.test_key }),
    await svc.request('POST', '/mcp', {
      key: acct.live_key,
      body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_pause_requests', arguments: {} } },
      headers: { 'mcp-protocol-version': '2025-06-18' },
    }),
    await svc.request('POST', '/admin/accounts', { body: { name: 'x' } }),
  ];
  for (const r of responses) timing(r);
  assert.equal(responses[0].status, 404);
  // The floor: no object, no D1.
  assert.deepEqual(timing(await svc.request('GET', '/healthz')), { objectMs: 0, d1Ms: 0, queries: 0 });
});

test('console pages carry it: a page without a session reads nothing, one with a cookie looks it up', async () => {
  const form = await svc.request('GET', '/console/sign-in');
  assert.equal(form.status, 200);
  assert.deepEqual(timing(form), { objectMs: 0, d1Ms: 0, queries: 0 });
  timing(await svc.request('GET', '/console/assets/console.css'));
  // A cookie of the right shape that names no session: one D1 lookup, then sign-in.
  const cookie = `pp_session=${'A'.repeat(43)}`;
  const home = await svc.request('GET', '/console', { headers: { cookie } });
  assert.equal(home.status, 303);
  assert.equal(timing(home).queries, 1, home.headers.get('server-timing'));
});

test('browsers allowed by CORS may read it', async () => {
  const r = await svc.request('GET', '/v1/pauses', { key: acct.live_key, headers: { origin: APP } });
  assert.equal(r.headers.get('access-control-allow-origin'), APP);
  const exposed = r.headers.get('access-control-expose-headers').split(',').map((s) => s.trim());
  assert.ok(exposed.includes('server-timing'), exposed.join(', '));
  const other = await svc.request('GET', '/v1/pauses', { key: acct.live_key, headers: { origin: 'https://evil.example.invalid' } });
  assert.equal(other.headers.get('access-control-allow-origin'), null);
});
