// No input crashes the Worker (issue 13, items 1 and 7): hostile text on every surface
// (query strings, headers, JSON and form bodies, provider callbacks, MCP, a webhook
// receiver's Retry-After read by the queue consumer) gets an answer, never a panic,
// and bodies streamed without a Content-Length are cut at the limit with 413. After
// each, the same instance answers the next request: wrangler's log shows no restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startService, seedRequest, eventually, sleep, ADMIN_TOKEN } from './harness.mjs';

const SLACK_SECRET = 'crash-test-slack-signing-secret-0123';
let svc, acct, hostile, good;

/// What a wasm panic or an instance teardown leaves in wrangler's log.
const CRASH = /Reinitializing|Workers runtime canceled|panicked|RuntimeError: unreachable|restarted mid-request/i;

function assertNoCrash(what) {
  const line = svc.logs.split('\n').find((l) => CRASH.test(l));
  assert.equal(line, undefined, `${what}: the instance crashed:\n${svc.logs.slice(-4000)}`);
}

/// A webhook receiver on 127.0.0.1; `answer(req, res)` decides what it replies.
function receiver(answer) {
  return new Promise((resolve) => {
    const hits = [];
    const srv = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        hits.push({ url: req.url, body });
        answer(req, res);
      });
    });
    srv.listen(0, '127.0.0.1', () =>
      resolve({ srv, hits, url: (p = '') => `http://127.0.0.1:${srv.address().port}/hook${p}` }));
  });
}

// Retry-After values that reach the date parser with a multi-byte character where the
// offset's colon goes (é is sent as one latin-1 byte; read as UTF-8 it becomes U+FFFD:
// both forms are covered), and numbers too large for any integer type.
const RETRY_AFTERS = [
  'Sun, 06 Nov 1994 08:49:37+a\u00e9b GMT',
  'Sun, 06 Nov 1994 08:49:37+\u00e9b GMT',
  '2026-01-01T00:00:00+a\u00e9bc',
  'Sun, 06 Nov 1994 08:49:37.\u00e9 GMT',
  'Sun, 99999999999999999999 Nov 1994 08:49:37 GMT',
  '99999999999999999999999999999999',
  '-1',
  '1e999',
];

before(async () => {
  svc = await startService({ vars: { WEBHOOK_RETRY_SCHEDULE: '1,1', SLACK_SIGNING_SECRET: SLACK_SECRET } });
  acct = await svc.createAccount('Crash Co', 'enterprise');
  hostile = await receiver((req, res) => {
    const i = Number(req.url.split('/').pop());
    res.writeHead(i % 2 ? 503 : 429, { 'retry-after': RETRY_AFTERS[i % RETRY_AFTERS.length] });
    res.end('slow down');
  });
  good = await receiver((req, res) => res.writeHead(204).end());
});
after(async () => {
  hostile?.srv.close();
  good?.srv.close();
  await svc?.cleanup();
});

