// Approval policies (issue 15) end to end: several approvers, each with their own link
// from the dev outbox, voting on the real response page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startService, choose, eventually, sleep } from './harness.mjs';

let svc, acct, receiver, hookBase;
const got = new Map();

before(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const list = got.get(req.url) ?? [];
      list.push({ id: req.headers['webhook-id'], body: JSON.parse(body) });
      got.set(req.url, list);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  hookBase = `http://127.0.0.1:${receiver.address().port}`;
  svc = await startService();
  acct = await svc.createAccount('Acme Payments');
});
after(async () => {
  await svc?.cleanup();
  receiver?.close();
});

const DANA = '+13128471928';
const LEE = 'lee@example.com';
const SAM = 'U024BE7LH';
const three = () => [
  { id: 'dana', name: 'Dana (CFO)', channel: 'sms', recipient: DANA },
  { name: 'Lee', channel: 'email', recipient: LEE },
  { name: 'Sam', channel: 'slack', recipient: SAM },
];
const body = (extra) => ({
  message: 'Wire $8,400 to Meridian?', options: ['Approve', 'Reject'], timeout_hours: 4,
  approvers: three(),
  action: { name: 'wire_transfer', arguments: { amount_cents: 840000, to: 'Meridian <LLC>' } },
  ...extra,
});
const create = async (b, key = acct.live_key) => svc.request('POST', '/v1/pause', { key, body: b });
const get = async (id) => (await svc.request('GET', `/v1/pause/${id}`, { key: acct.live_key })).json;

/// The outbox messages of a pause, by recipient (waits for `n` of them).
async function links(id, n) {
  const rows = await eventually(async () => {
    const r = await svc.request('GET', `/dev/outbox?pause_id=${id}`);
    return r.json?.data?.length >= n ? r.json.data : null;
  });
  assert.ok(rows, `expected ${n} messages for ${id}`);
  return Object.fromEntries(rows.map((m) => [m.recipient, m.link]));
}
const outboxCount = async (id) => (await svc.request('GET', `/dev/outbox?pause_id=${id}`)).json.data.length;
const open = async (link) => {
  const r = await fetch(link);
  return { status: r.status, text: await r.text() };
};

test('quorum 2 of 3: each approver has their own link; two approvals decide, a veto decides at once', async () => {
  const r = await create(body({ rule: { type: 'quorum', count: 2, veto: ['Reject'] } }));
  assert.equal(r.status, 201, r.text);
  const p = r.json;
  assert.deepEqual(p.rule, { type: 'quorum', count: 2, veto: ['Reject'] });
  assert.equal(p.recipient, DANA, 'top level: the first approver, for old clients');
  assert.deepEqual(p.approvers.map((a) => a.id), ['dana', 'approver_2', 'approver_3']);
  assert.equal(p.action.name, 'wire_transfer');
  const l = await links(p.pause_id, 3);
  assert.equal(new Set(Object.values(l)).size, 3, 'one link per approver');
  for (const link of Object.values(l)) assert.match(link, /\/r\/[A-Za-z0-9_-]{36}$/);

  // The page shows the question, the action (escaped), and no votes yet.
  const page = await open(l[DANA]);
  assert.equal(page.status, 200);
  assert.ok(page.text.includes('wire_transfer') && page.text.includes('Meridian &lt;LLC&gt;'), page.text);
  assert.ok(page.text.includes('0 of 2 votes'), page.text);

  const first = await choose(l[DANA], 0);
  assert.equal(first.status, 200);
  assert.ok(first.text.includes('Your vote was recorded'), first.text);
  assert.ok(first.text.includes('1 of 2 votes') && first.text.includes('Dana (CFO)'), first.text);
  let now = await get(p.pause_id);
  assert.equal(now.status, 'pending');
  assert.equal(now.votes.length, 1);
  assert.equal(now.votes[0].approver, 'dana');
  // A second tap shows what they chose and changes nothing.
  const again = await choose(l[DANA], 1);
  assert.equal(again.status, 409);
  assert.ok(again.text.includes('You already answered') && again.text.includes('Approve'), again.text);
  assert.ok((await open(l[DANA])).text.includes('You already answered'));
  assert.equal((await get(p.pause_id)).votes.length, 1);

  const second = await choose(l[LEE], 0);
  assert.equal(second.status, 200);
  assert.ok(second.text.includes('Decided'), second.text);
  now = await get(p.pause_id);
  assert.equal(now.status, 'responded');
  assert.equal(now.response_choice, 'Approve');
  assert.equal(now.responded_by, 'approvers');
  assert.deepEqual(now.votes.map((v) => [v.approver, v.choice]), [['dana', 'Approve'], ['approver_2', 'Approve']]);
  // The third approver sees the decision.
  const late = await open(l[SAM]);
  assert.ok(late.text.includes('Decided') && late.text.includes('Approve'), late.text);

  // Another pause: one approval, then a veto ends it.
  const q = (await create(body({ rule: { type: 'quorum', count: 2, veto: ['Reject'] } }))).json;
  const lq = await links(q.pause_id, 3);
  await choose(lq[DANA], 0);
  const veto = await choose(lq[SAM], 1);
  assert.equal(veto.status, 200);
  const vq = await get(q.pause_id);
  assert.equal(vq.response_choice, 'Reject');
  assert.equal(vq.responded_by, 'approvers');
});

