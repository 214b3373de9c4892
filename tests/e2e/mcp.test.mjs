// The MCP endpoint: a scripted session over Streamable HTTP, as Claude Code runs it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startService, seedRequest, choose } from './harness.mjs';

let svc, acct, nextId = 1;
before(async () => {
  svc = await startService({ vars: { MCP_ALLOWED_ORIGINS: 'https://agent.example, http://localhost:5173' } });
  acct = await svc.createAccount('Acme Payments');
});
after(async () => svc?.cleanup());

const HEADERS = { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };

async function post(message, { key = acct.live_key, headers = {}, raw } = {}) {
  const h = { ...HEADERS, 'content-type': 'application/json', ...headers };
  for (const k of Object.keys(h)) if (h[k] === undefined) delete h[k]; // undefined: leave the header out
  return svc.request('POST', '/mcp', {
    key,
    headers: h,
    raw: raw ?? JSON.stringify(message),
  });
}

async function rpc(method, params, opts) {
  const id = nextId++;
  const r = await post({ jsonrpc: '2.0', id, method, params }, opts);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.jsonrpc, '2.0');
  assert.equal(r.json.id, id);
  return r.json;
}

async function call(name, args) {
  const r = await rpc('tools/call', { name, arguments: args });
  assert.ok(r.result, JSON.stringify(r));
  const res = r.result;
  assert.equal(res.content[0].type, 'text');
  assert.deepEqual(JSON.parse(res.content[0].text), res.structuredContent, 'text and structured content agree');
  return res;
}

test('a scripted session: initialize, list tools, create, poll while answered, cancel, list, audit', async () => {
  const init = await post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: {
    protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } },
  { headers: { 'mcp-protocol-version': undefined } });
  assert.equal(init.status, 200, init.text);
  assert.equal(init.json.result.protocolVersion, '2025-11-25');
  assert.ok(init.json.result.capabilities.tools);
  assert.equal(init.json.result.serverInfo.name, 'pausepoint');
  assert.equal(init.headers.get('mcp-session-id'), null, 'stateless: no session');

  const note = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  assert.equal(note.status, 202);
  assert.equal(note.text, '');

  assert.deepEqual((await rpc('ping', {})).result, {});

  const tools = (await rpc('tools/list', {})).result.tools;
  assert.deepEqual(tools.map((t) => t.name).sort(), [
    'cancel_pause_request', 'create_pause_request', 'get_audit_log', 'list_pause_requests', 'poll_pause_request']);
  for (const t of tools) {
    assert.equal(t.inputSchema.type, 'object');
    assert.ok(t.description.length > 40);
  }
  const createTool = tools.find((t) => t.name === 'create_pause_request');
  assert.deepEqual(createTool.inputSchema.required, ['message', 'options']);
  assert.ok(createTool.inputSchema.properties.approvers && createTool.inputSchema.properties.rule, 'approval policies through MCP too');

  // Create, then poll with a wait while the person answers on the page.
  const created = await call('create_pause_request', seedRequest());
  assert.equal(created.isError, false);
  const p = created.structuredContent;
  assert.match(p.pause_id, /^pause_[0-9a-f]{24}$/);
  assert.equal(p.status, 'pending');
  assert.equal(p.recipient, '+13128471928');
  const link = await svc.linkFor(p.pause_id);
  const started = Date.now();
  setTimeout(() => choose(link, 0), 1500);
  const polled = await call('poll_pause_request', { pause_id: p.pause_id, wait_seconds: 40 });
  assert.equal(polled.isError, false);
  assert.equal(polled.structuredContent.status, 'responded');
  assert.equal(polled.structuredContent.response_choice, 'Approve');
  assert.equal(polled.structuredContent.responded_by, 'recipient');
  assert.ok(Date.now() - started < 30_000, 'woken by the answer');
  // The same pause through REST: one source of truth.
  const rest = await svc.request('GET', `/v1/pause/${p.pause_id}`, { key: acct.live_key });
  assert.deepEqual(rest.json, polled.structuredContent);

  // Cancel: a second pause cancels; the answered one cannot.
  const second = (await call('create_pause_request', { ...seedRequest(), message: 'Refund $120?' })).structuredContent;
  const cancelled = await call('cancel_pause_request', { pause_id: second.pause_id });
  assert.equal(cancelled.isError, false);
  assert.equal(cancelled.structuredContent.status, 'cancelled');
  const again = await call('cancel_pause_request', { pause_id: p.pause_id });
  assert.equal(again.isError, true);
  assert.equal(again.structuredContent.error.code, 'pause_not_pending');
  assert.match(again.content[0].text, /already responded/);

  const listed = await call('list_pause_requests', { limit: 10 });
  assert.equal(listed.isError, false);
  const ids = listed.structuredContent.data.map((x) => x.pause_id);
  assert.ok(ids.includes(p.pause_id) && ids.includes(second.pause_id));
  const onlyCancelled = await call('list_pause_requests', { status: 'cancelled' });
  assert.deepEqual(onlyCancelled.structuredContent.data.map((x) => x.pause_id), [second.pause_id]);

  const audit = await call('get_audit_log', { pause_id: p.pause_id });
  assert.equal(audit.isError, false, JSON.stringify(audit));
  const types = audit.structuredContent.data.map((e) => e.type);
  assert.equal(types[0], 'pause.created');
  assert.ok(types.includes('pause.responded'), types.join(','));
  const viaRest = (await svc.request('GET', `/v1/audit?pause_id=${p.pause_id}`, { key: acct.live_key })).json;
  assert.deepEqual(audit.structuredContent.data, viaRest.data, 'the tool and GET /v1/audit agree');
  const badAudit = await call('get_audit_log', { pause_id: p.pause_id, limit: 0 });
  assert.equal(badAudit.isError, true);
});

