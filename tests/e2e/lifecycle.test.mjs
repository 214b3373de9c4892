// The pause lifecycle end to end against the real Worker in workerd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startService, seedRequest, choose, eventually, sleep, mintLink as mint } from './harness.mjs';

let svc, acct;
before(async () => {
  svc = await startService();
  acct = await svc.createAccount('Acme Payments');
});
after(async () => svc?.cleanup());

const create = (body, key = acct.live_key, headers) => svc.request('POST', '/v1/pause', { key, body, headers });
const get = (id, key = acct.live_key, query = '') => svc.request('GET', `/v1/pause/${id}${query}`, { key });

test('the seed request: create, read the outbox, answer on the page, see responded', async () => {
  const r = await create({ ...seedRequest(), metadata: { invoice: 'INV-2207' } });
  assert.equal(r.status, 201, r.text);
  const p = r.json;
  assert.match(p.pause_id, /^pause_[0-9a-f]{24}$/);
  assert.equal(p.status, 'pending');
  assert.equal(p.recipient, '+13128471928');
  assert.deepEqual(p.options, ['Approve', 'Reject']);
  assert.equal(p.timeout_default, 'Reject');
  assert.deepEqual(p.metadata, { invoice: 'INV-2207' });
  assert.equal(Date.parse(p.expires_at) - Date.parse(p.created_at), 4 * 3600 * 1000);
  assert.ok(r.headers.get('request-id')?.startsWith('req_'));

  const link = await svc.linkFor(p.pause_id);
  assert.match(link, /\/r\/[A-Za-z0-9_-]{35}$/);
  const outbox = (await svc.request('GET', `/dev/outbox?pause_id=${p.pause_id}`)).json.data[0];
  assert.equal(outbox.recipient, '+13128471928');
  assert.ok(outbox.body.includes('Wire $8,400 to Meridian?') && outbox.body.includes(link));
  assert.ok(outbox.body.length <= 160, 'short question and link fit one SMS segment');

  // Opening the page (as a link preview would) changes nothing.
  const page = await fetch(link);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.ok(html.includes('Wire $8,400 to Meridian?'));
  assert.ok(html.includes('Acme Payments'));
  assert.equal((html.match(/<button/g) || []).length, 2);
  assert.match(page.headers.get('content-security-policy'), /default-src 'none'/);
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  assert.equal((await get(p.pause_id)).json.status, 'pending');

  const answer = await choose(link, 0);
  assert.equal(answer.status, 200);
  assert.ok(answer.text.includes('Approve'));

  const after = (await get(p.pause_id)).json;
  assert.equal(after.status, 'responded');
  assert.equal(after.response_choice, 'Approve');
  assert.equal(after.responded_by, 'recipient');
  assert.ok(Date.parse(after.responded_at) >= Date.parse(after.created_at));
  assert.equal(after.delivery.status, 'sent');
  assert.equal(after.delivery.provider, 'local_outbox');

  // A second visit shows the answer, not the buttons; a second tap loses.
  const again = await fetch(link);
  const againHtml = await again.text();
  assert.equal(again.status, 200);
  assert.ok(!againHtml.includes('<button'));
  assert.ok(againHtml.includes('Approve'));
  const second = await choose(link, 1);
  assert.equal(second.status, 409);
  assert.equal((await get(p.pause_id)).json.response_choice, 'Approve');
});

test('the agent polling loop of the seed example ends once the choice is made', async () => {
  const { pause_id } = (await create(seedRequest())).json;
  const link = await svc.linkFor(pause_id);
  setTimeout(() => choose(link, 1), 1500);
  let status = 'pending', polls = 0, body;
  while (status === 'pending' && polls < 100) {
    body = (await get(pause_id)).json;
    status = body.status;
    polls++;
    if (status === 'pending') await sleep(200);
  }
  assert.equal(status, 'responded');
  assert.equal(body.response_choice, 'Reject');
});

test('concurrent submits on one link: exactly one wins', async () => {
  const { pause_id } = (await create({ ...seedRequest(), options: ['A', 'B', 'C', 'D'], timeout_default: null })).json;
  const link = await svc.linkFor(pause_id);
  const results = await Promise.all(Array.from({ length: 24 }, (_, i) => choose(link, i % 4)));
  const winners = results.filter((r) => r.status === 200);
  assert.equal(winners.length, 1, results.map((r) => r.status).join(','));
  assert.ok(results.every((r) => r.status === 200 || r.status === 409));
  const final = (await get(pause_id)).json;
  assert.equal(final.status, 'responded');
  assert.ok(winners[0].text.includes(`<strong>${final.response_choice}</strong>`));
});

