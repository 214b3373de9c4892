// Delivery through real provider wire formats. Twilio, Slack and the email API are
// replaced at the network edge by local HTTP servers that check the requests as the
// real APIs would (auth, encoding, required fields) and answer as they do, including
// their error bodies. The Worker is pointed at them with the *_API_BASE variables.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { startService, seedRequest, eventually, choose, sleep } from './harness.mjs';

const TWILIO_SID = 'AC00000000000000000000000000000001';
const TWILIO_TOKEN = 'twilio-auth-token-e2e';
const TWILIO_FROM = '+15005550006';
const WA_FROM = '+14155238886';
const WA_TEMPLATE = 'HX0000000000000000000000000000e2e1';
const SLACK_TOKEN = 'xoxb-e2e-bot-token';
const SLACK_SECRET = 'slack-signing-secret-e2e';
const RESEND_KEY = 're_e2e_key';
const EMAIL_FROM = 'PausePoint <ask@pausepoint.example>';

/// A fake provider: records every request (method, path, headers, raw body) and lets
/// `handler` answer it.
const hung = [];
async function fakeServer(handler) {
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const r = { method: req.method, path: req.url, headers: req.headers, body };
      requests.push(r);
      const reply = handler(r);
      // `null`: never answer (a provider call still in flight when the Worker dies).
      if (reply === null) return hung.push(res);
      const [status, answer] = reply;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof answer === 'string' ? answer : JSON.stringify(answer));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { requests, server, base: `http://127.0.0.1:${server.address().port}` };
}

const twilioError = (code, message, status = 400) => [status, {
  code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status,
}];

// Twilio's magic test numbers, plus one that fails once with 503.
const twilioAttempts = new Map();
function twilioHandler(r) {
  const expectedPath = `/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`;
  if (r.method !== 'POST' || r.path !== expectedPath) return [404, { code: 20404, message: 'The requested resource was not found', status: 404 }];
  const basic = 'Basic ' + Buffer.from(`${TWILIO_SID}:${TWILIO_TOKEN}`).toString('base64');
  if (r.headers.authorization !== basic) return twilioError(20003, 'Authenticate', 401);
  if (!r.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) return twilioError(20001, 'Unsupported content type', 400);
  const f = new URLSearchParams(r.body);
  if (!f.get('To')) return twilioError(21604, "A 'To' phone number is required.");
  if (!f.get('From') && !f.get('MessagingServiceSid')) return twilioError(21603, "A 'From' phone number is required.");
  if (!f.get('Body') && !f.get('ContentSid')) return twilioError(21602, 'Message body is required.');
  const to = f.get('To').replace(/^whatsapp:/, '');
  const n = (twilioAttempts.get(to) ?? 0) + 1;
  twilioAttempts.set(to, n);
  if (to === '+15005550001') return twilioError(21211, `The 'To' number ${to} is not a valid phone number.`);
  if (to === '+15005550004') return twilioError(21610, 'Attempt to send to unsubscribed recipient');
  if (to === '+15005550003') return twilioError(21408, `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`);
  if (to === '+15005550016') return twilioError(63016, 'Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.');
  if (to === '+13125550503' && n === 1) return [503, '<html>Service Unavailable</html>'];
  if (to === '+13125550777') return null;
  return [201, {
    sid: 'SM' + crypto.randomBytes(16).toString('hex'), account_sid: TWILIO_SID, to: f.get('To'),
    from: f.get('From'), body: f.get('Body'), status: 'queued', num_segments: '1',
  }];
}

function slackHandler(r) {
  if (r.headers.authorization !== `Bearer ${SLACK_TOKEN}`) return [200, { ok: false, error: 'not_authed' }];
  if (!r.headers['content-type']?.startsWith('application/json')) return [200, { ok: false, error: 'invalid_form_data' }];
  const b = JSON.parse(r.body);
  if (r.path === '/chat.postMessage') {
    if (b.channel === 'C0NOTFOUND1') return [200, { ok: false, error: 'channel_not_found' }];
    if (b.channel === 'C0NOTMEMBER') return [200, { ok: false, error: 'not_in_channel' }];
    if (!b.text && !b.blocks) return [200, { ok: false, error: 'no_text' }];
    return [200, { ok: true, channel: b.channel, ts: '1700000000.000100', message: { text: b.text, blocks: b.blocks } }];
  }
  if (r.path === '/chat.update') {
    if (!b.channel || !b.ts) return [200, { ok: false, error: 'message_not_found' }];
    return [200, { ok: true, channel: b.channel, ts: b.ts, text: b.text }];
  }
  return [404, { ok: false, error: 'unknown_method' }];
}

