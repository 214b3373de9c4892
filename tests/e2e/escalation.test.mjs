// Approval policies' clock and fallback end to end (issue 15): an escalation level and
// a reminder firing in seconds (MIN_TIMEOUT_SECONDS is 1 here), an SMS that fails for
// good falling back to email, an email that bounces later falling back to SMS, and a restart before a due escalation firing it once.
// Twilio and the email API are local fakes (127.0.0.1) that answer as the real ones do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { startService, eventually, choose, sleep } from './harness.mjs';

const TWILIO_SID = 'AC00000000000000000000000000000002';
const TWILIO_TOKEN = 'twilio-auth-token-escalation';
const RESEND_KEY = 're_escalation_key';
// The email API's webhook secret (Standard Webhooks: whsec_ + base64 of the key).
const RESEND_WEBHOOK_SECRET = 'whsec_' + Buffer.from('escalation-email-events-key-32by').toString('base64');

async function fakeServer(handler) {
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const r = { method: req.method, path: req.url, headers: req.headers, body, at: Date.now() };
      requests.push(r);
      const [status, answer] = handler(r);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { requests, server, base: `http://127.0.0.1:${server.address().port}` };
}

// Twilio: +15005550001 and +15005550002 are not valid numbers (21211, permanent);
// others are queued.
function twilioHandler(r) {
  const to = new URLSearchParams(r.body).get('To');
  if (to === '+15005550001' || to === '+15005550002') return [400, { code: 21211, message: `The 'To' number ${to} is not a valid phone number.`, status: 400 }];
  return [201, { sid: 'SM' + crypto.randomBytes(16).toString('hex'), to, status: 'queued' }];
}
// The email API: addresses at bounce.example are refused (422, permanent).
function resendHandler(r) {
  const b = JSON.parse(r.body);
  if (b.to.some((t) => t.endsWith('@bounce.example'))) return [422, { statusCode: 422, name: 'validation_error', message: 'Invalid `to` field.' }];
  return [200, { id: crypto.randomUUID() }];
}

