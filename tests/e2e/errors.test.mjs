// Bad input gets a clear error and changes nothing; links cannot be forged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startService, seedRequest, choose, sleep } from './harness.mjs';

let svc, acct, other;
before(async () => {
  svc = await startService();
  acct = await svc.createAccount('Acme Payments');
  other = await svc.createAccount('Other Corp');
});
after(async () => svc?.cleanup());

const count = async (key) => (await svc.request('GET', '/v1/pauses?limit=100', { key })).json.data.length;

test('bad create requests get the documented error and create nothing', async () => {
  const before = await count(acct.live_key);
  const s = seedRequest();
  const cases = [
    [{ ...s, recipient: undefined }, 400, 'parameter_missing', 'recipient'],
    [{ ...s, recipient: '312 847 1928' }, 400, 'parameter_invalid', 'recipient'],
    [{ ...s, message: '' }, 400, 'parameter_invalid', 'message'],
    [{ ...s, options: ['Approve'] }, 400, 'parameter_invalid', 'options'],
    [{ ...s, options: ['Approve', 'approve'] }, 400, 'parameter_invalid', 'options'],
    [{ ...s, timeout_default: 'Maybe' }, 400, 'parameter_invalid', 'timeout_default'],
    [{ ...s, timeout_hours: 24 * 365 }, 400, 'parameter_invalid', 'timeout_hours'],
    [{ ...s, timeout_hours: -1 }, 400, 'parameter_invalid', 'timeout_hours'],
    [{ ...s, timeout_seconds: 60 }, 400, 'parameter_invalid', 'timeout_seconds'],
    [{ ...s, channel: 'fax' }, 400, 'parameter_invalid', 'channel'],
    [{ ...s, webhook_url: 'http://example.com/hook' }, 400, 'parameter_invalid', 'webhook_url'],
    [{ ...s, metadata: 'x' }, 400, 'parameter_invalid', 'metadata'],
    [{ ...s, timout_default: 'Reject' }, 400, 'parameter_unknown', 'timout_default'],
  ];
  for (const [body, status, code, param] of cases) {
    const r = await svc.request('POST', '/v1/pause', { key: acct.live_key, body });
    assert.equal(r.status, status, `${JSON.stringify(body)} -> ${r.text}`);
    assert.equal(r.json.error.code, code, r.text);
    assert.equal(r.json.error.param, param, r.text);
    assert.ok(r.json.error.message.length > 10);
    assert.match(r.json.error.request_id, /^req_/);
  }
  const raw = [
    ['{"recipient":', 'application/json', 400, 'invalid_json'],
    ['[1,2]', 'application/json', 400, 'invalid_json'],
    ['', 'application/json', 400, 'invalid_json'],
    ['recipient=1', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type'],
    [JSON.stringify({ ...s, message: 'x'.repeat(70_000) }), 'application/json', 413, 'body_too_large'],
  ];
  for (const [body, ct, status, code] of raw) {
    const r = await svc.request('POST', '/v1/pause', { key: acct.live_key, raw: body, headers: { 'content-type': ct } });
    assert.equal(r.status, status, r.text);
    assert.equal(r.json.error.code, code);
  }
  assert.equal(await count(acct.live_key), before, 'nothing was created');
  const outbox = (await svc.request('GET', '/dev/outbox')).json.data;
  assert.equal(outbox.length, 0, 'nothing was sent');
});

test('authentication: missing, malformed and unknown keys get 401', async () => {
  const noKey = await svc.request('GET', '/v1/pauses');
  assert.equal(noKey.status, 401);
  assert.equal(noKey.json.error.code, 'api_key_missing');
  for (const key of ['pp_live_nope', 'pp_live_' + '0'.repeat(40), acct.live_key.replace(/.$/, 'x')]) {
    const r = await svc.request('GET', '/v1/pauses', { key });
    assert.equal(r.status, 401);
    assert.equal(r.json.error.code, 'api_key_invalid');
  }
  const r = await svc.request('POST', '/v1/pause', { body: seedRequest() });
  assert.equal(r.status, 401);
  const admin = await svc.request('POST', '/admin/accounts', { headers: { authorization: 'Bearer wrong' }, body: { name: 'x' } });
  assert.equal(admin.status, 401);
});

test('one account never sees another account\'s pause', async () => {
  const mine = (await svc.request('POST', '/v1/pause', { key: acct.live_key, body: seedRequest() })).json;
  for (const [method, path] of [
    ['GET', `/v1/pause/${mine.pause_id}`],
    ['GET', `/v1/pause/${mine.pause_id}?wait=1`],
    ['POST', `/v1/pause/${mine.pause_id}/cancel`],
    ['DELETE', `/v1/pause/${mine.pause_id}`],
  ]) {
    const r = await svc.request(method, path, { key: other.live_key });
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.equal(r.json.error.code, 'pause_not_found');
  }
  const list = await svc.request('GET', '/v1/pauses?limit=100', { key: other.live_key });
  assert.ok(!list.json.data.some((p) => p.pause_id === mine.pause_id));
  assert.equal((await svc.request('GET', `/v1/pause/${mine.pause_id}`, { key: acct.live_key })).json.status, 'pending');
});

test('unknown ids, routes and methods', async () => {
  const k = { key: acct.live_key };
  assert.equal((await svc.request('GET', '/v1/pause/pause_000000000000000000000000', k)).status, 404);
  assert.equal((await svc.request('GET', '/v1/pause/not-an-id', k)).status, 404);
  assert.equal((await svc.request('GET', '/v1/nothing', k)).json.error.code, 'route_not_found');
  const m = await svc.request('PUT', '/v1/pause', k);
  assert.equal(m.status, 405);
  assert.equal(m.headers.get('allow'), 'POST');
  const w = await svc.request('GET', '/v1/pause/pause_000000000000000000000000?wait=99', k);
  assert.equal(w.status, 400);
  assert.equal(w.json.error.param, 'wait');
});

function sign(secret, idHex, expires) {
  const payload = Buffer.concat([Buffer.from(idHex, 'hex'), Buffer.alloc(4)]);
  payload.writeUInt32BE(expires, 12);
  const mac = createHmac('sha256', secret).update('pausepoint-link-v1:').update(payload).digest().subarray(0, 10);
  return Buffer.concat([payload, mac]).toString('base64url');
}

test('forged, altered and expired links are refused and change nothing', async () => {
  const p = (await svc.request('POST', '/v1/pause', { key: acct.live_key, body: seedRequest() })).json;
  const link = await svc.linkFor(p.pause_id);
  const token = link.split('/r/')[1];
  const base = link.split('/r/')[0];
  const altered = token.slice(0, 5) + (token[5] === 'A' ? 'B' : 'A') + token.slice(6);
  const idHex = p.pause_id.slice('pause_'.length);
  const forged = sign('a-guessed-secret', idHex, Math.floor(Date.now() / 1000) + 3600);
  for (const t of [altered, forged, token.slice(1), 'x'.repeat(35), 'short']) {
    const g = await fetch(`${base}/r/${t}`);
    assert.equal(g.status, 404, t);
    assert.ok((await g.text()).includes('not valid'));
    const c = await choose(`${base}/r/${t}`, 0);
    assert.equal(c.status, 404);
  }
  assert.equal((await svc.request('GET', `/v1/pause/${p.pause_id}`, { key: acct.live_key })).json.status, 'pending');
  // The real secret signs a valid link (the test knows it): the format is as documented.
  const { TOKEN_SECRET } = await import('./harness.mjs');
  const resigned = sign(TOKEN_SECRET, idHex, Math.floor(Date.parse(p.expires_at) / 1000) + 1);
  assert.equal(resigned, token);

  // An expired link: the pause timed out, the page says so and a tap changes nothing.
  const short = (await svc.request('POST', '/v1/pause', {
    key: acct.live_key,
    body: { ...seedRequest(), timeout_hours: undefined, timeout_seconds: 1, timeout_default: undefined },
  })).json;
  const shortLink = await svc.linkFor(short.pause_id);
  await sleep(1600);
  const late = await choose(shortLink, 0);
  assert.equal(late.status, 410);
  const final = (await svc.request('GET', `/v1/pause/${short.pause_id}`, { key: acct.live_key })).json;
  assert.equal(final.status, 'timed_out');
});

test('a page POST without a valid choice changes nothing', async () => {
  const p = (await svc.request('POST', '/v1/pause', { key: acct.live_key, body: seedRequest() })).json;
  const link = await svc.linkFor(p.pause_id);
  for (const body of ['', 'choice=7', 'choice=-1', 'choice=abc']) {
    const r = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    assert.equal(r.status, 400, body);
  }
  assert.equal((await svc.request('GET', `/v1/pause/${p.pause_id}`, { key: acct.live_key })).json.status, 'pending');
});