function resendHandler(r) {
  if (r.path !== '/emails' || r.method !== 'POST') return [404, { statusCode: 404, name: 'not_found', message: 'The requested endpoint does not exist.' }];
  if (r.headers.authorization !== `Bearer ${RESEND_KEY}`) return [401, { statusCode: 401, name: 'missing_api_key', message: 'Missing API key in the authorization header.' }];
  let b;
  try { b = JSON.parse(r.body); } catch { return [400, { statusCode: 400, name: 'invalid_parameter', message: 'Body is not JSON.' }]; }
  for (const k of ['from', 'to', 'subject']) {
    if (!b[k]) return [422, { statusCode: 422, name: 'missing_required_field', message: `Missing \`${k}\` field.` }];
  }
  if (b.to.includes('bounce@invalid.example')) return [422, { statusCode: 422, name: 'validation_error', message: 'Invalid `to` field. The email address needs to follow the `email@example.com` format.' }];
  return [200, { id: crypto.randomUUID() }];
}

let svc, acct, twilio, slack, resend;
before(async () => {
  [twilio, slack, resend] = await Promise.all([fakeServer(twilioHandler), fakeServer(slackHandler), fakeServer(resendHandler)]);
  svc = await startService({
    vars: {
      TWILIO_API_BASE: twilio.base, TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      TWILIO_FROM, TWILIO_WHATSAPP_FROM: WA_FROM, TWILIO_WHATSAPP_CONTENT_SID: WA_TEMPLATE,
      SLACK_API_BASE: slack.base, SLACK_BOT_TOKEN: SLACK_TOKEN, SLACK_SIGNING_SECRET: SLACK_SECRET,
      RESEND_API_BASE: resend.base, RESEND_API_KEY: RESEND_KEY, EMAIL_FROM,
    },
  });
  acct = await svc.createAccount('Acme Payments', 'enterprise');
});
after(async () => {
  await svc?.cleanup();
  for (const res of hung) res.destroy();
  for (const f of [twilio, slack, resend]) f?.server.close();
});

const create = (body, key = acct.live_key) => svc.request('POST', '/v1/pause', { key, body });
const get = async (id) => (await svc.request('GET', `/v1/pause/${id}`, { key: acct.live_key })).json;
const settled = (id) => eventually(async () => {
  const p = await get(id);
  return ['sent', 'failed'].includes(p.delivery.status) ? p : null;
}, { timeoutMs: 30_000, everyMs: 200 });
const twilioTo = (to) => twilio.requests.filter((r) => new URLSearchParams(r.body).get('To') === to);

/// Signs a Twilio status callback as Twilio does: full URL + sorted params, HMAC-SHA1.
function twilioSign(url, params, token = TWILIO_TOKEN) {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return crypto.createHmac('sha1', token).update(data).digest('base64');
}
async function twilioCallback(pauseId, params, { token, signature } = {}) {
  const url = `${svc.base}/callbacks/twilio/status?pause_id=${pauseId}`;
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  headers['x-twilio-signature'] = signature ?? twilioSign(url, params, token);
  return fetch(url, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
}

function slackSign(body, ts, secret = SLACK_SECRET) {
  return 'v0=' + crypto.createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
}
async function slackClick(value, { ts = Math.floor(Date.now() / 1000), secret, signature, user = 'U0777ADA' } = {}) {
  const payload = {
    type: 'block_actions', user: { id: user, username: 'ada', team_id: 'T1' },
    channel: { id: 'C0APPROVALS', name: 'approvals' },
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0APPROVALS' },
    actions: [{ type: 'button', action_id: 'pausepoint_choice_1', value, action_ts: String(ts) }],
    response_url: 'https://hooks.slack.invalid/actions/T1/1/x',
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return fetch(`${svc.base}/callbacks/slack/interactivity`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signature ?? slackSign(body, ts, secret),
    },
    body,
  });
}