let svc, acct, twilio, resend, hooks, hookUrl;
const received = []; // webhook bodies
before(async () => {
  [twilio, resend] = await Promise.all([fakeServer(twilioHandler), fakeServer(resendHandler)]);
  hooks = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => { try { received.push(JSON.parse(body)); } catch {} res.writeHead(204).end(); });
  });
  await new Promise((r) => hooks.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${hooks.address().port}/hook`;
  svc = await startService({
    vars: {
      TWILIO_API_BASE: twilio.base, TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, TWILIO_FROM: '+15005550006',
      RESEND_API_BASE: resend.base, RESEND_API_KEY: RESEND_KEY, RESEND_WEBHOOK_SECRET, EMAIL_FROM: 'PausePoint <ask@pausepoint.example>',
    },
  });
  acct = await svc.createAccount('Acme Payments', 'enterprise');
});
after(async () => {
  await svc?.cleanup();
  for (const s of [twilio?.server, resend?.server, hooks]) s?.close();
});

const question = { message: 'Wire $8,400 to Meridian?', options: ['Approve', 'Reject'], timeout_default: 'Reject' };
const create = async (body) => {
  const r = await svc.request('POST', '/v1/pause', { key: acct.live_key, body: { ...question, ...body } });
  assert.equal(r.status, 201, r.text);
  return r.json.pause_id;
};
const get = async (id) => (await svc.request('GET', `/v1/pause/${id}`, { key: acct.live_key })).json;
const audit = async (id, type) =>
  (await svc.request('GET', `/v1/audit?pause_id=${id}&type=${type}`, { key: acct.live_key })).json.data;
const emailsTo = (to) => resend.requests.filter((r) => JSON.parse(r.body).to.includes(to));
const linkIn = (email) => /Or open the request: (\S+)/.exec(JSON.parse(email.body).text)[1];
const hooksOf = (id, type) => received.filter((e) => e.data?.pause_id === id && e.type === type);

test('an escalation level and a reminder fire in seconds, once each', async () => {
  const id = await create({
    timeout_seconds: 60,
    webhook_url: hookUrl,
    approvers: [{ id: 'dana', name: 'Dana (CFO)', channel: 'email', recipient: 'dana@esc.example' }],
    escalation: [{ after_seconds: 2, approvers: [{ id: 'deputy', name: 'Deputy', channel: 'email', recipient: 'deputy@esc.example' }] }],
    reminders: { every_seconds: 5, max: 1 },
  });
  const created = await get(id);
  assert.equal(created.escalation[0].reached_at, null);
  assert.equal(Date.parse(created.reminders.next_at), Date.parse(created.created_at) + 5000);
  assert.equal(created.reminders.sent, 0);
  assert.equal(created.approvers[1].asked_at, null);
  assert.equal(emailsTo('deputy@esc.example').length, 0, 'the deputy is not asked at creation');

  // The level: the deputy is added and messaged, with an audit event and a webhook.
  const deputyMail = await eventually(() => emailsTo('deputy@esc.example')[0], { timeoutMs: 20_000 });
  assert.ok(deputyMail, 'the deputy got the question');
  const p = await get(id);
  assert.ok(p.escalation[0].reached_at, 'the level is reached');
  assert.ok(Date.parse(p.escalation[0].reached_at) >= Date.parse(p.created_at) + 2000);
  assert.ok(p.approvers[1].asked_at);
  const esc = await eventually(async () => (await audit(id, 'pause.escalated')).length && audit(id, 'pause.escalated'));
  assert.equal(esc.length, 1);
  assert.equal(esc[0].context.level, 1);
  assert.deepEqual(esc[0].context.approvers, ['deputy']);
  assert.ok(await eventually(() => hooksOf(id, 'pause.escalated').length === 1), 'pause.escalated webhook');

  // The reminder: the question again, same link, to those asked before it and silent.
  const danaMails = await eventually(() => emailsTo('dana@esc.example').length >= 2 && emailsTo('dana@esc.example'), { timeoutMs: 20_000 });
  assert.ok(danaMails, 'Dana got a reminder');
  assert.equal(linkIn(danaMails[1]), linkIn(danaMails[0]), 'the reminder carries the same link');
  assert.match(JSON.parse(danaMails[1].body).text, /Reminder: Wire \$8,400/);
  // Its own message for the email API: an idempotency key of its own, keyed on the pause.
  const [k0, k1] = danaMails.map((m) => m.headers['idempotency-key']);
  assert.ok(k0.startsWith(`pausepoint-${id}.`) && k1.startsWith(`pausepoint-${id}.`), `${k0} ${k1}`);
  assert.notEqual(k0, k1);
  const rem = await eventually(async () => (await audit(id, 'reminder.sent')).length && audit(id, 'reminder.sent'));
  assert.equal(rem.length, 1);
  assert.ok(rem[0].context.to.includes('dana'));
  const reminded = await get(id);
  assert.equal(reminded.reminders.sent, 1);
  assert.equal(reminded.reminders.next_at, null, 'max 1: none left');

  // max 1: no second reminder, and the level never fires again.
  await sleep(6000);
  assert.equal(emailsTo('dana@esc.example').length, 2);
  assert.equal((await audit(id, 'pause.escalated')).length, 1);
  assert.equal((await audit(id, 'reminder.sent')).length, 1);
  assert.equal(emailsTo('deputy@esc.example').length, rem[0].context.to.includes('deputy') ? 2 : 1);

  // The escalated approver's own link decides (rule `any`).
  const r = await choose(linkIn(deputyMail), 0);
  assert.equal(r.status, 200);
  const done = await get(id);
  assert.equal(done.status, 'responded');
  assert.equal(done.responded_by, 'approvers');
  assert.deepEqual(done.votes.map((v) => [v.approver, v.choice]), [['deputy', 'Approve']]);
});

test('an SMS that fails for good falls back to email; with no contact left the approver is unreachable', async () => {
  const id = await create({
    timeout_seconds: 600,
    webhook_url: hookUrl,
    approvers: [
      { id: 'dana', channel: 'sms', recipient: '+15005550001', fallbacks: [{ channel: 'email', recipient: 'dana@fallback.example' }] },
      { id: 'lee', channel: 'sms', recipient: '+15005550002', fallbacks: [{ channel: 'email', recipient: 'lee@bounce.example' }] },
    ],
    rule: { type: 'quorum', count: 2 },
  });
  // Dana: the SMS is refused (21211), the email goes.
  const mail = await eventually(() => emailsTo('dana@fallback.example')[0], { timeoutMs: 20_000 });
  assert.ok(mail, 'Dana got the question by email');
  const p = await eventually(async () => {
    const q = await get(id);
    return q.approvers.every((a) => a.delivery.history?.length >= 2 && a.delivery.status !== 'queued') && q;
  }, { timeoutMs: 20_000 });
  assert.ok(p, 'both approvers tried both contacts');
  const dana = p.approvers[0];
  assert.deepEqual(dana.delivery.history.map((a) => [a.channel, a.status, a.error_code]),
    [['sms', 'failed', '21211'], ['email', 'sent', null]]);
  assert.equal(dana.channel, 'email');
  // Lee: the SMS is refused and the email bounces: unreachable, every attempt kept.
  const lee = p.approvers[1];
  assert.deepEqual(lee.delivery.history.map((a) => [a.channel, a.status, a.error_code]),
    [['sms', 'failed', '21211'], ['email', 'failed', 'validation_error']]);
  const fb = await audit(id, 'delivery.fallback');
  const of = (who) => fb.filter((e) => e.context.approver === who).map((e) => [e.context.from.channel, e.context.to?.channel ?? null, e.context.unreachable]);
  assert.deepEqual(of('dana'), [['sms', 'email', false]]);
  assert.deepEqual(of('lee'), [['sms', 'email', false], ['email', null, true]]);
  // pause.delivery_failed only for the approver with no contact left.
  assert.ok(await eventually(() => hooksOf(id, 'pause.delivery_failed').length === 1));
  await sleep(1000);
  assert.equal(hooksOf(id, 'pause.delivery_failed').length, 1);
  // Dana's emailed link is her own and votes.
  assert.equal((await choose(linkIn(mail), 0)).status, 200);
  assert.deepEqual((await get(id)).votes.map((v) => v.approver), ['dana']);
});

/// Signs a Twilio status callback as Twilio does: full URL + sorted params, HMAC-SHA1.
async function twilioCallback(pauseId, params) {
  const url = `${svc.base}/callbacks/twilio/status?pause_id=${pauseId}`;
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  const signature = crypto.createHmac('sha1', TWILIO_TOKEN).update(data).digest('base64');
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
  });
}

test("Twilio's later report that an SMS was undelivered falls back to email", async () => {
  const id = await create({
    timeout_seconds: 600,
    approvers: [
      { id: 'sam', channel: 'sms', recipient: '+13125550160', fallbacks: [{ channel: 'email', recipient: 'sam@report.example' }] },
      { id: 'lee', channel: 'email', recipient: 'lee@report.example' },
    ],
  });
  const sent = await eventually(async () => {
    const a = (await get(id)).approvers[0];
    return a.delivery.status === 'sent' && a;
  }, { timeoutMs: 20_000 });
  assert.ok(sent, 'the SMS was handed to Twilio');
  assert.equal(emailsTo('sam@report.example').length, 0);
  const r = await twilioCallback(id, { MessageSid: sent.delivery.message_id, MessageStatus: 'undelivered', ErrorCode: '30003' });
  assert.equal(r.status, 200);
  const mail = await eventually(() => emailsTo('sam@report.example')[0], { timeoutMs: 20_000 });
  assert.ok(mail, 'Sam got the question by email after the report');
  const sam = await eventually(async () => {
    const a = (await get(id)).approvers[0];
    return a.delivery.status === 'sent' && a;
  });
  assert.equal(sam.channel, 'email');
  assert.deepEqual(sam.delivery.history.map((a) => [a.channel, a.status, a.error_code]),
    [['sms', 'failed', '30003'], ['email', 'sent', null]]);
  const fb = await audit(id, 'delivery.fallback');
  assert.deepEqual(fb.map((e) => [e.context.approver, e.context.from.channel, e.context.to.channel, e.context.error_code]),
    [['sam', 'sms', 'email', '30003']]);
  // The same report again changes nothing: no second fallback.
  await twilioCallback(id, { MessageSid: sent.delivery.message_id, MessageStatus: 'undelivered', ErrorCode: '30003' });
  await sleep(500);
  assert.equal((await audit(id, 'delivery.fallback')).length, 1);
  assert.equal(emailsTo('sam@report.example').length, 1);
});

test('a restart before a due escalation fires it once, late', async () => {
  const id = await create({
    timeout_seconds: 120,
    approvers: [{ id: 'dana', channel: 'email', recipient: 'dana@restart.example' }],
    escalation: [{ after_seconds: 4, approvers: [{ id: 'ceo', channel: 'email', recipient: 'ceo@restart.example' }] }],
  });
  await eventually(() => emailsTo('dana@restart.example').length === 1);
  await svc.stop();
  await sleep(5000); // the level's time passes while the Worker is down
  await svc.start();
  await get(id); // any touch wakes the object (local mode loses alarms over a restart)
  const mail = await eventually(() => emailsTo('ceo@restart.example')[0], { timeoutMs: 20_000 });
  assert.ok(mail, 'the missed level fired after the restart');
  await sleep(3000);
  assert.equal(emailsTo('ceo@restart.example').length, 1, 'once, not twice');
  assert.equal((await audit(id, 'pause.escalated')).length, 1);
  const p = await get(id);
  assert.ok(Date.parse(p.escalation[0].reached_at) >= Date.parse(p.created_at) + 4000);
});

/// Posts an email event signed as Resend (Svix) signs it: v1,base64(HMAC-SHA256(key, "id.ts.body")).
let eventSeq = 0;
async function emailEvent(event, { secret = RESEND_WEBHOOK_SECRET, id = `msg_${++eventSeq}`, ts = Math.floor(Date.now() / 1000) } = {}) {
  const body = JSON.stringify({ created_at: new Date().toISOString(), ...event });
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const sig = crypto.createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  return fetch(`${svc.base}/callbacks/email/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'svix-id': id, 'svix-timestamp': String(ts), 'svix-signature': `v1,${sig}` },
    body,
  });
}
const bounced = (emailId, pauseId) => ({
  type: 'email.bounced',
  data: { email_id: emailId, to: ['x@example.com'], bounce: { type: 'Permanent', subType: 'General', message: 'Mailbox does not exist' }, tags: { pause_id: pauseId } },
});
const smsTo = (to) => twilio.requests.filter((r) => new URLSearchParams(r.body).get('To') === to);