test('tool errors are isError results with the API message, and change nothing', async () => {
  const before = (await call('list_pause_requests', { limit: 100 })).structuredContent.data.length;
  const bad = await call('create_pause_request', { ...seedRequest(), timeout_default: 'Maybe' });
  assert.equal(bad.isError, true);
  assert.equal(bad.structuredContent.error.param, 'timeout_default');
  assert.match(bad.structuredContent.error.message, /must be one of the options/);
  const typo = await call('create_pause_request', { ...seedRequest(), timout_default: 'Reject' });
  assert.equal(typo.structuredContent.error.code, 'parameter_unknown');
  assert.match(typo.structuredContent.error.message, /timeout_default/);
  assert.equal((await call('list_pause_requests', { limit: 100 })).structuredContent.data.length, before);

  const missing = await call('poll_pause_request', {});
  assert.equal(missing.structuredContent.error.code, 'parameter_missing');
  const unknown = await call('poll_pause_request', { pause_id: 'pause_000000000000000000000000' });
  assert.equal(unknown.structuredContent.error.code, 'pause_not_found');
  const longWait = await call('poll_pause_request', { pause_id: 'pause_000000000000000000000000', wait_seconds: 90 });
  assert.equal(longWait.structuredContent.error.param, 'wait_seconds');
  const badStatus = await call('list_pause_requests', { status: 'done' });
  assert.equal(badStatus.structuredContent.error.param, 'status');
  const extra = await call('cancel_pause_request', { pause_id: 'x', force: true });
  assert.equal(extra.structuredContent.error.code, 'parameter_unknown');

  // Another account's pause does not exist for this key.
  const other = await svc.createAccount('Other Co');
  const theirs = (await svc.request('POST', '/v1/pause', { key: other.live_key, body: seedRequest() })).json;
  const r = await call('cancel_pause_request', { pause_id: theirs.pause_id });
  assert.equal(r.structuredContent.error.code, 'pause_not_found');
  assert.equal((await svc.request('GET', `/v1/pause/${theirs.pause_id}`, { key: other.live_key })).json.status, 'pending');
});

test('version negotiation: a newer client is answered with our latest; unknown header versions are refused', async () => {
  const newer = await rpc('initialize', { protocolVersion: '2026-07-28', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    { headers: { 'mcp-protocol-version': '2026-07-28' } });
  assert.equal(newer.result.protocolVersion, '2025-11-25');
  const older = await rpc('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } });
  assert.equal(older.result.protocolVersion, '2025-06-18');

  const r = await post({ jsonrpc: '2.0', id: 5, method: 'tools/list' }, { headers: { 'mcp-protocol-version': '2026-07-28' } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, -32022, 'UnsupportedProtocolVersionError');
  assert.equal(r.json.id, 5);
  assert.ok(r.json.error.data.supported.includes('2025-11-25'));
  assert.equal(r.json.error.data.requested, '2026-07-28');
  // A stateless 2026-07-28 client probing with server/discover learns our revisions.
  const probe = await post({ jsonrpc: '2.0', id: 8, method: 'server/discover',
    params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } },
  { headers: { 'mcp-protocol-version': undefined } });
  assert.equal(probe.status, 400);
  assert.equal(probe.json.error.code, -32022);
  assert.deepEqual(probe.json.error.data.supported, ['2025-11-25', '2025-06-18', '2025-03-26']);
  // No header at all: an older client, still served.
  const none = await post({ jsonrpc: '2.0', id: 6, method: 'tools/list' }, { headers: { 'mcp-protocol-version': undefined } });
  assert.equal(none.status, 200);
});

test('JSON-RPC errors', async () => {
  const parse = await post(null, { raw: '{"jsonrpc":"2.0",' });
  assert.equal(parse.status, 400);
  assert.equal(parse.json.error.code, -32700);
  assert.equal(parse.json.id, null);
  const batch = await post([{ jsonrpc: '2.0', id: 1, method: 'ping' }]);
  assert.equal(batch.json.error.code, -32600);
  const noVersion = await post({ id: 2, method: 'ping' });
  assert.equal(noVersion.json.error.code, -32600);
  assert.equal(noVersion.json.id, 2);
  const method = await post({ jsonrpc: '2.0', id: 3, method: 'resources/list' });
  assert.equal(method.json.error.code, -32601);
  const unknownTool = await post({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'drop_tables', arguments: {} } });
  assert.equal(unknownTool.json.error.code, -32602);
  const noName = await post({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: {} });
  assert.equal(noName.json.error.code, -32602);
  const badArgs = await post({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'list_pause_requests', arguments: [1] } });
  assert.equal(badArgs.json.error.code, -32602);
  const badParams = await post({ jsonrpc: '2.0', id: 7, method: 'ping', params: 'x' });
  assert.equal(badParams.json.error.code, -32602);
});

