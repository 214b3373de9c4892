// The TypeScript SDK (sdk/typescript, built here with its own tsc) against the real
// service. Pauses are answered through the local outbox link; retries are provoked by a
// 127.0.0.1 proxy that injects 503/429 (with Retry-After) and dropped connections;
// webhooks are delivered by the service to a 127.0.0.1 receiver.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startService, seedRequest, choose, sleep, eventually, ROOT } from './harness.mjs';
import { buildTypeScript, faultProxy, webhookReceiver, SDK_TS } from './sdk_helpers.mjs';

let svc, acct, sdk, proxy;
before(async () => {
  buildTypeScript();
  sdk = await import(pathToFileURL(join(SDK_TS, 'dist', 'index.js')).href);
  svc = await startService({ vars: { WEBHOOK_RETRY_SCHEDULE: '2,2,2' } });
  acct = await svc.createAccount('SDK TypeScript', 'enterprise');
  proxy = await faultProxy(svc.base);
});
after(async () => {
  await proxy?.close();
  await svc?.cleanup();
});

const client = (opts = {}) => new sdk.PausePoint({ apiKey: acct.live_key, baseUrl: svc.base, ...opts });
const answerLater = (pauseId, index, ms) => sleep(ms).then(async () => choose(await svc.linkFor(pauseId), index));