test('all: one approver rejects, so the pause ends at once without agreement (the default applies)', async () => {
  const p = (await create(body({ rule: 'all', timeout_default: 'Reject' }))).json;
  const l = await links(p.pause_id, 3);
  await choose(l[DANA], 0);
  assert.equal((await get(p.pause_id)).status, 'pending');
  await choose(l[LEE], 1);
  const now = await get(p.pause_id);
  assert.equal(now.status, 'responded');
  assert.equal(now.response_choice, 'Reject');
  assert.equal(now.responded_by, 'no_agreement');
  const page = await open(l[SAM]);
  assert.ok(page.text.includes('did not agree'), page.text);
  // Without a default: timed out.
  const q = (await create(body({ rule: 'all' }))).json;
  const lq = await links(q.pause_id, 3);
  await choose(lq[DANA], 0);
  await choose(lq[SAM], 1);
  const tq = await get(q.pause_id);
  assert.equal(tq.status, 'timed_out');
  assert.equal(tq.responded_by, 'no_agreement');
});

test('ordered with three: the next approver gets a message only after the one before approves', async () => {
  const p = (await create(body({ rule: { type: 'ordered', veto: ['Reject'] } }))).json;
  const l1 = await links(p.pause_id, 1);
  await sleep(500);
  assert.equal(await outboxCount(p.pause_id), 1, 'only the first approver is asked at create');
  assert.ok(l1[DANA]);
  await choose(l1[DANA], 0);
  const l2 = await links(p.pause_id, 2);
  assert.ok(l2[LEE], 'the second approver is asked after the first approves');
  await sleep(300);
  assert.equal(await outboxCount(p.pause_id), 2);
  assert.equal((await get(p.pause_id)).status, 'pending');
  await choose(l2[LEE], 0);
  const l3 = await links(p.pause_id, 3);
  await choose(l3[SAM], 0);
  const now = await get(p.pause_id);
  assert.equal(now.status, 'responded');
  assert.equal(now.response_choice, 'Approve');
  assert.equal(now.votes.length, 3);
});

test('concurrent taps by three approvers: one decision, every vote once, one pause.responded', async () => {
  const hook = `${hookBase}/concurrent`;
  const p = (await create(body({ rule: 'all', webhook_url: hook }))).json;
  const l = await links(p.pause_id, 3);
  const taps = await Promise.all([DANA, LEE, SAM].map((r) => choose(l[r], 0)));
  for (const t of taps) assert.equal(t.status, 200, t.text);
  const now = await get(p.pause_id);
  assert.equal(now.status, 'responded');
  assert.equal(now.response_choice, 'Approve');
  assert.deepEqual(now.votes.map((v) => v.approver).sort(), ['approver_2', 'approver_3', 'dana']);
  const events = await eventually(() => {
    const e = got.get('/concurrent') ?? [];
    return e.length >= 4 ? e : null;
  });
  assert.ok(events, 'four webhooks: three votes and the decision');
  await sleep(500);
  const all = got.get('/concurrent');
  const types = all.map((e) => e.body.type);
  assert.equal(types.filter((t) => t === 'pause.responded').length, 1, types.join());
  assert.equal(types.filter((t) => t === 'pause.vote_recorded').length, 3, types.join());
  assert.equal(new Set(all.map((e) => e.id)).size, all.length, 'every event has its own id');
  const responded = all.find((e) => e.body.type === 'pause.responded').body.data;
  assert.equal(responded.votes.length, 3);
});