test('SMS goes to Twilio once, form-encoded with basic auth, and status callbacks are recorded', async () => {
  const r = await create({ ...seedRequest(), recipient: '+1 (312) 555-0142' });
  assert.equal(r.status, 201, r.text);
  const id = r.json.pause_id;
  const p = await settled(id);
  assert.equal(p.delivery.status, 'sent', JSON.stringify(p.delivery));
  assert.equal(p.delivery.provider, 'twilio');
  assert.match(p.delivery.message_id, /^SM[0-9a-f]{32}$/);
  const sent = twilioTo('+13125550142');
  assert.equal(sent.length, 1);
  const f = new URLSearchParams(sent[0].body);
  assert.equal(f.get('From'), TWILIO_FROM);
  assert.equal(f.get('StatusCallback'), `${svc.base}/callbacks/twilio/status?pause_id=${id}`);
  const body = f.get('Body');
  assert.ok(body.includes('Wire $8,400 to Meridian?'));
  assert.match(body, /\/r\/[A-Za-z0-9_-]{35}$/, 'ends with the whole link');
  // Nothing went to the local outbox for a live pause with a provider configured.
  assert.equal((await svc.request('GET', `/dev/outbox?pause_id=${id}`)).json.data.length, 0);

  // A forged callback (wrong key, or no signature) is refused and changes nothing.
  const forged = await twilioCallback(id, { MessageSid: p.delivery.message_id, MessageStatus: 'failed', ErrorCode: '30003' }, { token: 'wrong-token' });
  assert.equal(forged.status, 403);
  const unsigned = await twilioCallback(id, { MessageSid: p.delivery.message_id, MessageStatus: 'failed' }, { signature: '' });
  assert.equal(unsigned.status, 403);
  assert.equal((await get(id)).delivery.status, 'sent');

  const ok = await twilioCallback(id, { MessageSid: p.delivery.message_id, MessageStatus: 'delivered', AccountSid: TWILIO_SID, To: '+13125550142' });
  assert.equal(ok.status, 200);
  assert.equal((await get(id)).delivery.status, 'delivered');
  // Out-of-order reports never move a delivered message back.
  await twilioCallback(id, { MessageSid: p.delivery.message_id, MessageStatus: 'sent' });
  assert.equal((await get(id)).delivery.status, 'delivered');
});

test('an undelivered report with an error code is visible on the pause', async () => {
  const id = (await create({ ...seedRequest(), recipient: '+13125550143' })).json.pause_id;
  const p = await settled(id);
  const r = await twilioCallback(id, { MessageSid: p.delivery.message_id, MessageStatus: 'undelivered', ErrorCode: '30003' });
  assert.equal(r.status, 200);
  const after = await get(id);
  assert.equal(after.delivery.status, 'failed');
  assert.equal(after.delivery.error_code, '30003');
  assert.match(after.delivery.error_message, /unreachable/);
  // A signed report for an id that is not a pause reaches nothing.
  assert.equal((await twilioCallback('pause_junk', { MessageSid: 'SM1', MessageStatus: 'failed' })).status, 404);
  // A report about another message of ours (another sid) is ignored.
  const id2 = (await create({ ...seedRequest(), recipient: '+13125550144' })).json.pause_id;
  await settled(id2);
  await twilioCallback(id2, { MessageSid: 'SMnotthisone', MessageStatus: 'failed', ErrorCode: '30007' });
  assert.equal((await get(id2)).delivery.status, 'sent');
});

test('permanent Twilio errors are recorded with their code and not retried', async () => {
  for (const [to, code, words] of [
    ['+15005550001', '21211', /not a valid phone number/],
    ['+15005550004', '21610', /opted out/],
    ['+15005550003', '21408', /region/],
  ]) {
    const id = (await create({ ...seedRequest(), recipient: to })).json.pause_id;
    const p = await settled(id);
    assert.equal(p.delivery.status, 'failed', to);
    assert.equal(p.delivery.provider, 'twilio');
    assert.equal(p.delivery.error_code, code);
    assert.match(p.delivery.error_message, words);
    assert.equal(p.status, 'pending', 'the pause itself stays answerable on the page');
    await sleep(2500); // longer than the first retry delay
    assert.equal(twilioTo(to).length, 1, `${to} was tried once`);
  }
});