const k = () => ({ key: acct.live_key });
const create = async (extra = {}) => {
  const r = await svc.request('POST', '/v1/pause', { ...k(), body: { ...seedRequest(), ...extra } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};

const raw = (...args) => svc.raw(...args);

test('the reported audit `since` is a 400 naming the parameter, not a crash', async () => {
  const r = await svc.request('GET', '/v1/audit?since=2026-01-01T00:00:00%2Ba%C3%A9bc', k());
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.param, 'since');
  assert.equal((await svc.request('GET', '/healthz')).status, 200);
  assertNoCrash('audit since');
});

test('hostile input on every surface gets an answer below 500', async () => {
  const p = await create();
  const link = await svc.linkFor(p.pause_id);
  const token = new URL(link).pathname;
  const weird = ['%C3%A9', '%F0%9F%98%80', '%00', '%FF%FE', '\u00e9'.repeat(3), '9'.repeat(40), '-0', '1e999', 'NaN'];
  const requests = [];
  for (const w of weird) {
    for (const q of ['wait', 'x']) requests.push(['GET', `/v1/pause/${p.pause_id}?${q}=${w}`]);
    requests.push(['GET', `/v1/pause/pause_${w}`], ['DELETE', `/v1/pause/${w}`]);
    requests.push(['GET', `/v1/pauses?limit=${w}&status=${w}&cursor=pause_${w}`]);
    for (const q of ['since', 'until', 'cursor', 'type', 'actor', 'limit', 'format', 'pause_id', w]) {
      requests.push(['GET', `/v1/audit?${q}=2026-01-01T00:00:00${w}`], ['GET', `/v1/audit?${q}=evt_${w}&format=csv`]);
    }
    requests.push(['GET', `/v1/audit/verify?pause_id=pause_${w}`], ['GET', `/v1/pause/${p.pause_id}/webhooks/${w}`]);
    requests.push(['POST', `/v1/pause/${p.pause_id}/webhooks/msg_${w}/replay`], ['POST', `/v1/keys/key_${w}/rotate`]);
    requests.push(['GET', `/r/${w}`], ['GET', `${token}?c=${w}`], ['GET', `/r/${'A'.repeat(34)}${w}`]);
    requests.push(['GET', `/dev/outbox?pause_id=${w}`], ['GET', `/v1/test/outbox?pause_id=${w}`]);
  }
  for (const [method, path] of requests) {
    const r = await svc.request(method, path, k());
    assert.ok(r.status < 500, `${method} ${path}: ${r.status} ${r.text.slice(0, 300)}`);
  }
  assertNoCrash('query strings and paths');

  const bodies = [
    '{"recipient":"+1\u0301 312 847 1928","message":"\ud800","options":["a","b"]}',
    JSON.stringify({ ...seedRequest(), webhook_url: 'https://[\u00e9' }),
    JSON.stringify({ ...seedRequest(), webhook_url: 'http://127.0.0.1:\u00e9/' }),
    JSON.stringify({ ...seedRequest(), timeout_hours: 1e308 }),
    JSON.stringify({ ...seedRequest(), timeout_hours: undefined, timeout_seconds: -1e308 }),
    JSON.stringify({ ...seedRequest(), channel: 'slack', recipient: '#\u00e9\u00e9' }),
    JSON.stringify({ ...seedRequest(), channel: 'email', recipient: '\u00e9@\u00e9.\u00e9' }),
    JSON.stringify({ ...seedRequest(), options: ['\u00e9'.repeat(41), 'b'] }),
    JSON.stringify({ ...seedRequest(), metadata: { a: '\u00e9'.repeat(5000) } }),
    '['.repeat(5000) + ']'.repeat(5000),
    Buffer.from([0x7b, 0xff, 0xfe, 0x22, 0xc3, 0x7d]),
  ];
  for (const body of bodies) {
    const r = await svc.request('POST', '/v1/pause', { ...k(), raw: body, headers: { 'content-type': 'application/json' } });
    assert.ok(r.status < 500, `POST /v1/pause ${String(body).slice(0, 80)}: ${r.status} ${r.text.slice(0, 300)}`);
  }
  for (const body of ['{"mode":"\u00e9"}', '{"grace_seconds":1e308}', '{"grace_seconds":-9223372036854775809}']) {
    for (const path of ['/v1/keys', `/v1/keys/${(await svc.request('GET', '/v1/keys', k())).json.data[0].id}/rotate`]) {
      const r = await svc.request('POST', path, { ...k(), raw: body, headers: { 'content-type': 'application/json' } });
      assert.ok(r.status < 500, `POST ${path} ${body}: ${r.status} ${r.text}`);
    }
  }
  assertNoCrash('JSON bodies');

  // Headers with bytes outside ASCII: keys, idempotency keys, MCP version, Origin.
  for (const [name, value] of [
    ['authorization', 'Bearer \u00e9\u00e9'], ['authorization', '\u00e9'], ['idempotency-key', 'k\u00e9y'],
    ['content-type', 'application/json\u00e9'],
  ]) {
    const r = await raw('POST', '/v1/pause', {
      headers: { authorization: `Bearer ${acct.live_key}`, 'content-type': 'application/json', [name]: value },
      body: JSON.stringify(seedRequest()),
    });
    assert.ok(r.status < 500, `${name}: ${r.status} ${r.text.slice(0, 300)}`);
  }
  const mcp = (body, headers = {}) => raw('POST', '/mcp', {
    headers: { authorization: `Bearer ${acct.live_key}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const call = (name, args) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });
  for (const [body, headers] of [
    [{ jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-protocol-version': '2025-11-25\u00e9' }],
    [{ jsonrpc: '2.0', id: 1, method: 'ping' }, { origin: 'http://\u00e9.invalid' }],
    [{ jsonrpc: '2.0', id: 1, method: 'ping', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '\u00e9' } } }, {}],
    [{ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '\ud83d' } }, {}],
    [call('poll_pause_request', { pause_id: p.pause_id, wait_seconds: '1e999' }), {}],
    [call('poll_pause_request', { pause_id: `pause_\u00e9`, wait_seconds: -1e308 }), {}],
    [call('list_pause_requests', { limit: 1e308, cursor: '\u00e9', status: '\u00e9' }), {}],
    [call('get_audit_log', { pause_id: '\u00e9', limit: '\u00e9', cursor: 'evt_\u00e9' }), {}],
    [call('create_pause_request', { ...seedRequest(), timeout_hours: '\u00e9' }), {}],
    [call('\u00e9', null), {}],
  ]) {
    const r = await mcp(body, headers);
    assert.ok(r.status < 500, `mcp ${JSON.stringify(body).slice(0, 100)}: ${r.status} ${r.text.slice(0, 300)}`);
  }
  assertNoCrash('headers and MCP');

  // The page's form and the providers' callbacks (Slack's is verified: a hostile
  // timestamp reaches the window check).
  for (const body of ['choice=18446744073709551616', 'choice=%FF%FE&comment=%C3', 'choice=-1&confirm=%00', 'comment=' + '%C3%A9'.repeat(600)]) {
    const r = await raw('POST', token, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    assert.ok(r.status < 500, `page ${body.slice(0, 40)}: ${r.status}`);
  }
  for (const ts of ['-9223372036854775808', '9223372036854775807', '\u00e9', '1e999']) {
    const r = await raw('POST', '/callbacks/slack/interactivity', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': 'v0=\u00e9' },
      body: 'payload=%7B%22type%22%3A%22block_actions%22%7D',
    });
    assert.equal(r.status, 403, `slack ts ${ts}: ${r.status} ${r.text}`);
  }
  const tw = await raw('POST', `/callbacks/twilio/status?pause_id=${p.pause_id}%C3%A9`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': '\u00e9' }, body: 'MessageStatus=%FF' });
  assert.ok(tw.status < 500, `twilio: ${tw.status}`);
  assertNoCrash('forms and callbacks');
  assert.equal((await svc.request('GET', `/v1/pause/${p.pause_id}`, k())).status, 200);
});

test('a receiver answering hostile Retry-After values cannot crash the queue consumer', async () => {
  // One pause per hostile value, all through the real queue consumer.
  const hostiles = [];
  for (let i = 0; i < RETRY_AFTERS.length; i++) hostiles.push(await create({ webhook_url: hostile.url(`/${i}`) }));
  for (const p of hostiles) assert.equal((await svc.request('POST', `/v1/pause/${p.pause_id}/cancel`, k())).status, 200);
  const reached = await eventually(() => RETRY_AFTERS.every((_, i) => hostile.hits.some((h) => h.url === `/hook/${i}`)), { timeoutMs: 30_000 });
  assert.ok(reached, `every hostile receiver was called: ${JSON.stringify(hostile.hits.map((h) => h.url))}`);
  await sleep(3000); // the consumer finishes the attempts and schedules the retries
  for (const p of hostiles) {
    const events = await eventually(async () => {
      const r = await svc.request('GET', `/v1/pause/${p.pause_id}/webhooks`, k());
      return r.json?.data?.[0]?.attempts?.length ? r.json.data[0] : null;
    });
    assert.ok(events, `the attempt on ${p.webhook_url} was recorded`);
    assert.ok([429, 503].includes(events.attempts[0].status_code), JSON.stringify(events.attempts[0]));
  }
  assertNoCrash('hostile Retry-After');

  // Another pause of the same account still gets its webhook, from the same instance.
  const ok = await create({ webhook_url: good.url('/ok') });
  assert.equal((await svc.request('POST', `/v1/pause/${ok.pause_id}/cancel`, k())).status, 200);
  const got = await eventually(() => good.hits.find((h) => JSON.parse(h.body).data?.pause_id === ok.pause_id), { timeoutMs: 30_000 });
  assert.ok(got, 'the other pause\'s webhook arrived');
  assert.equal(JSON.parse(got.body).type, 'pause.cancelled');
  assertNoCrash('after the hostile receiver');
});

/// POSTs `total` bytes with chunked transfer encoding (no Content-Length), in pieces.
function chunked(path, headers, total = 1 << 20, piece = 16 << 10) {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(svc.base + path, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      answered = true;
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let json;
        try { json = JSON.parse(text); } catch {}
        resolve({ status: res.statusCode, text, json });
      });
    });
    // The server may answer and close before it read everything: that is the point.
    req.on('error', (e) => { if (!answered) reject(e); });
    let sent = 0;
    const pump = () => {
      while (sent < total && !answered) {
        sent += piece;
        if (!req.write(Buffer.alloc(piece, 0x61))) return req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

test('chunked bodies without Content-Length are cut at the limit with 413 on every route that reads one', async () => {
  const p = await create();
  const link = new URL(await svc.linkFor(p.pause_id)).pathname;
  const keyId = (await svc.request('GET', '/v1/keys', k())).json.data[0].id;
  const json = { authorization: `Bearer ${acct.live_key}`, 'content-type': 'application/json' };
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const routes = [
    ['/v1/pause', json],
    ['/v1/keys', json],
    [`/v1/keys/${keyId}/rotate`, json],
    ['/admin/accounts', { ...json, authorization: `Bearer ${ADMIN_TOKEN}` }],
    ['/mcp', json],
    [link, form],
    [`/callbacks/twilio/status?pause_id=${p.pause_id}`, { ...form, 'x-twilio-signature': 'x' }],
    ['/callbacks/slack/interactivity', { ...form, 'x-slack-request-timestamp': '1', 'x-slack-signature': 'v0=x' }],
    ['/callbacks/email/events', { 'content-type': 'application/json', 'svix-id': 'msg_1', 'svix-timestamp': '1', 'svix-signature': 'v1,x' }],
  ];
  for (const [path, headers] of routes) {
    const r = await chunked(path, headers);
    assert.equal(r.status, 413, `${path}: ${r.status} ${r.text.slice(0, 300)}`);
    if (r.json) assert.equal(r.json.error.code, 'body_too_large');
  }
  // A chunked body under the limit is read whole.
  const body = Buffer.from(JSON.stringify(seedRequest()));
  const small = await new Promise((resolve, reject) => {
    const req = http.request(svc.base + '/v1/pause', { method: 'POST', headers: { ...json, 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 7) req.write(body.subarray(i, i + 7));
    req.end();
  });
  assert.equal(small.status, 201, small.text);
  assert.equal((await svc.request('GET', '/healthz')).status, 200);
  assert.equal((await svc.request('GET', `/v1/pause/${p.pause_id}`, k())).json.status, 'pending');
  assertNoCrash('streamed bodies');
});
