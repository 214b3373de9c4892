// Production mode (PAUSEPOINT_MODE=production) where it differs from local mode:
// webhook URLs must be public https URLs, an unconfigured channel is a delivery
// failure (not the local outbox), no log line carries a response link, and the admin
// routes refuse a short ADMIN_TOKEN. Nothing here can send traffic off the machine:
// the refused URLs use loopback addresses or names under `.invalid`, which never
// resolve, and no provider is configured.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startService, seedRequest, eventually, sleep } from './harness.mjs';

// The Worker's console.log lines too (wrangler's `info` level hides them), so the log
// assertions below see everything the Worker writes.
process.env.PP_WRANGLER_LOG_LEVEL = 'log';

const PUBLIC = 'https://pausepoint.invalid';
let svc, acct;
before(async () => {
  svc = await startService({
    // No egress guard here, so each refusal below is for its own reason: the
    // service accepts none of these URLs, and none could be reached anyway.
    vars: { PAUSEPOINT_MODE: 'production', PUBLIC_BASE_URL: PUBLIC, PAUSEPOINT_EGRESS: '' },
  });
  acct = await svc.createAccount('Acme Payments', 'enterprise');
});
after(async () => svc?.cleanup());

const create = (body, key = acct.live_key) => svc.request('POST', '/v1/pause', { key, body });
const count = async () => (await svc.request('GET', '/v1/pauses?limit=100', { key: acct.live_key })).json.data.length;
const delivered = (id, key = acct.live_key) => eventually(async () => {
  const p = (await svc.request('GET', `/v1/pause/${id}`, { key })).json;
  return ['sent', 'failed'].includes(p.delivery.status) ? p : null;
}, { timeoutMs: 20_000, everyMs: 200 });