test('a transient 503 is retried with back-off and the message is sent exactly once', async () => {
  const id = (await create({ ...seedRequest(), recipient: '+13125550503' })).json.pause_id;
  const p = await eventually(async () => {
    const x = await get(id);
    return x.delivery.status === 'sent' ? x : null;
  }, { timeoutMs: 30_000, everyMs: 250 });
  assert.ok(p, 'eventually sent');
  assert.equal(p.delivery.attempts, 2);
  await sleep(3000);
  assert.equal(twilioTo('+13125550503').length, 2, 'one 503, one accepted: nothing more');
});

test('WhatsApp uses whatsapp: addresses and the approved template outside the session', async () => {
  const id = (await create({ ...seedRequest(), channel: 'whatsapp', recipient: '+44 7700 900123' })).json.pause_id;
  const p = await settled(id);
  assert.equal(p.delivery.status, 'sent');
  const [req] = twilioTo('whatsapp:+447700900123');
  const f = new URLSearchParams(req.body);
  assert.equal(f.get('From'), `whatsapp:${WA_FROM}`);
  assert.equal(f.get('ContentSid'), WA_TEMPLATE);
  const vars = JSON.parse(f.get('ContentVariables'));
  assert.equal(vars['1'], 'Acme Payments');
  assert.equal(vars['2'], 'Wire $8,400 to Meridian?');
  assert.match(vars['3'], /\/r\/[A-Za-z0-9_-]{35}$/);

  const late = (await create({ ...seedRequest(), channel: 'whatsapp', recipient: '+15005550016' })).json.pause_id;
  const q = await settled(late);
  assert.equal(q.delivery.status, 'failed');
  assert.equal(q.delivery.error_code, '63016');
  assert.match(q.delivery.error_message, /24-hour session window/);
});

test('email: HTML and text with a button per option; a button preselects, a POST confirms', async () => {
  const id = (await create({ ...seedRequest(), channel: 'email', recipient: 'Ada@Example.com' })).json.pause_id;
  const p = await settled(id);
  assert.equal(p.delivery.status, 'sent', JSON.stringify(p.delivery));
  assert.equal(p.delivery.provider, 'resend');
  const req = resend.requests.find((r) => JSON.parse(r.body).to.includes('Ada@example.com'));
  assert.ok(req, 'the email API got the message');
  assert.equal(req.headers['idempotency-key'], `pausepoint-${id}`);
  const b = JSON.parse(req.body);
  assert.equal(b.from, EMAIL_FROM);
  assert.match(b.subject, /Acme Payments asks: Wire \$8,400/);
  const links = [...b.html.matchAll(/href="([^"]+\?c=(\d))"/g)].map((m) => m[1]);
  assert.equal(links.length, 2);
  assert.ok(b.text.includes(`Reject: ${links[1]}`));

  // A scanner (or the person) opening the Reject button changes nothing...
  const confirm = await fetch(links[1]);
  assert.equal(confirm.status, 200);
  const html = await confirm.text();
  assert.equal((html.match(/<button/g) || []).length, 1);
  assert.match(html, /Confirm: Reject/);
  assert.equal((await get(id)).status, 'pending');
  // ...the confirming POST answers.
  const answer = await choose(links[1].replace(/\?c=\d$/, ''), 1);
  assert.equal(answer.status, 200);
  const done = await get(id);
  assert.equal(done.status, 'responded');
  assert.equal(done.response_choice, 'Reject');

  const bad = (await create({ ...seedRequest(), channel: 'email', recipient: 'bounce@invalid.example' })).json.pause_id;
  const q = await settled(bad);
  assert.equal(q.delivery.status, 'failed');
  assert.equal(q.delivery.error_code, 'validation_error');
  assert.match(q.delivery.error_message, /Invalid `to` field/);
});