test('every operation in openapi.json has a method that sends its method and path', async () => {
  const spec = JSON.parse(readFileSync(join(ROOT, 'static', 'openapi.json'), 'utf8'));
  assert.equal(JSON.parse(readFileSync(join(SDK_TS, 'package.json'), 'utf8')).version, spec.info.version);
  assert.equal(sdk.VERSION, spec.info.version);
  const ops = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) if (op?.operationId) ops.push({ id: op.operationId, method: method.toUpperCase(), path, op });
  }
  assert.ok(ops.length >= 16);
  assert.deepEqual(ops.map((o) => o.id).filter((id) => !(id in sdk.OPERATIONS)), [], 'operations without a TypeScript method');
  assert.deepEqual(Object.keys(sdk.OPERATIONS).filter((id) => !ops.some((o) => o.id === id)), [], 'methods for removed operations');
  const seen = [];
  const c = new sdk.PausePoint({ apiKey: 'pp_test_x', baseUrl: 'http://127.0.0.1:9', fetch: async (url, init) => {
    seen.push({ url: new URL(url), method: init.method, headers: init.headers });
    return new Response('{"data":[]}', { status: 200, headers: { 'content-type': 'application/json' } });
  } });
  for (const { id, method, path, op } of ops) {
    const fn = sdk.OPERATIONS[id].split('.').reduce((o, k) => o?.[k], c);
    assert.equal(typeof fn, 'function', id);
    const positional = (op.parameters ?? []).filter((p) => p.in === 'path' || (p.in === 'query' && p.required)).map((p) => `x_${p.name}`);
    const args = op.requestBody?.required ? [...positional, seedRequest()] : positional;
    seen.length = 0;
    await fn(...args);
    assert.equal(seen.length, 1, id);
    assert.equal(seen[0].method, method, id);
    assert.match(seen[0].url.pathname, new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`), id);
    for (const p of (op.parameters ?? []).filter((p) => p.in === 'query' && p.required)) assert.equal(seen[0].url.searchParams.get(p.name), `x_${p.name}`, id);
  }
});

test('create, then await pause.wait() resolves with the choice in one long-poll', async () => {
  const c = client({ baseUrl: proxy.url });
  const pause = await c.pauses.create(seedRequest());
  assert.equal(pause.status, 'pending');
  assert.match(pause.pause_id, /^pause_/);
  const before = proxy.seen.length;
  const t = Date.now();
  const [decided] = await Promise.all([pause.wait({ timeout: 60 }), answerLater(pause.pause_id, 0, 1500)]);
  assert.equal(decided.status, 'responded');
  assert.equal(decided.choice, 'Approve');
  assert.equal(decided.responded_via, 'page');
  assert.ok(Date.now() - t >= 1000);
  const polls = proxy.seen.slice(before);
  assert.equal(polls.length, 1, 'one long-poll, not a loop');
  assert.match(polls[0].url, /wait=50/);
  assert.equal(JSON.parse(JSON.stringify(decided)).response_choice, 'Approve', 'serialises as the API object');
});

test('wait resumes across dropped connections and 5xx, and times out with the pending pause', async () => {
  const c = client({ baseUrl: proxy.url });
  const pause = await c.pauses.create(seedRequest());
  proxy.faults = ['drop', [503, 0], 'drop'];
  const [decided] = await Promise.all([pause.wait({ timeout: 60 }), answerLater(pause.pause_id, 1, 2000)]);
  assert.equal(decided.choice, 'Reject');
  assert.equal(proxy.faults.length, 0);

  const other = await c.pauses.create(seedRequest());
  const t = Date.now();
  await assert.rejects(other.wait({ timeout: 1.5 }), (e) => e instanceof sdk.WaitTimeoutError && e.pause.status === 'pending');
  assert.ok(Date.now() - t >= 1400);
  assert.equal((await other.cancel()).status, 'cancelled');
});

test('errors map to typed exceptions with code, param and requestId', async () => {
  const c = client();
  await assert.rejects(c.pauses.create({ ...seedRequest(), timeout_default: 'Maybe' }), (e) =>
    e instanceof sdk.BadRequestError && e instanceof sdk.PausePointError && e.status === 400 &&
    e.code === 'parameter_invalid' && e.param === 'timeout_default' && /^req_/.test(e.requestId));
  await assert.rejects(c.pauses.create({ ...seedRequest(), timout_default: 'Reject' }), (e) => e.code === 'parameter_unknown' && e.param === 'timout_default');
  await assert.rejects(c.pauses.retrieve('pause_0123456789abcdef01234567'), (e) => e instanceof sdk.NotFoundError && e.code === 'pause_not_found');
  const p = await c.pauses.create(seedRequest());
  await c.pauses.delete(p.pause_id);
  await assert.rejects(c.pauses.cancel(p.pause_id), (e) => e instanceof sdk.ConflictError && e.code === 'pause_not_pending');
  await assert.rejects(client({ apiKey: 'pp_live_nope' }).account.retrieve(), (e) => e instanceof sdk.AuthenticationError && e.status === 401 && /^req_/.test(e.requestId));
  assert.throws(() => new sdk.PausePoint({ apiKey: '' , baseUrl: svc.base }), sdk.PausePointError);
});

test('idempotency: the same key returns the same pause, another request with it is refused', async () => {
  const c = client();
  const a = await c.pauses.create(seedRequest(), { idempotencyKey: 'ts-idem-1' });
  const b = await c.pauses.create(seedRequest(), { idempotencyKey: 'ts-idem-1' });
  assert.equal(a.pause_id, b.pause_id);
  assert.equal(a.idempotentReplayed, false);
  assert.equal(b.idempotentReplayed, true);
  await assert.rejects(c.pauses.create({ ...seedRequest(), message: 'Else' }, { idempotencyKey: 'ts-idem-1' }), (e) =>
    e instanceof sdk.UnprocessableEntityError && e.code === 'idempotency_key_reused');
});

test('retries honour Retry-After and back off; unsafe requests are not repeated after a 503', async () => {
  const c = client({ baseUrl: proxy.url });
  proxy.faults = [[503, 1], [429, 1]];
  const n = proxy.seen.length;
  const pause = await c.pauses.create(seedRequest());
  assert.equal(pause.status, 'pending');
  const tries = proxy.seen.slice(n);
  assert.equal(tries.length, 3);
  assert.ok(tries[0].idempotencyKey && tries.every((t) => t.idempotencyKey === tries[0].idempotencyKey), 'one Idempotency-Key for every attempt');
  for (let i = 1; i < 3; i++) assert.ok(tries[i].at - tries[i - 1].at >= 950, `Retry-After: 1 honoured (${tries[i].at - tries[i - 1].at} ms)`);

  const few = client({ baseUrl: proxy.url, maxRetries: 2 });
  proxy.faults = [[503, null], [503, null], [503, null]];
  const t = Date.now();
  await assert.rejects(few.account.retrieve(), (e) => e instanceof sdk.InternalServerError && e.status === 503 && e.code === 'injected');
  assert.ok(Date.now() - t >= (0.5 + 1) * 0.75 * 1000 - 20, 'exponential back-off without Retry-After');

  proxy.faults = [[503, 0]];
  const m = proxy.seen.length;
  await assert.rejects(few.keys.create({ mode: 'test' }), sdk.InternalServerError);
  assert.equal(proxy.seen.length - m, 1, 'a key creation is not sent twice after a 503');
  proxy.faults = [[429, 0]];
  const key = await few.keys.create({ mode: 'test' });
  assert.match(key.secret, /^pp_test_/);
  assert.equal(proxy.seen.length - m, 3, 'but is after a 429');
  await few.keys.revoke(key.id);
});

test('every other operation against the service', async () => {
  const c = client();
  const acc = await c.account.retrieve();
  assert.equal(acc.plan, 'enterprise');
  assert.ok((await c.keys.list()).every((k) => k.secret === null));
  const made = await c.keys.create({ mode: 'live' });
  const rot = await c.keys.rotate(made.id, { grace_seconds: 60 });
  assert.match(rot.new_key.secret, /^pp_live_/);
  assert.equal((await c.keys.revoke(rot.new_key.id)).active, false);
  const p = await c.pauses.create(seedRequest());
  const page = await c.pauses.list({ status: 'pending', limit: 5 });
  assert.ok(page.data.some((x) => x.pause_id === p.pause_id));
  assert.equal(typeof page.data[0].wait, 'function');
  assert.equal((await c.pauses.retrieve(p.pause_id, { wait: 0 })).pause_id, p.pause_id);
  const audit = await c.audit.list({ pause_id: p.pause_id });
  assert.equal(audit.data[0].type, 'pause.created');
  assert.match(await c.audit.export({ format: 'ndjson', pause_id: p.pause_id }), /"pause\.created"/);
  assert.match(await c.audit.export({ format: 'csv', pause_id: p.pause_id }), /pause\.created/);
  assert.equal((await c.audit.verify(p.pause_id)).pause_id, p.pause_id);
  const t = new sdk.PausePoint({ apiKey: acct.test_key, baseUrl: svc.base });
  const tp = await t.pauses.create(seedRequest());
  assert.equal(tp.livemode, false);
  const out = await eventually(async () => (await t.test.outbox({ pause_id: tp.pause_id }))[0]);
  assert.ok(out?.link);
});

test('verifyWebhook (Web Crypto) accepts a real signed webhook and refuses tampering', async () => {
  const rec = await webhookReceiver();
  try {
    const c = client();
    const p = await c.pauses.create({ ...seedRequest(), webhook_url: rec.url });
    await choose(await svc.linkFor(p.pause_id), 0);
    await eventually(() => rec.got.length >= 1, { timeoutMs: 20_000 });
    const { body, headers } = rec.got[0];
    const event = await sdk.verifyWebhook(body, headers, acct.webhook_secret);
    assert.equal(event.type, 'pause.responded');
    assert.equal(event.data.response_choice, 'Approve');
    assert.equal(event.id, headers['webhook-id']);
    const asHeaders = new Headers(Object.entries(headers).filter(([, v]) => typeof v === 'string'));
    assert.equal((await sdk.verifyWebhook(new TextEncoder().encode(body), asHeaders, [acct.webhook_secret])).data.pause_id, p.pause_id);
    await assert.rejects(sdk.verifyWebhook(body.replace('Approve', 'Reject'), headers, acct.webhook_secret), sdk.WebhookVerificationError);
    await assert.rejects(sdk.verifyWebhook(body, headers, 'whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB'), sdk.WebhookVerificationError);
    await assert.rejects(sdk.verifyWebhook(body, headers, acct.webhook_secret, { now: Date.now() / 1000 + 600 }), sdk.WebhookVerificationError);
    const events = await eventually(async () => { const e = await c.webhooks.list(p.pause_id); return e[0]?.status === 'succeeded' && e; });
    assert.equal(events[0].attempts[0].status_code, 200);
    assert.equal((await c.webhooks.replay(p.pause_id, events[0].event_id)).event_id, events[0].event_id);
    await eventually(() => rec.got.length >= 2, { timeoutMs: 20_000 });
    assert.equal(rec.got[1].headers['webhook-id'], headers['webhook-id']);
  } finally {
    await rec.close();
  }
});

test('requireApproval runs the function only when the person approves', async () => {
  const c = client();
  const calls = [];
  const transfer = sdk.requireApproval(
    { client: c, recipient: '+13128471928', message: (amount, to) => `Wire $${amount} to ${to}?`, timeout: 60 },
    async function transfer(amount, to) { calls.push([amount, to]); return `sent ${amount}`; },
  );
  const approveNewest = async (index) => {
    const p = await eventually(async () => (await c.pauses.list({ status: 'pending', limit: 1 })).data.find((x) => x.message === 'Wire $8400 to Meridian?'));
    assert.equal(p.context, 'transfer([8400,"Meridian"])');
    await choose(await svc.linkFor(p.pause_id), index);
  };
  const [result] = await Promise.all([transfer(8400, 'Meridian'), approveNewest(0)]);
  assert.equal(result, 'sent 8400');
  await Promise.all([
    assert.rejects(transfer(8400, 'Meridian'), (e) => e instanceof sdk.ApprovalDeniedError && e.pause.choice === 'Reject'),
    approveNewest(1),
  ]);
  assert.deepEqual(calls, [[8400, 'Meridian']]);
});

test("the README's quick start runs as written and prints the decision", async () => {
  const { execFile } = await import('node:child_process');
  const example = join(SDK_TS, 'examples', 'quickstart.mjs');
  const code = (text) => text.split('\n').filter((l) => l.trim() && !l.startsWith('//'));
  const readme = readFileSync(join(SDK_TS, 'README.md'), 'utf8').split('## Quick start')[1].split('```ts')[1].split('```')[0];
  assert.deepEqual(code(readme), code(readFileSync(example, 'utf8')), 'README and example agree');

  const c = client();
  const before = new Set((await c.pauses.list({ status: 'pending', limit: 100 })).data.map((p) => p.pause_id));
  const run = new Promise((resolve) => execFile(process.execPath, [example], {
    cwd: join(SDK_TS, 'examples'), env: { ...process.env, PAUSEPOINT_API_KEY: acct.live_key, PAUSEPOINT_BASE_URL: svc.base }, timeout: 120_000,
  }, (err, stdout, stderr) => resolve({ err, stdout, stderr })));
  const p = await eventually(async () => (await c.pauses.list({ status: 'pending', limit: 20 })).data.find((x) => !before.has(x.pause_id)), { timeoutMs: 20_000 });
  assert.ok(p, 'the quick start created a pause');
  await choose(await svc.linkFor(p.pause_id), 0);
  const { err, stdout, stderr } = await run;
  assert.equal(err, null, stderr);
  assert.equal(stdout.trim(), 'Approve recipient');
});

test('verifyWebhook: the Standard Webhooks test vector, and refusals', async () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const ts = 1614265330;
  const body = '{"test": 2432232314}';
  const sig = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
  assert.equal(await sdk.signWebhook(body, id, ts, secret), sig);
  const headers = { 'Webhook-Id': id, 'Webhook-Timestamp': String(ts), 'Webhook-Signature': `v1,bm90IGl0 ${sig}` };
  assert.equal((await sdk.verifyWebhook(body, headers, secret, { now: ts + 10 })).test, 2432232314);
  for (const [h, b] of [
    [{ ...headers, 'Webhook-Signature': 'v1,AAAA' }, body],
    [headers, `${body} `],
    [{ ...headers, 'Webhook-Timestamp': 'soon' }, body],
    [{ ...headers, 'Webhook-Timestamp': String(ts - 301) }, body],
    [{ 'Webhook-Timestamp': String(ts), 'Webhook-Signature': sig }, body],
  ]) await assert.rejects(sdk.verifyWebhook(b, h, secret, { now: ts }), sdk.WebhookVerificationError);
  await assert.rejects(sdk.verifyWebhook(body, headers, 'whsec_!!', { now: ts }), sdk.WebhookVerificationError);
});

test('any error response maps to an exception; a long Retry-After is not waited for', async () => {
  const answers = [
    new Response(JSON.stringify({ error: { code: 'teapot', message: 'No.', param: 'x', request_id: 'req_1', type: 'invalid_request_error', extra: 1 } }), { status: 418 }),
    new Response('<html>bad gateway</html>', { status: 502, headers: { 'request-id': 'req_2' } }),
    new Response('{}', { status: 429, headers: { 'retry-after': '3600' } }),
  ];
  const c = new sdk.PausePoint({ apiKey: 'pp_test_x', baseUrl: 'http://127.0.0.1:9', maxRetries: 1, fetch: async () => answers.shift() });
  await assert.rejects(c.account.retrieve(), (e) => e instanceof sdk.APIStatusError && e.status === 418 && e.code === 'teapot' && e.param === 'x' && e.requestId === 'req_1');
  await assert.rejects(c.keys.create({ mode: 'test' }), (e) => e instanceof sdk.InternalServerError && e.code === null && e.requestId === 'req_2');
  const t = Date.now();
  await assert.rejects(c.account.retrieve(), sdk.RateLimitError);
  assert.ok(Date.now() - t < 1000);
  assert.equal(answers.length, 0);
});

test('wait backs off when long-polls are not held, and honours a 429 Retry-After', async () => {
  const pending = { object: 'pause', pause_id: 'pause_1', status: 'pending' };
  const json = (status, body, headers = {}) => new Response(JSON.stringify(body), { status, headers });
  const answers = [json(200, pending), json(200, pending), json(429, {}, { 'retry-after': '1' }), json(200, { ...pending, status: 'responded', response_choice: 'Approve' })];
  const urls = [];
  const c = new sdk.PausePoint({ apiKey: 'pp_test_x', baseUrl: 'http://127.0.0.1:9', fetch: async (u) => (urls.push(String(u)), answers.shift()) });
  const t = Date.now();
  assert.equal((await c.pauses.wait('pause_1', { timeout: 30 })).choice, 'Approve');
  assert.equal(urls.length, 4);
  assert.ok(urls.every((u) => u.includes('wait=')));
  assert.ok(Date.now() - t >= (0.5 + 1) * 0.75 * 1000 + 950, `backed off and waited for Retry-After (${Date.now() - t} ms)`);
});