test('an email that bounces after it was accepted falls back to SMS; a forged event changes nothing', async () => {
  const id = await create({
    timeout_seconds: 600,
    approvers: [
      { id: 'eve', channel: 'email', recipient: 'eve@later-bounce.example', fallbacks: [{ channel: 'sms', recipient: '+13125550161' }] },
      { id: 'lee', channel: 'email', recipient: 'lee@later-bounce.example' },
    ],
  });
  const eve = await eventually(async () => {
    const a = (await get(id)).approvers[0];
    return a.delivery.status === 'sent' && a;
  }, { timeoutMs: 20_000 });
  assert.ok(eve, 'the email was accepted');
  // The send carries the pause as a tag, which the provider's events echo back.
  assert.deepEqual(JSON.parse(emailsTo('eve@later-bounce.example')[0].body).tags, [{ name: 'pause_id', value: id }]);
  const emailId = eve.delivery.message_id;

  // Forged: another secret, a stale timestamp, no signature. 403, nothing moves.
  const other = 'whsec_' + Buffer.from('not-the-providers-secret-at-all!').toString('base64');
  for (const opts of [{ secret: other }, { ts: Math.floor(Date.now() / 1000) - 3600 }]) {
    const r = await emailEvent(bounced(emailId, id), opts);
    assert.equal(r.status, 403);
    assert.equal((await r.json()).error.code, 'forbidden');
  }
  const unsigned = await fetch(`${svc.base}/callbacks/email/events`, { method: 'POST', body: JSON.stringify(bounced(emailId, id)) });
  assert.equal(unsigned.status, 403);
  await sleep(500);
  assert.equal((await get(id)).approvers[0].delivery.status, 'sent');
  assert.equal(smsTo('+13125550161').length, 0);

  // The real bounce: Eve's next contact gets the question by SMS.
  const r = await emailEvent(bounced(emailId, id));
  assert.equal(r.status, 200, await r.text());
  const sms = await eventually(() => smsTo('+13125550161')[0], { timeoutMs: 20_000 });
  assert.ok(sms, 'Eve got the question by SMS after the bounce');
  const after = await eventually(async () => {
    const a = (await get(id)).approvers[0];
    return a.delivery.status === 'sent' && a.channel === 'sms' && a;
  });
  assert.deepEqual(after.delivery.history.map((a) => [a.channel, a.status, a.error_code]),
    [['email', 'failed', 'bounced'], ['sms', 'sent', null]]);
  const fb = await audit(id, 'delivery.fallback');
  assert.deepEqual(fb.map((e) => [e.context.approver, e.context.from.channel, e.context.to.channel, e.context.error_code]),
    [['eve', 'email', 'sms', 'bounced']]);
  // The provider retrying the same event (same svix-id) changes nothing more.
  const again = await emailEvent(bounced(emailId, id), { id: 'msg_replayed' });
  const replay = await emailEvent(bounced(emailId, id), { id: 'msg_replayed' });
  assert.equal(again.status, 200);
  assert.equal(replay.status, 200);
  await sleep(500);
  assert.equal((await audit(id, 'delivery.fallback')).length, 1);
  assert.equal(smsTo('+13125550161').length, 1);

  // Lee's email is delivered; events about mail that is not ours are acknowledged.
  const lee = (await get(id)).approvers[1];
  const d = await emailEvent({ type: 'email.delivered', data: { email_id: lee.delivery.message_id, tags: { pause_id: id } } });
  assert.equal(d.status, 200);
  assert.ok(await eventually(async () => (await get(id)).approvers[1].delivery.status === 'delivered'));
  for (const e of [{ type: 'email.bounced', data: { email_id: 'em_not_ours' } },
    { type: 'email.complained', data: { email_id: lee.delivery.message_id, tags: { pause_id: id } } }]) {
    assert.equal((await emailEvent(e)).status, 200);
  }
  assert.equal((await get(id)).approvers[1].delivery.status, 'delivered');
  // A signed body that is not an event: 400 naming the field.
  const bad = await emailEvent({ type: 'email.bounced', data: {} });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.param, 'data.email_id');
});

test("a single recipient's bounced email is a failed delivery with pause.delivery_failed, once", async () => {
  const id = await create({ timeout_seconds: 600, webhook_url: hookUrl, channel: 'email', recipient: 'solo@later-bounce.example' });
  const p = await eventually(async () => {
    const x = await get(id);
    return x.delivery.status === 'sent' && x;
  }, { timeoutMs: 20_000 });
  assert.ok(p);
  assert.equal((await emailEvent(bounced(p.delivery.message_id, id))).status, 200);
  const failed = await eventually(async () => {
    const x = await get(id);
    return x.delivery.status === 'failed' && x;
  });
  assert.equal(failed.delivery.error_code, 'bounced');
  assert.match(failed.delivery.error_message, /Mailbox does not exist/);
  assert.equal(failed.status, 'pending', 'still answerable');
  assert.ok(await eventually(() => hooksOf(id, 'pause.delivery_failed').length === 1), 'pause.delivery_failed webhook');
  assert.equal((await emailEvent(bounced(p.delivery.message_id, id))).status, 200);
  await sleep(1000);
  assert.equal(hooksOf(id, 'pause.delivery_failed').length, 1);
  assert.equal((await audit(id, 'message.failed')).length, 1);
});