test('Slack: Block Kit buttons; a signed click resolves the pause and updates the message', async () => {
  const id = (await create({ ...seedRequest(), channel: 'slack', recipient: 'C0APPROVALS' })).json.pause_id;
  const p = await settled(id);
  assert.equal(p.delivery.status, 'sent', JSON.stringify(p.delivery));
  assert.equal(p.delivery.message_id, '1700000000.000100');
  const post = slack.requests.find((r) => r.path === '/chat.postMessage' && JSON.parse(r.body).blocks[1].elements[0].value.startsWith(id));
  const m = JSON.parse(post.body);
  assert.equal(m.channel, 'C0APPROVALS');
  assert.ok(m.text.includes('Wire $8,400 to Meridian?'));
  const buttons = m.blocks.find((b) => b.type === 'actions').elements;
  assert.deepEqual(buttons.map((b) => [b.text.text, b.value]), [['Approve', `${id}:0`], ['Reject', `${id}:1`]]);

  // Forged: wrong secret, tampered body, stale timestamp. All refused; nothing changes.
  assert.equal((await slackClick(`${id}:0`, { secret: 'not-the-secret' })).status, 403);
  assert.equal((await slackClick(`${id}:0`, { signature: 'v0=' + '0'.repeat(64) })).status, 403);
  const old = Math.floor(Date.now() / 1000) - 600;
  assert.equal((await slackClick(`${id}:0`, { ts: old })).status, 403);
  assert.equal((await get(id)).status, 'pending');
  assert.equal(slack.requests.filter((r) => r.path === '/chat.update').length, 0);

  assert.equal((await slackClick('pause_junk:1')).status, 404);
  const click = await slackClick(`${id}:1`);
  assert.equal(click.status, 200);
  const done = await get(id);
  assert.equal(done.status, 'responded');
  assert.equal(done.response_choice, 'Reject');
  assert.equal(done.responded_via, 'slack');
  const updates = slack.requests.filter((r) => r.path === '/chat.update');
  assert.equal(updates.length, 1);
  assert.equal(updates[0].headers.authorization, `Bearer ${SLACK_TOKEN}`);
  const u = JSON.parse(updates[0].body);
  assert.equal(u.channel, 'C0APPROVALS');
  assert.equal(u.ts, '1700000000.000100');
  assert.ok(JSON.stringify(u.blocks).includes('Reject') && JSON.stringify(u.blocks).includes('<@U0777ADA>'));
  assert.ok(!JSON.stringify(u.blocks).includes('"actions"'), 'the buttons are gone');

  // A late click loses (single use): the answer stays, and the message says so.
  assert.equal((await slackClick(`${id}:0`, { user: 'U0888BOB' })).status, 200);
  assert.equal((await get(id)).response_choice, 'Reject');
  const late = slack.requests.filter((r) => r.path === '/chat.update');
  assert.equal(late.length, 2);
  assert.ok(JSON.stringify(JSON.parse(late[1].body).blocks).includes('Already answered: *Reject*'));
});

test('Slack ok:false errors such as channel_not_found are permanent failures', async () => {
  for (const [channel, code] of [['C0NOTFOUND1', 'channel_not_found'], ['C0NOTMEMBER', 'not_in_channel']]) {
    const id = (await create({ ...seedRequest(), channel: 'slack', recipient: channel })).json.pause_id;
    const p = await settled(id);
    assert.equal(p.delivery.status, 'failed');
    assert.equal(p.delivery.provider, 'slack');
    assert.equal(p.delivery.error_code, code);
  }
});

test('test-mode pauses never reach a provider, on any channel', async () => {
  const before = twilio.requests.length + slack.requests.length + resend.requests.length;
  const made = [];
  for (const [channel, recipient] of [['sms', '+13125550199'], ['whatsapp', '+13125550198'], ['email', 'test@example.com'], ['slack', 'C0TESTMODE1']]) {
    const r = await create({ ...seedRequest(), channel, recipient }, acct.test_key);
    assert.equal(r.status, 201, r.text);
    made.push([r.json.pause_id, channel]);
  }
  for (const [id, channel] of made) {
    const row = await eventually(async () => {
      const r = await svc.request('GET', `/v1/test/outbox?pause_id=${id}`, { key: acct.test_key });
      return r.json?.data?.[0];
    });
    assert.ok(row, `test outbox has ${id}`);
    assert.equal(row.channel, channel);
    const p = (await svc.request('GET', `/v1/pause/${id}`, { key: acct.test_key })).json;
    assert.equal(p.delivery.provider, 'local_outbox');
  }
  await sleep(1500);
  assert.equal(twilio.requests.length + slack.requests.length + resend.requests.length, before);
});

const slackPostFor = (id) => slack.requests.find((r) => r.path === '/chat.postMessage' && JSON.parse(r.body).blocks[1].elements[0].value.startsWith(id));