test('timeout with a default fires the default within seconds, by the alarm', async () => {
  const r = await create({ ...seedRequest(), timeout_hours: undefined, timeout_seconds: 2 });
  assert.equal(r.status, 201, r.text);
  const id = r.json.pause_id;
  // Watch the listing, which only the pause's own object updates: no GET pokes it.
  const listed = await eventually(async () => {
    const l = await svc.request('GET', '/v1/pauses?status=responded&limit=100', { key: acct.live_key });
    return l.json.data.find((x) => x.pause_id === id);
  }, { timeoutMs: 10_000 });
  assert.ok(listed, 'the alarm resolved the pause');
  assert.equal(listed.responded_by, 'timeout_default');
  assert.equal(listed.response_choice, 'Reject');
  const lateness = Date.parse(listed.responded_at) - Date.parse(listed.expires_at);
  assert.ok(lateness >= 0 && lateness < 2000, `default fired ${lateness} ms after the deadline`);
  const link = await svc.linkFor(id);
  const page = await fetch(link);
  assert.equal(page.status, 410);
  assert.ok((await page.text()).includes('default answer'));
});

test('timeout without a default becomes timed_out and the link is expired', async () => {
  const r = await create({ ...seedRequest(), timeout_hours: undefined, timeout_seconds: 1, timeout_default: undefined });
  const id = r.json.pause_id;
  const link = await svc.linkFor(id);
  const listed = await eventually(async () => {
    const l = await svc.request('GET', '/v1/pauses?status=timed_out&limit=100', { key: acct.live_key });
    return l.json.data.find((x) => x.pause_id === id);
  }, { timeoutMs: 10_000 });
  assert.ok(listed, 'the alarm timed the pause out');
  assert.equal(listed.response_choice, null);
  const late = await choose(link, 0);
  assert.equal(late.status, 410);
  assert.ok(late.text.includes('expired'));
  const p = (await get(id)).json;
  assert.equal(p.status, 'timed_out');
  assert.equal(p.responded_by, null);
});

test('cancel, by POST and by DELETE; cancelled pauses stay cancelled', async () => {
  const a = (await create(seedRequest())).json;
  const c1 = await svc.request('POST', `/v1/pause/${a.pause_id}/cancel`, { key: acct.live_key });
  assert.equal(c1.status, 200);
  assert.equal(c1.json.status, 'cancelled');
  assert.ok(c1.json.cancelled_at);
  const again = await svc.request('POST', `/v1/pause/${a.pause_id}/cancel`, { key: acct.live_key });
  assert.equal(again.status, 409);
  assert.equal(again.json.error.code, 'pause_not_pending');
  const link = await svc.linkFor(a.pause_id);
  const tap = await choose(link, 0);
  assert.equal(tap.status, 410);
  assert.ok(tap.text.includes('withdrawn'));
  assert.equal((await get(a.pause_id)).json.status, 'cancelled');

  const b = (await create(seedRequest())).json;
  const d = await svc.request('DELETE', `/v1/pause/${b.pause_id}`, { key: acct.live_key });
  assert.equal(d.status, 200);
  assert.equal(d.json.status, 'cancelled');
});

test('cancel races a tap: exactly one of them wins', async () => {
  const { pause_id } = (await create(seedRequest())).json;
  const link = await svc.linkFor(pause_id);
  const [tap, cancel] = await Promise.all([
    choose(link, 0),
    svc.request('POST', `/v1/pause/${pause_id}/cancel`, { key: acct.live_key }),
  ]);
  const final = (await get(pause_id)).json;
  if (tap.status === 200) {
    assert.equal(cancel.status, 409);
    assert.equal(final.status, 'responded');
  } else {
    assert.equal(cancel.status, 200);
    assert.equal(final.status, 'cancelled');
  }
});

test('listing: newest first, status filter, cursor pagination without gaps', async () => {
  const other = await svc.createAccount('Pagination Co');
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await create(seedRequest(), other.live_key)).json.pause_id);
  await svc.request('POST', `/v1/pause/${ids[1]}/cancel`, { key: other.live_key });
  const seen = [];
  let cursor = '';
  for (let page = 0; page < 5; page++) {
    const r = await svc.request('GET', `/v1/pauses?limit=2${cursor}`, { key: other.live_key });
    assert.equal(r.status, 200);
    seen.push(...r.json.data.map((p) => p.pause_id));
    if (!r.json.has_more) break;
    cursor = `&cursor=${r.json.next_cursor}`;
  }
  assert.deepEqual(seen, [...ids].reverse());
  const cancelled = await svc.request('GET', '/v1/pauses?status=cancelled', { key: other.live_key });
  assert.deepEqual(cancelled.json.data.map((p) => p.pause_id), [ids[1]]);
  const bad = await svc.request('GET', '/v1/pauses?status=done', { key: other.live_key });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.param, 'status');
  const badCursor = await svc.request('GET', `/v1/pauses?cursor=${ids[0].replace(/.$/, 'x')}`, { key: other.live_key });
  assert.equal(badCursor.status, 400);
  assert.equal(badCursor.json.error.param, 'cursor');
});