test('webhook URLs that reach inside, or back to the service, are refused and create nothing', async () => {
  const before = await count();
  const cases = [
    ['https://127.0.0.1:1/hook', /loopback/],
    ['https://127.0.0.2:1/hook', /loopback/],
    ['https://2130706433:1/hook', /loopback/],
    ['https://0177.0.0.1:1/hook', /loopback/],
    ['https://0x7f.1:1/hook', /loopback/],
    ['https://127.1:1/hook', /loopback/],
    ['https://[::1]:1/hook', /loopback/],
    ['https://[::ffff:127.0.0.1]:1/hook', /IPv6 form/],
    ['https://localhost:1/hook', /localhost/],
    ['http://127.0.0.1:1/hook', /loopback|https/],
    [`${svc.base}/v1/pause`, /loopback|https/],
    [`${PUBLIC}/v1/pause`, /this service itself/],
    ['https://PausePoint.invalid.:8443/x', /this service itself/],
    ['http://hooks.invalid/pausepoint', /https:\/\//],
    ['https://user:secret@hooks.invalid/pausepoint', /credentials/],
    ['https://hooks.invalid:0/pausepoint', /port 0/],
    ['https://invalid./pausepoint', /single-label/], // a rooted name: no search domain applies
    ['https://hooks .invalid/', /not a valid URL/],
  ];
  for (const [url, why] of cases) {
    const r = await create({ ...seedRequest(), webhook_url: url });
    assert.equal(r.status, 400, `${url}: ${r.text}`);
    assert.equal(r.json.error.code, 'parameter_invalid', url);
    assert.equal(r.json.error.param, 'webhook_url', url);
    assert.match(r.json.error.message, why, url);
    assert.match(r.json.error.message, /^`webhook_url` .+\.$/, 'a sentence');
  }
  assert.equal(await count(), before, 'no pause was created');
});

test('an unconfigured channel is a permanent delivery failure that names the setting', async () => {
  for (const [channel, recipient, setting] of [
    ['sms', '+13125550142', /TWILIO_ACCOUNT_SID/],
    ['email', 'ops@example.com', /RESEND_API_KEY/],
    ['slack', 'C0APPROVALS', /SLACK_BOT_TOKEN/],
    ['whatsapp', '+447700900123', /TWILIO_WHATSAPP_FROM/],
  ]) {
    const r = await create({ ...seedRequest(), channel, recipient });
    assert.equal(r.status, 201, r.text);
    const p = await delivered(r.json.pause_id);
    assert.ok(p, `${channel} delivery settled`);
    assert.equal(p.delivery.status, 'failed', channel);
    assert.equal(p.delivery.error_code, 'channel_not_configured', channel);
    assert.match(p.delivery.error_message, setting);
    assert.notEqual(p.delivery.provider, 'local_outbox');
    assert.equal(p.status, 'pending', 'the pause itself stays answerable');
    await sleep(1200); // longer than the first retry: a permanent failure is tried once
    const again = (await svc.request('GET', `/v1/pause/${p.pause_id}`, { key: acct.live_key })).json;
    assert.equal(again.delivery.attempts, 1, channel);
  }
  // Not in any outbox: the local one does not exist in production.
  assert.equal((await svc.request('GET', '/dev/outbox')).status, 404);
});

test('test-mode pauses still go to the test outbox, and no log line carries a response link', async () => {
  const r = await create({ ...seedRequest(), recipient: '+13125550199' }, acct.test_key);
  assert.equal(r.status, 201, r.text);
  const id = r.json.pause_id;
  const row = await eventually(async () =>
    (await svc.request('GET', `/v1/test/outbox?pause_id=${id}`, { key: acct.test_key })).json?.data?.[0]);
  assert.ok(row, 'the test outbox has the message');
  assert.match(row.link, /^https:\/\/pausepoint\.invalid\/r\/[A-Za-z0-9_-]{35}$/);
  const p = (await svc.request('GET', `/v1/pause/${id}`, { key: acct.test_key })).json;
  assert.equal(p.delivery.provider, 'local_outbox');
  assert.equal(p.delivery.status, 'sent');
  await sleep(500);
  const token = row.link.split('/r/')[1];
  assert.ok(svc.logs.includes(`[outbox] sms message of test-mode pause ${id}`), 'the outbox line is logged, by pause id');
  assert.ok(!svc.logs.includes(token), 'the token is in no log line');
  assert.doesNotMatch(svc.logs, /\/r\/[A-Za-z0-9_-]{20,}/, 'no response link in the log');
});

test('the queue consumer re-checks the URL: a pause made under looser rules sends nothing', async () => {
  // A receiver on loopback that must get nothing.
  const got = [];
  const receiver = http.createServer((req, res) => { got.push(req.url); res.end('ok'); });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${receiver.address().port}/hook`;
  const local = await startService();
  try {
    const a = await local.createAccount('Old Co');
    const made = await local.request('POST', '/v1/pause', { key: a.live_key, body: { ...seedRequest(), webhook_url: hook } });
    assert.equal(made.status, 201, 'local mode accepts http to loopback');
    const id = made.json.pause_id;
    // The same data, now served in production mode (as if deployed after the rules
    // changed), with an ADMIN_TOKEN that is too short.
    local.vars.PAUSEPOINT_MODE = 'production';
    local.vars.ADMIN_TOKEN = 'short-admin-token-20';
    await local.restart();
    const cancelled = await local.request('POST', `/v1/pause/${id}/cancel`, { key: a.live_key });
    assert.equal(cancelled.status, 200, cancelled.text);
    const ev = await eventually(async () => {
      const w = await local.request('GET', `/v1/pause/${id}/webhooks`, { key: a.live_key });
      return w.json?.data?.find((e) => e.status !== 'pending');
    }, { timeoutMs: 20_000 });
    assert.ok(ev, 'the event is settled');
    assert.equal(ev.status, 'failed');
    assert.equal(ev.failure_reason, 'url_refused');
    assert.equal(ev.attempts.length, 0, 'no attempt was made');
    // A replay is refused again by the consumer.
    const replay = await local.request('POST', `/v1/pause/${id}/webhooks/${ev.event_id}/replay`, { key: a.live_key });
    assert.equal(replay.status, 202, replay.text);
    const again = await eventually(async () => {
      const w = await local.request('GET', `/v1/pause/${id}/webhooks`, { key: a.live_key });
      const e = w.json?.data?.find((x) => x.event_id === ev.event_id);
      return e?.status === 'failed' && e;
    }, { timeoutMs: 20_000 });
    assert.ok(again, 'the replay failed too');
    assert.equal(again.failure_reason, 'url_refused');
    assert.equal(again.attempts.length, 0);
    await sleep(1000);
    assert.deepEqual(got, [], 'the receiver got nothing');

    // The short ADMIN_TOKEN is not accepted, even when presented exactly.
    const admin = await local.request('POST', '/admin/accounts', {
      headers: { authorization: 'Bearer short-admin-token-20' }, body: { name: 'X', plan: 'free' },
    });
    assert.equal(admin.status, 500, admin.text);
    assert.doesNotMatch(admin.text, /ADMIN_TOKEN/, 'the detail stays in the log');
    await sleep(300);
    assert.match(local.logs, /ADMIN_TOKEN is shorter than 32 characters/);
  } finally {
    await local.cleanup();
    receiver.close();
  }
});