test('a restart between two votes loses nothing', async () => {
  const p = (await create(body({ rule: { type: 'quorum', count: 2 } }))).json;
  const l = await links(p.pause_id, 3);
  await choose(l[SAM], 1);
  await svc.restart();
  assert.equal((await get(p.pause_id)).votes.length, 1);
  await choose(l[LEE], 1);
  const now = await get(p.pause_id);
  assert.equal(now.status, 'responded');
  assert.equal(now.response_choice, 'Reject');
  assert.deepEqual(now.votes.map((v) => v.approver), ['approver_3', 'approver_2']);
});

test('invalid policies are refused with the parameter at fault, and create nothing', async () => {
  const cases = [
    [{ rule: { type: 'quorum', count: 4 } }, 'parameter_invalid', 'rule.count'],
    [{ rule: { type: 'all', veto: ['Maybe'] } }, 'parameter_invalid', 'rule.veto[0]'],
    [{ approvers: [...three(), { name: 'Dana again', channel: 'sms', recipient: '+1 312 847 1928' }] }, 'parameter_invalid', 'approvers[3].recipient'],
    [{ approvers: [{ id: 'x', recipient: DANA }, { id: 'x', recipient: '+13125550100' }] }, 'parameter_invalid', 'approvers[1].id'],
    [{ recipient: DANA }, 'parameter_conflict', 'recipient'],
    [{ rule: 'ordered', escalation: [{ after_seconds: 60, approvers: [{ recipient: '+13125550100' }] }] }, 'parameter_conflict', 'escalation'],
    [{ approvers: [{ recipeint: DANA }] }, 'parameter_unknown', 'approvers[0].recipeint'],
  ];
  for (const [extra, code, param] of cases) {
    const r = await create(body(extra));
    assert.equal(r.status, 400, `${JSON.stringify(extra)}: ${r.text}`);
    assert.equal(r.json.error.code, code, r.text);
    assert.equal(r.json.error.param, param, r.text);
  }
  const free = await svc.createAccount('Tiny', 'free');
  const r = await create(body({ approvers: [{ recipient: DANA }, { recipient: '+13125550100' }] }), free.live_key);
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.error.code, 'plan_limit_exceeded');
  assert.equal(r.json.error.param, 'approvers');
  const list = await svc.request('GET', '/v1/pauses?limit=100', { key: free.live_key });
  assert.equal(list.json.data.length, 0);
});

test('a single-recipient pause shows its answer as its one vote, rule any', async () => {
  const r = await create({ recipient: DANA, message: 'Deploy?', options: ['Yes', 'No'], timeout_hours: 1 });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.rule, { type: 'any' });
  assert.equal(r.json.approvers, undefined);
  const link = await svc.linkFor(r.json.pause_id);
  assert.match(link, /\/r\/[A-Za-z0-9_-]{35}$/, 'v1 links stay as they were');
  await choose(link, 0);
  const now = await get(r.json.pause_id);
  assert.equal(now.responded_by, 'recipient');
  assert.deepEqual(now.votes.map((v) => [v.approver, v.choice]), [['recipient', 'Yes']]);
});

test('the MCP create_pause_request tool takes the same policy fields', async () => {
  const headers = { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', 'content-type': 'application/json' };
  const rpc = async (id, method, params) => svc.request('POST', '/mcp', {
    key: acct.live_key, headers, raw: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
  });
  await rpc(0, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } });
  const r = await rpc(1, 'tools/call', { name: 'create_pause_request', arguments: body({ rule: { type: 'quorum', count: 2 } }) });
  assert.equal(r.status, 200, r.text);
  const p = r.json.result.structuredContent;
  assert.equal(r.json.result.isError, false, r.text);
  assert.deepEqual(p.rule, { type: 'quorum', count: 2, veto: [] });
  assert.equal(p.approvers.length, 3);
  const bad = await rpc(2, 'tools/call', { name: 'create_pause_request', arguments: body({ rule: { type: 'quorum', count: 9 } }) });
  assert.equal(bad.json.result.isError, true, bad.text);
  assert.ok(bad.text.includes('rule.count'), bad.text);
});