test('Slack: danger options ask for confirmation; the clicking user is in the audit log', async () => {
  const r = await create({ ...seedRequest(), channel: 'slack', recipient: 'C0APPROVALS', options: ['Approve', 'Delete the vendor'], timeout_default: 'Approve', danger: ['Delete the vendor'] });
  assert.equal(r.status, 201, r.text);
  const id = r.json.pause_id;
  assert.equal((await settled(id)).delivery.status, 'sent');
  const buttons = JSON.parse(slackPostFor(id).body).blocks.find((b) => b.type === 'actions').elements;
  assert.equal(buttons[0].confirm, undefined, 'a safe option is one click');
  assert.equal(buttons[0].style, 'primary');
  const c = buttons[1].confirm;
  assert.ok(c, 'the danger option carries a Block Kit confirm dialog');
  assert.equal(buttons[1].style, 'danger');
  assert.equal(c.title.type, 'plain_text');
  assert.equal(c.title.text, 'Are you sure?');
  assert.match(c.text.text, /Delete the vendor/);
  assert.equal(c.confirm.text, 'Yes, Delete the vendor');
  assert.equal(c.deny.text, 'Back');
  assert.equal(c.style, 'danger');
  for (const t of [c.title.text, c.confirm.text, c.deny.text]) assert.ok(t.length <= 30 || t === c.title.text);

  // Slack sends the click only after the dialog: it counts at once.
  assert.equal((await slackClick(`${id}:1`, { user: 'U0777ADA' })).status, 200);
  assert.equal((await get(id)).response_choice, 'Delete the vendor');
  const ev = await eventually(async () => {
    const a = await svc.request('GET', `/v1/audit?pause_id=${id}&type=pause.responded`, { key: acct.live_key });
    return a.json?.data?.[0];
  });
  assert.ok(ev, 'pause.responded is in the audit log');
  assert.equal(ev.actor, 'recipient');
  assert.equal(ev.context.via, 'slack');
  assert.deepEqual(ev.context.slack_user, { id: 'U0777ADA', name: 'ada' });
});

test('Slack: the fallback text is escaped, so a question cannot mention @channel or add links', async () => {
  const message = '<!channel> pay <https://evil.invalid|your bank> & <@U0BOSS> now';
  const id = (await create({ ...seedRequest(), channel: 'slack', recipient: 'C0APPROVALS', message })).json.pause_id;
  assert.equal((await settled(id)).delivery.status, 'sent');
  const m = JSON.parse(slackPostFor(id).body);
  assert.equal(m.text, 'Acme Payments asks: &lt;!channel&gt; pay &lt;https://evil.invalid|your bank&gt; &amp; &lt;@U0BOSS&gt; now');
  assert.ok(!slackPostFor(id).body.includes('<!channel>'), 'nowhere in the message');
  assert.equal((await slackClick(`${id}:0`)).status, 200);
  const u = JSON.parse(slack.requests.filter((r) => r.path === '/chat.update').at(-1).body);
  assert.equal(u.text, 'Acme Payments asked: &lt;!channel&gt; pay &lt;https://evil.invalid|your bank&gt; &amp; &lt;@U0BOSS&gt; now');
});

test('Slack: a timestamp far outside the window is refused without overflow', async () => {
  const id = (await create({ ...seedRequest(), channel: 'slack', recipient: 'C0APPROVALS' })).json.pause_id;
  await settled(id);
  const now = BigInt(Math.floor(Date.now() / 1000));
  // now - ts wraps to i64::MIN for one of these: a wrapping |now - ts| would be "0 s old".
  const tss = [-1n, 0n, 1n, 2n].map((d) => String(now + d - 2n ** 63n));
  for (const ts of [...tss, '-9223372036854775808', '9223372036854775807', '99999999999999999999', '1e3', ' 1700000000']) {
    assert.equal((await slackClick(`${id}:0`, { ts })).status, 403, ts);
  }
  assert.equal((await get(id)).status, 'pending', 'no click counted');
  const health = await fetch(`${svc.base}/healthz`);
  assert.equal(health.status, 200);
  assert.ok(!svc.logs.includes('Reinitializing'), 'the instance never restarted');
});

