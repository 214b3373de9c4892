// The OpenAPI document at /openapi.json is kept true: real responses of every
// documented operation, successes and errors, are checked against it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { startService, seedRequest, choose, ROOT } from './harness.mjs';

let svc, acct, spec, ajv;
before(async () => {
  svc = await startService();
  acct = await svc.createAccount('Contract Co', 'pro');
  spec = (await svc.request('GET', '/openapi.json')).json;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: 'spec', components: spec.components });
});
after(async () => svc?.cleanup());

/// Finds the documented operation for a concrete path and checks status and body.
function conforms(method, path, res) {
  const pathOnly = path.split('?')[0];
  const entry = Object.entries(spec.paths).find(([tpl]) =>
    new RegExp(`^${tpl.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathOnly));
  assert.ok(entry, `${pathOnly} is documented`);
  const op = entry[1][method.toLowerCase()];
  assert.ok(op, `${method} ${entry[0]} is documented`);
  const doc = op.responses[String(res.status)];
  assert.ok(doc, `${method} ${entry[0]} documents status ${res.status}: ${res.text.slice(0, 200)}`);
  const schema = doc.content?.['application/json']?.schema;
  if (!schema) return;
  assert.match(res.headers.get('content-type'), /application\/json/);
  const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components', '"spec#/components'));
  const validate = ajv.compile(rewritten);
  assert.ok(validate(res.json), `${method} ${path} ${res.status}: ${ajv.errorsText(validate.errors)}\n${res.text.slice(0, 400)}`);
}

async function call(method, path, opts = {}) {
  const res = await svc.request(method, path, { key: acct.live_key, ...opts });
  conforms(method, path, res);
  return res;
}

test('the document is served and is OpenAPI 3.1', async () => {
  const r = await svc.request('GET', '/openapi.json');
  assert.equal(r.status, 200);
  assert.equal(spec.openapi, '3.1.0');
  assert.ok(Object.keys(spec.paths).length >= 9);
});

test('static/openapi.json is exactly what docs/openapi.py generates, and is what is served', async () => {
  execFileSync('python3', [join(ROOT, 'docs', 'openapi.py'), '--check'], { stdio: 'pipe' });
  const served = await svc.request('GET', '/openapi.json');
  assert.deepEqual(JSON.parse(served.text), JSON.parse(readFileSync(join(ROOT, 'static', 'openapi.json'), 'utf8')));
});

const raw = (method, path, headers = {}) => svc.raw(method, path, { headers });

test('methods a path does not have are 405 with Allow; unknown paths are 404', async () => {
  const id = (await call('POST', '/v1/pause', { body: seedRequest() })).json.pause_id;
  const link = new URL(await svc.linkFor(id)).pathname;
  const auth = { authorization: `Bearer ${acct.live_key}` };
  const cases = [
    ['/healthz', 'GET, HEAD'], [link, 'GET, HEAD, POST'], ['/callbacks/twilio/status', 'POST'],
    ['/callbacks/slack/interactivity', 'POST'], ['/callbacks/email/events', 'POST'], ['/admin/accounts', 'POST'], ['/dev/outbox', 'GET, HEAD'], ['/mcp', 'POST'],
    ['/v1/pause', 'POST'], [`/v1/pause/${id}`, 'GET, HEAD, DELETE'], [`/v1/pause/${id}/cancel`, 'POST'],
    [`/v1/pause/${id}/webhooks`, 'GET, HEAD'], [`/v1/pause/${id}/webhooks/msg_000000000000000000000000/replay`, 'POST'],
    ['/v1/pauses', 'GET, HEAD'], ['/v1/account', 'GET, HEAD'], ['/v1/keys', 'GET, HEAD, POST'], ['/v1/keys/key_0000000000000000', 'DELETE'],
    ['/v1/keys/key_0000000000000000/rotate', 'POST'], ['/v1/keys/key_0000000000000000/revoke', 'POST'], ['/v1/test/outbox', 'GET, HEAD'],
    ['/v1/webhook_secret/rotate', 'POST'], ['/v1/audit', 'GET, HEAD'], ['/v1/audit/verify', 'GET, HEAD'],
  ];
  for (const [path, allow] of cases) {
    const has = allow.split(', ');
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE', 'QUERY']) {
      if (has.includes(method)) continue;
      const r = await raw(method, path, auth);
      assert.equal(r.status, 405, `${method} ${path}: ${r.status} ${r.text.slice(0, 200)}`);
      assert.equal(r.headers.allow, allow, `${method} ${path}`);
      assert.equal(JSON.parse(r.text).error.code, 'method_not_allowed');
    }
  }
  // HEAD is GET without a body, wherever GET is.
  const head = await raw('HEAD', `/v1/pause/${id}`, auth);
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
  assert.equal((await raw('HEAD', '/healthz')).status, 200);
  assert.equal((await raw('HEAD', '/v1/pause', auth)).status, 405);
  // QUERY is not mistaken for GET.
  assert.equal((await raw('QUERY', '/v1/pauses', auth)).status, 405);
  for (const path of ['/v1/nothing', '/v1/pause/a/b/c', '/nothing', '/r', '/callbacks/twilio', '/admin']) {
    for (const method of ['GET', 'POST', 'TRACE', 'QUERY']) {
      const r = await raw(method, path, auth);
      assert.equal(r.status, 404, `${method} ${path}: ${r.status}`);
    }
  }
});

test('pause operations conform, in success and in error', async () => {
  const created = await call('POST', '/v1/pause', { body: { ...seedRequest(), metadata: { a: 1 } } });
  assert.equal(created.status, 201);
  const id = created.json.pause_id;
  await call('POST', '/v1/pause', { body: { ...seedRequest(), options: ['x'] } });
  await call('POST', '/v1/pause', { body: { ...seedRequest(), channel: 'whatsapp' } });
  await call('POST', '/v1/pause', { raw: 'nope', headers: { 'content-type': 'application/json' } });
  await call('POST', '/v1/pause', { raw: 'a=b', headers: { 'content-type': 'text/plain' } });
  await call('POST', '/v1/pause', { body: seedRequest(), headers: { 'idempotency-key': 'k1' } });
  await call('POST', '/v1/pause', { body: { ...seedRequest(), message: 'other' }, headers: { 'idempotency-key': 'k1' } });
  await call('POST', '/v1/pause', { key: 'pp_live_bad', body: seedRequest() });
  await call('GET', `/v1/pause/${id}`);
  await call('GET', `/v1/pause/${id}?wait=0.2`);
  await call('GET', `/v1/pause/${id}?wait=99`);
  await call('GET', '/v1/pause/pause_000000000000000000000000');
  await call('GET', '/v1/pauses?limit=2');
  await call('GET', '/v1/pauses?status=bogus');
  await choose(await svc.linkFor(id), 0);
  await call('GET', `/v1/pause/${id}`);
  await call('POST', `/v1/pause/${id}/cancel`);
  const other = (await call('POST', '/v1/pause', { body: seedRequest() })).json.pause_id;
  await call('DELETE', `/v1/pause/${other}`);
  const hinted = await call('POST', '/v1/pause', { body: { ...seedRequest(), options: ['Approve', 'Delete'], timeout_default: 'Approve',
    context: 'Invoice INV-2207', danger: ['Delete'], confirm_danger: true, allow_comment: true } });
  assert.equal(hinted.status, 201);
  await call('POST', '/v1/pause', { body: { ...seedRequest(), danger: ['Nope'] } });
});

test('webhook operations conform', async () => {
  const p = (await call('POST', '/v1/pause', { body: { ...seedRequest(), webhook_url: 'http://127.0.0.1:9/hook' } })).json;
  await call('POST', `/v1/pause/${p.pause_id}/cancel`);
  await call('GET', `/v1/pause/${p.pause_id}/webhooks`);
  await call('GET', '/v1/pause/pause_000000000000000000000000/webhooks');
  await call('POST', `/v1/pause/${p.pause_id}/webhooks/msg_000000000000000000000000/replay`);
  await call('POST', '/v1/webhook_secret/rotate');
});

test('audit operations conform', async () => {
  const p = (await call('POST', '/v1/pause', { body: seedRequest() })).json;
  await call('GET', `/v1/audit?pause_id=${p.pause_id}`);
  await call('GET', '/v1/audit?limit=1');
  await call('GET', '/v1/audit?since=yesterday');
  await call('GET', `/v1/audit/verify?pause_id=${p.pause_id}`);
  await call('GET', '/v1/audit/verify');
  await call('GET', '/v1/audit/verify?pause_id=pause_000000000000000000000000');
});

test('account, keys and test outbox operations conform', async () => {
  await call('GET', '/v1/account');
  const keys = await call('GET', '/v1/keys');
  await call('GET', '/v1/keys', { key: acct.test_key });
  const made = await call('POST', '/v1/keys', { body: { mode: 'test' } });
  await call('POST', '/v1/keys', { body: { mode: 'nope' } });
  const live = keys.json.data.find((k) => k.mode === 'live');
  await call('POST', `/v1/keys/${made.json.id}/rotate`, { body: { grace_seconds: 60 } });
  await call('POST', `/v1/keys/${made.json.id}/rotate`, { body: { grace_seconds: -1 } });
  await call('POST', `/v1/keys/${live.id}/revoke`);
  await call('POST', '/v1/keys/key_nope/revoke');
  await call('GET', '/v1/test/outbox', { key: acct.test_key });
});