test('transport: GET and DELETE are 405, Origin is checked, no OAuth metadata', async () => {
  const get = await svc.request('GET', '/mcp', { key: acct.live_key, headers: { accept: 'text/event-stream' } });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  assert.equal((await svc.request('DELETE', '/mcp', { key: acct.live_key })).status, 405);

  const evil = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { headers: { origin: 'https://evil.example' } });
  assert.equal(evil.status, 403);
  assert.equal(evil.json.error.code, -32600);
  const listed = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { headers: { origin: 'https://agent.example' } });
  assert.equal(listed.status, 200, listed.text);
  const listed2 = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { headers: { origin: 'http://localhost:5173' } });
  assert.equal(listed2.status, 200);

  const meta = await svc.request('GET', '/.well-known/oauth-protected-resource');
  assert.equal(meta.status, 404);
  const meta2 = await svc.request('GET', '/.well-known/oauth-authorization-server');
  assert.equal(meta2.status, 404);
});

test('auth: no key or a bad key is 401 without an OAuth challenge', async () => {
  const none = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }, { key: null });
  assert.equal(none.status, 401);
  assert.equal(none.json.error.code, 'api_key_missing');
  assert.equal(none.headers.get('www-authenticate'), null);
  const bad = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { key: 'pp_live_nope' });
  assert.equal(bad.status, 401);
  assert.equal(bad.json.error.code, 'api_key_invalid');
  const notJson = await svc.request('POST', '/mcp', { key: acct.live_key, headers: { 'content-type': 'text/plain' }, raw: '{}' });
  assert.equal(notJson.status, 415);
});

test('test-mode keys work through MCP too', async () => {
  const created = await call('create_pause_request', seedRequest());
  assert.equal(created.structuredContent.livemode, true);
  const id = nextId++;
  const r = await post({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'create_pause_request', arguments: seedRequest() } },
    { key: acct.test_key });
  assert.equal(r.json.result.structuredContent.livemode, false);
});

/// A raw POST with a Host header of the client's choosing (fetch may not set Host).
function postWithHost(host, origin) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
  return new Promise((resolve, reject) => {
    const req = http.request(`${svc.base}/mcp`, {
      method: 'POST',
      headers: { ...HEADERS, host, origin, 'content-type': 'application/json', authorization: `Bearer ${acct.live_key}`, 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('the Origin check trusts only PUBLIC_BASE_URL and MCP_ALLOWED_ORIGINS, never the request\'s Host', async () => {
  // DNS rebinding: a page at evil.example whose name now points here sends Host: evil.example.
  const rebound = await postWithHost('evil.example', 'http://evil.example');
  assert.equal(rebound.status, 403, rebound.text);
  const port = new URL(svc.base).port;
  const reboundPort = await postWithHost(`evil.example:${port}`, `http://evil.example:${port}`);
  assert.equal(reboundPort.status, 403, reboundPort.text);
  // The address the request came to is not trusted either: PUBLIC_BASE_URL is unset here.
  const self = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { headers: { origin: svc.base } });
  assert.equal(self.status, 403);
  assert.equal(self.json.error.code, -32600);
  // A non-browser client (no Origin) is unaffected.
  assert.equal((await post({ jsonrpc: '2.0', id: 1, method: 'ping' })).status, 200);
});