test('a send cut off by a crash is not repeated: the pause records outcome_unknown', async () => {
  // Twilio is not safe to call twice: `sending` is committed before the call, so the
  // attempt after a crash finds it and gives up rather than risk a second message.
  const to = '+13125550777';
  const r = await create({ ...seedRequest(), recipient: '+1 (312) 555-0777' });
  assert.equal(r.status, 201, r.text);
  const id = r.json.pause_id;
  assert.ok(await eventually(() => twilioTo(to).length === 1, { timeoutMs: 30_000 }), 'the call reached Twilio');
  assert.equal((await get(id)).delivery.status, 'sending');
  await svc.restart(); // killed while the call is in flight
  const p = await settled(id);
  assert.ok(p, 'the delivery settled after the restart');
  assert.equal(p.delivery.status, 'failed', JSON.stringify(p.delivery));
  assert.equal(p.delivery.error_code, 'outcome_unknown');
  assert.equal(p.status, 'pending', 'the pause itself still waits for an answer');
  await sleep(1500);
  assert.equal(twilioTo(to).length, 1, 'never sent twice');
  const failed = await eventually(async () => {
    const a = await svc.request('GET', `/v1/audit?pause_id=${id}&type=message.failed`, { key: acct.live_key });
    return a.json?.data?.[0];
  });
  assert.ok(failed, 'message.failed is in the audit log');
  assert.equal(failed.context.code, 'outcome_unknown');
  assert.equal(failed.context.will_retry, false);
});

test('approvers: each gets their own message; email buttons and Slack buttons carry the approver', async () => {
  const r = await create({
    message: 'Ship release 4.2?', options: ['Approve', 'Reject'], timeout_hours: 1,
    approvers: [
      { name: 'Ada', channel: 'email', recipient: 'ada.approver@example.com' },
      { name: 'Bo', channel: 'email', recipient: 'bo.approver@example.com' },
      { name: 'Cy', channel: 'slack', recipient: 'C0APPROVER3' },
    ],
    rule: { type: 'quorum', count: 2 },
  });
  assert.equal(r.status, 201, r.text);
  const id = r.json.pause_id;
  const p = await eventually(async () => {
    const q = await get(id);
    return q.approvers.every((a) => a.delivery.status === 'sent') ? q : null;
  }, { timeoutMs: 30_000, everyMs: 200 });
  assert.ok(p, 'every approver was sent their message');
  assert.equal(p.approvers[0].delivery.history.length, 1);
  assert.equal(p.approvers[0].delivery.history[0].channel, 'email');
  const mail = (to) => resend.requests.find((q) => JSON.parse(q.body).to.includes(to));
  const [ada, bo] = [mail('ada.approver@example.com'), mail('bo.approver@example.com')];
  assert.ok(ada && bo, 'one email per approver');
  assert.notEqual(ada.headers['idempotency-key'], bo.headers['idempotency-key'], 'each approver has their own message');
  const button = (req) => [...JSON.parse(req.body).html.matchAll(/href="([^"]+)\?c=0"/g)][0][1];
  const [adaLink, boLink] = [button(ada), button(bo)];
  assert.notEqual(adaLink, boLink);
  assert.match(adaLink, /\/r\/[A-Za-z0-9_-]{36}$/);

  const post = slackPostFor(id);
  const values = JSON.parse(post.body).blocks.find((b) => b.type === 'actions').elements.map((b) => b.value);
  assert.deepEqual(values, [`${id}:0:2`, `${id}:1:2`]);
  // Cy votes from Slack: the vote is recorded and Cy's message shows it; still pending.
  assert.equal((await slackClick(`${id}:0:2`)).status, 200);
  let now = await get(id);
  assert.equal(now.status, 'pending');
  assert.deepEqual(now.votes.map((v) => [v.approver, v.choice, v.via]), [['approver_3', 'Approve', 'slack']]);
  const update = slack.requests.filter((q) => q.path === '/chat.update').at(-1);
  assert.equal(JSON.parse(update.body).channel, 'C0APPROVER3');
  // Bo approves through the email button's page: two votes decide.
  assert.equal((await choose(boLink, 0)).status, 200);
  now = await get(id);
  assert.equal(now.status, 'responded');
  assert.equal(now.responded_by, 'approvers');
  // Ada's link now shows the decision.
  const page = await (await fetch(adaLink)).text();
  assert.ok(page.includes('Decided') && page.includes('Approve'), page);
});