test('long-poll: ?wait returns as soon as the pause is answered', async () => {
  const { pause_id } = (await create(seedRequest())).json;
  const link = await svc.linkFor(pause_id);
  const started = Date.now();
  const waiting = get(pause_id, acct.live_key, '?wait=20');
  await sleep(500);
  await choose(link, 0);
  const r = await waiting;
  assert.equal(r.json.status, 'responded');
  assert.ok(Date.now() - started < 15_000, 'woke on the answer, not at the end of the wait');
  const idle = (await create(seedRequest())).json;
  const t0 = Date.now();
  const r2 = await get(idle.pause_id, acct.live_key, '?wait=1');
  assert.equal(r2.json.status, 'pending');
  assert.ok(Date.now() - t0 >= 900);
});

const mintLink = (pauseId, expiresAtSeconds) => mint(svc.base, pauseId, expiresAtSeconds);

test('a link past its expiry and grace hour answers "expired" and touches nothing', async () => {
  const { pause_id } = (await create(seedRequest())).json;
  await svc.linkFor(pause_id);
  const audit = async () => (await svc.request('GET', `/v1/audit?pause_id=${pause_id}`, { key: acct.live_key })).json.data;
  await eventually(async () => (await audit()).some((e) => e.type === 'message.sent'));
  const before = (await audit()).length;

  // Within the hour after the expiry the page still opens (it shows the final state).
  const recent = mintLink(pause_id, Math.floor(Date.now() / 1000) - 600);
  assert.equal((await fetch(recent)).status, 200);
  const stale = mintLink(pause_id, Math.floor(Date.now() / 1000) - 2 * 3600);
  const page = await fetch(stale);
  assert.equal(page.status, 410);
  const html = await page.text();
  assert.match(html, /This link has expired/);
  assert.ok(!html.includes('Wire $8,400'), 'nothing of the request is shown');
  assert.equal((await fetch(`${stale}?c=0`)).status, 410);
  const post = await choose(stale, 0);
  assert.equal(post.status, 410);
  assert.match(post.text, /This link has expired/);

  await sleep(500);
  const p = (await get(pause_id)).json;
  assert.equal(p.status, 'pending', 'the expired link answered nothing');
  const evs = await audit();
  assert.equal(evs.length, before + 1, 'only the usable link\'s opening was recorded');
  assert.equal(evs.filter((e) => e.type === 'page.opened').length, 1);
});

test('long-polls that time out leave nothing behind: many short waits, then a wait still wakes', async () => {
  const { pause_id } = (await create(seedRequest())).json;
  const link = await svc.linkFor(pause_id);
  for (let round = 0; round < 5; round++) {
    const rs = await Promise.all(Array.from({ length: 10 }, () => get(pause_id, acct.live_key, '?wait=0.3')));
    for (const r of rs) assert.equal(r.json.status, 'pending');
  }
  const started = Date.now();
  const waiting = get(pause_id, acct.live_key, '?wait=20');
  await sleep(500);
  assert.equal((await choose(link, 1)).status, 200);
  const r = await waiting;
  assert.equal(r.json.status, 'responded');
  assert.equal(r.json.response_choice, 'Reject');
  assert.ok(Date.now() - started < 15_000, 'woke on the answer');
});

// Last in this file: it uses up a client's page budget. The client address is the one
// Cloudflare puts in CF-Connecting-IP (the local runtime passes the header through).
test('/r/* is rate-limited per client address: 429 page with Retry-After, other clients unaffected', async () => {
  const flood = (ip) => fetch(`${svc.base}/r/${'A'.repeat(35)}`, { headers: { 'cf-connecting-ip': ip } });
  let limited;
  const statuses = [];
  for (let batch = 0; batch < 10 && !limited; batch++) {
    const rs = await Promise.all(Array.from({ length: 15 }, () => flood('198.51.100.7')));
    statuses.push(...rs.map((r) => r.status));
    limited = rs.find((r) => r.status === 429);
  }
  assert.ok(limited, `no 429 after ${statuses.length} requests`);
  assert.ok(statuses.filter((s) => s === 404).length >= 100, 'a person\'s use is far below the limit');
  assert.equal(limited.headers.get('retry-after'), '60');
  assert.match(limited.headers.get('content-type'), /text\/html/);
  assert.match(await limited.text(), /Too many requests/);
  assert.equal((await flood('198.51.100.8')).status, 404, 'another client is not limited');
});
