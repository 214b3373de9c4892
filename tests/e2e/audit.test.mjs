// The audit log end to end: events of a full lifecycle, the hash chain, tampering
// with the local D1 file as an attacker would, append-only triggers, exports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startService, seedRequest, choose, eventually, sleep, ROOT } from './harness.mjs';

const execFileAsync = promisify(execFile);

let svc, acct, keyId;
before(async () => {
  svc = await startService();
  acct = await svc.createAccount('Acme Payments');
  keyId = (await svc.request('GET', '/v1/account', { key: acct.live_key })).json.key_id;
});
after(async () => svc?.cleanup());

const api = (path, key = acct.live_key) => svc.request('GET', path, { key });
const events = async (pauseId) => (await api(`/v1/audit?pause_id=${pauseId}`)).json.data;
const waitForTypes = (pauseId, types) =>
  eventually(async () => {
    const evs = await events(pauseId);
    return evs.length >= types.length && evs;
  });

async function createPause(body = seedRequest()) {
  const r = await svc.request('POST', '/v1/pause', { key: acct.live_key, body });
  assert.equal(r.status, 201, r.text);
  return r.json.pause_id;
}

// The D1 database file wrangler keeps under the test's persist dir.
function d1File(dir = svc.dir) {
  const found = [];
  const walk = (d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.sqlite') && p.includes(join('v3', 'd1'))) found.push(p);
    }
  };
  walk(dir);
  const file = found.find((f) => {
    const db = new Database(f, { readonly: true });
    try {
      return db.prepare("SELECT name FROM sqlite_master WHERE name = 'audit_events'").get();
    } finally {
      db.close();
    }
  });
  assert.ok(file, `no D1 file with audit_events under ${dir}`);
  return file;
}

// Recomputes a row's hash from the canonical form documented in the README.
const rowHash = (r) =>
  createHash('sha256')
    .update(['pausepoint-audit-v1', r.seq, r.event_id, r.pause_id, r.account_id, r.at, r.actor, r.type, r.context, r.prev_hash].join('\n'))
    .digest('hex');

let lifecyclePause;

test('a full lifecycle produces exactly the expected ordered events, and the chain verifies', async () => {
  const id = await createPause({ ...seedRequest(), metadata: { invoice: 'INV-2207' } });
  lifecyclePause = id;
  const link = await svc.linkFor(id);
  await eventually(async () => (await api(`/v1/pause/${id}`)).json.delivery.status === 'sent');
  await waitForTypes(id, ['pause.created', 'message.sent']);

  // A client-sent CF-IPCountry must not reach the log: the country is Cloudflare's.
  const opened = await fetch(link, { headers: { 'user-agent': 'AuditTest/1.0', 'cf-ipcountry': 'XX' } });
  assert.equal(opened.status, 200);
  // Opening again within 10 minutes records nothing more.
  for (let i = 0; i < 3; i++) assert.equal((await fetch(link)).status, 200);
  const answer = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'AuditTest/1.0', 'cf-ipcountry': 'XX' },
    body: 'choice=0',
  });
  assert.equal(answer.status, 200);
  // A second tap loses and records nothing; opening the answered page records nothing.
  assert.equal((await choose(link, 1)).status, 409);
  assert.equal((await fetch(link)).status, 200);

  const evs = await waitForTypes(id, [1, 2, 3, 4]);
  assert.deepEqual(
    evs.map((e) => [e.seq, e.type, e.actor]),
    [
      [1, 'pause.created', `api_key:${keyId}`],
      [2, 'message.sent', 'system'],
      [3, 'page.opened', 'recipient'],
      [4, 'pause.responded', 'recipient'],
    ],
  );
  const [created, sent, pageOpened, responded] = evs;
  assert.equal(created.context.request.message, 'Wire $8,400 to Meridian?');
  assert.deepEqual(created.context.request.metadata, { invoice: 'INV-2207' });
  assert.equal(created.context.key_id, keyId);
  assert.ok(!JSON.stringify(evs).includes(acct.live_key), 'the API key never lands in the log');
  assert.equal(sent.context.provider, 'local_outbox');
  assert.equal(pageOpened.context.user_agent, 'AuditTest/1.0');
  assert.notEqual(pageOpened.context.ip_country, 'XX');
  assert.equal(responded.context.choice, 'Approve');
  assert.equal(responded.context.via, 'page');
  assert.equal(responded.context.channel, 'sms');
  assert.notEqual(responded.context.ip_country, 'XX');
  assert.equal(responded.context.user_agent, 'AuditTest/1.0');
  for (const e of evs) {
    assert.equal(e.pause_id, id);
    assert.equal(e.account_id, acct.account_id);
    assert.equal(Date.parse(e.time), e.at);
    assert.match(e.event_id, /^evt_[0-9a-f]{24}$/);
  }
  assert.equal(evs[0].prev_hash, '0'.repeat(64));
  for (let i = 1; i < evs.length; i++) assert.equal(evs[i].prev_hash, evs[i - 1].hash);

  // The late losing tap and the later visit changed nothing: no 5th event.
  await sleep(500);
  assert.equal((await events(id)).length, 4);

  const v = await api(`/v1/audit/verify?pause_id=${id}`);
  assert.equal(v.status, 200, v.text);
  assert.equal(v.json.valid, true);
  assert.equal(v.json.events, 4);
  assert.equal(v.json.first_break, null);
  assert.deepEqual(v.json.head, { seq: 4, hash: evs[3].hash });
});

test('cancel records the key that cancelled; a timeout records which default fired', async () => {
  const c = await createPause();
  assert.equal((await svc.request('POST', `/v1/pause/${c}/cancel`, { key: acct.live_key })).status, 200);
  const cancelled = await eventually(async () => (await events(c)).find((e) => e.type === 'pause.cancelled'));
  assert.equal(cancelled.actor, `api_key:${keyId}`);
  assert.equal(cancelled.context.key_id, keyId);

  const t = await createPause({ ...seedRequest(), timeout_hours: undefined, timeout_seconds: 1 });
  await sleep(1500);
  assert.equal((await api(`/v1/pause/${t}`)).json.responded_by, 'timeout_default');
  const timedOut = await eventually(async () => (await events(t)).find((e) => e.type === 'pause.timed_out'));
  assert.equal(timedOut.actor, 'system');
  assert.equal(timedOut.context.default_fired, 'Reject');
  assert.equal(timedOut.context.status, 'responded');
  for (const id of [c, t]) assert.equal((await api(`/v1/audit/verify?pause_id=${id}`)).json.valid, true);
});

test('filters, cursor pagination and bad input', async () => {
  const responded = (await api('/v1/audit?type=pause.responded')).json.data;
  assert.ok(responded.length >= 1 && responded.every((e) => e.type === 'pause.responded'));
  const byKey = (await api(`/v1/audit?actor=api_key:${keyId}`)).json.data;
  assert.ok(byKey.length >= 4 && byKey.every((e) => e.actor === `api_key:${keyId}`));
  const all = (await api('/v1/audit?limit=500')).json.data;
  const mid = all[Math.floor(all.length / 2)];
  const since = (await api(`/v1/audit?since=${encodeURIComponent(mid.time)}`)).json.data;
  assert.ok(since.length > 0 && since.every((e) => e.at >= mid.at));
  const until = (await api(`/v1/audit?until=${encodeURIComponent(mid.time)}`)).json.data;
  assert.ok(until.every((e) => e.at <= mid.at));

  const paged = [];
  let cursor = '';
  for (let i = 0; i < 100; i++) {
    const r = await api(`/v1/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200, r.text);
    paged.push(...r.json.data);
    if (!r.json.has_more) break;
    cursor = r.json.next_cursor;
  }
  assert.deepEqual(paged.map((e) => e.event_id), all.map((e) => e.event_id));

  for (const [q, param] of [['type=nope', 'type'], ['since=yesterday', 'since'], ['format=xml', 'format'], ['actor=bob', 'actor'], ['cursor=evt_nope', 'cursor'], ['limit=0', 'limit']]) {
    const r = await api(`/v1/audit?${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.json.error.param, param);
  }
  assert.equal((await api('/v1/audit?colour=red')).json.error.code, 'parameter_unknown');
  assert.equal((await api('/v1/audit/verify')).json.error.code, 'parameter_missing');
  assert.equal((await api('/v1/audit/verify?pause_id=pause_000000000000000000000000')).status, 404);
  // Another account sees none of it.
  const other = await svc.createAccount('Other Co');
  assert.deepEqual((await api('/v1/audit', other.live_key)).json.data, []);
  assert.equal((await api(`/v1/audit/verify?pause_id=${lifecyclePause}`, other.live_key)).status, 404);
});

function parseCsv(text) {
  const rows = [];
  let row = [], field = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') q = false;
      else field += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
    else field += ch;
  }
  return rows;
}

test('exports in json, ndjson and csv parse and match the JSON listing; an auditor can verify offline', async () => {
  // Enough rows that the streamed export crosses several 200-row reads from D1.
  for (let i = 0; i < 8; i++) {
    const ids = await Promise.all(Array.from({ length: 10 }, () => createPause()));
    await Promise.all(ids.map((id) => svc.request('POST', `/v1/pause/${id}/cancel`, { key: acct.live_key })));
  }
  const listing = [];
  let cursor = '';
  for (;;) {
    const r = (await api(`/v1/audit?limit=500${cursor ? `&cursor=${cursor}` : ''}`)).json;
    listing.push(...r.data);
    if (!r.has_more) break;
    cursor = r.next_cursor;
  }
  assert.ok(listing.length > 200, `only ${listing.length} rows`);

  const j = await api('/v1/audit?format=json');
  assert.equal(j.status, 200);
  assert.match(j.headers.get('content-type'), /application\/json/);
  assert.deepEqual(JSON.parse(j.text), listing);

  const nd = await api('/v1/audit?format=ndjson');
  assert.match(nd.headers.get('content-type'), /ndjson/);
  assert.deepEqual(nd.text.trim().split('\n').map((l) => JSON.parse(l)), listing);

  const csv = await api('/v1/audit?format=csv');
  assert.match(csv.headers.get('content-type'), /text\/csv/);
  const [header, ...rows] = parseCsv(csv.text);
  assert.deepEqual(header, ['event_id', 'pause_id', 'account_id', 'time', 'at', 'actor', 'type', 'context', 'seq', 'prev_hash', 'hash']);
  const objs = rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
  assert.deepEqual(
    objs.map((o) => [o.event_id, o.pause_id, o.time, Number(o.at), o.actor, o.type, JSON.parse(o.context), Number(o.seq), o.prev_hash, o.hash]),
    listing.map((e) => [e.event_id, e.pause_id, e.time, e.at, e.actor, e.type, e.context, e.seq, e.prev_hash, e.hash]),
  );
  // Offline verification from the CSV alone, following the README's canonical form.
  for (const o of objs) assert.equal(rowHash(o), o.hash, `row ${o.event_id}`);

  // Filters apply to exports too.
  const onlyPause = await api(`/v1/audit?format=ndjson&pause_id=${lifecyclePause}`);
  assert.deepEqual(onlyPause.text.trim().split('\n').map((l) => JSON.parse(l).seq), [1, 2, 3, 4]);
});

test('UPDATE and DELETE through SQL are refused; a row altered by an attacker makes verify fail at that row', async () => {
  const db = new Database(d1File());
  try {
    const before = db.prepare('SELECT COUNT(*) AS n FROM audit_events').get().n;
    assert.throws(() => db.prepare("UPDATE audit_events SET actor = 'system'").run(), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM audit_events').run(), /append-only/);
    assert.equal(db.prepare('SELECT COUNT(*) AS n FROM audit_events').get().n, before);

    // Retention is off by default; set, it lets only rows older than the period go.
    db.prepare(`INSERT INTO audit_events (event_id, pause_id, account_id, at, actor, type, context, seq, prev_hash, hash)
                VALUES ('evt_old', 'pause_old', 'acct_old', 0, 'system', 'pause.created', '{}', 1, '', '')`).run();
    assert.throws(() => db.prepare("DELETE FROM audit_events WHERE event_id = 'evt_old'").run(), /append-only/);
    db.prepare('INSERT INTO audit_retention (k, days) VALUES (1, 30)').run();
    assert.throws(() => db.prepare('DELETE FROM audit_events WHERE pause_id = ?').run(lifecyclePause), /append-only/);
    assert.equal(db.prepare("DELETE FROM audit_events WHERE event_id = 'evt_old'").run().changes, 1);
    db.prepare('DELETE FROM audit_retention').run();
    assert.equal(db.prepare('SELECT COUNT(*) AS n FROM audit_events').get().n, before);

    // An attacker with database access drops the trigger and rewrites the answer.
    const row = db.prepare("SELECT * FROM audit_events WHERE pause_id = ? AND seq = 4").get(lifecyclePause);
    const forged = JSON.stringify({ ...JSON.parse(row.context), choice: 'Reject' });
    db.exec('DROP TRIGGER audit_events_no_update');
    db.prepare('UPDATE audit_events SET context = ? WHERE event_id = ?').run(forged, row.event_id);
  } finally {
    db.close();
  }
  const v = (await api(`/v1/audit/verify?pause_id=${lifecyclePause}`)).json;
  assert.equal(v.valid, false);
  assert.equal(v.first_break.seq, 4);
  assert.equal(v.first_break.reason, 'hash_mismatch');

  // Re-hashing the forged row does not help: the chain stays broken at that row's link.
  const db2 = new Database(d1File());
  try {
    const r3 = db2.prepare('SELECT * FROM audit_events WHERE pause_id = ? AND seq = 3').get(lifecyclePause);
    const forgedActor = { ...r3, actor: 'system' };
    db2.prepare('UPDATE audit_events SET actor = ?, hash = ? WHERE event_id = ?').run('system', rowHash(forgedActor), r3.event_id);
  } finally {
    db2.close();
  }
  const v2 = (await api(`/v1/audit/verify?pause_id=${lifecyclePause}`)).json;
  assert.equal(v2.valid, false);
  assert.deepEqual([v2.first_break.seq, v2.first_break.reason], [4, 'prev_hash_mismatch']);
});

test('events cut from the end of a chain are caught against the object\'s head', async () => {
  const id = await createPause();
  assert.equal((await svc.request('POST', `/v1/pause/${id}/cancel`, { key: acct.live_key })).status, 200);
  await eventually(async () => (await events(id)).some((e) => e.type === 'pause.cancelled'));
  await sleep(1500); // let a late delivery report land first: the chain is settled
  assert.equal((await api(`/v1/audit/verify?pause_id=${id}`)).json.valid, true);
  const db = new Database(d1File());
  try {
    db.exec('DROP TRIGGER IF EXISTS audit_events_no_delete');
    const last = db.prepare('SELECT MAX(seq) AS s FROM audit_events WHERE pause_id = ?').get(id).s;
    db.prepare('DELETE FROM audit_events WHERE pause_id = ? AND seq = ?').run(id, last);
  } finally {
    db.close();
  }
  const v = (await api(`/v1/audit/verify?pause_id=${id}`)).json;
  assert.equal(v.valid, false);
  assert.equal(v.first_break.reason, 'missing_tail');
});

test('with AUDIT_RETENTION_DAYS set, the cron removes whole pauses past the period, and only those', async () => {
  const ret = await startService({ vars: { AUDIT_RETENTION_DAYS: '30' }, devArgs: ['--test-scheduled'] });
  try {
    const a = await ret.createAccount('Retention Co');
    const r = await ret.request('POST', '/v1/pause', { key: a.live_key, body: seedRequest() });
    assert.equal(r.status, 201);
    const recent = r.json.pause_id;
    // The recent chain settles first: its message.sent is chained by the object and
    // flushed to D1 after the create, and until then verify rightly says missing_tail
    // (README). Verified here, a break after the cron can only be the purge's doing.
    const verify = async () => (await ret.request('GET', `/v1/audit/verify?pause_id=${recent}`, { key: a.live_key })).json;
    const settled = await eventually(async () => {
      const types = (await ret.request('GET', `/v1/audit?pause_id=${recent}`, { key: a.live_key })).json.data.map((e) => e.type);
      const v = types.includes('message.sent') && (await verify());
      return v?.valid && v;
    });
    assert.deepEqual([settled?.valid, settled?.events], [true, 2], 'the recent chain settled before the cron');
    const db = new Database(d1File(ret.dir));
    try {
      const ins = db.prepare(`INSERT INTO audit_events (event_id, pause_id, account_id, at, actor, type, context, seq, prev_hash, hash)
                              VALUES (?, 'pause_ancient', ?, ?, 'system', 'pause.created', '{}', ?, '', '')`);
      ins.run('evt_a1', a.account_id, 1_000, 1);
      ins.run('evt_a2', a.account_id, 2_000, 2);
    } finally {
      db.close();
    }
    const cron = await fetch(`${ret.base}/__scheduled?cron=*+*+*+*+*`);
    assert.equal(cron.status, 200);
    const gone = await eventually(async () => {
      const rows = (await ret.request('GET', '/v1/audit', { key: a.live_key })).json.data;
      return !rows.some((e) => e.pause_id === 'pause_ancient') && rows;
    });
    assert.ok(gone, 'the ancient pause was purged');
    assert.ok(gone.some((e) => e.pause_id === recent), 'recent events stay');
    const final = await verify();
    assert.equal(final.valid, true, JSON.stringify(final));
    assert.equal(final.events, 2);
  } finally {
    await ret.cleanup();
  }
});

// SQL as an attacker with database access would run it, through wrangler's own client.
// Awaited, never execFileSync: that process takes seconds (more under load), and workerd
// closes a keep-alive connection after 5 s idle. With the event loop blocked, fetch
// cannot retire its idle sockets (it does so after 4 s), so the next request went out
// on a socket the server had closed: "fetch failed: other side closed".
async function d1Exec(sql) {
  await execFileAsync(join(ROOT, 'node_modules', '.bin', 'wrangler'), ['d1', 'execute', 'DB', '--local', '--persist-to', svc.dir, '--command', sql], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1', CI: 'true' },
  });
}
const q = (v) => (typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);
const insertRow = (r) =>
  `INSERT INTO audit_events (event_id, pause_id, account_id, at, actor, type, context, seq, prev_hash, hash) VALUES (${[
    r.event_id, r.pause_id, r.account_id, r.at, r.actor, r.type, r.context, r.seq, r.prev_hash, r.hash,
  ].map(q).join(', ')})`;

/// A settled, verified chain of a cancelled pause, as stored.
async function settledChain() {
  const id = await createPause();
  assert.equal((await svc.request('POST', `/v1/pause/${id}/cancel`, { key: acct.live_key })).status, 200);
  await eventually(async () => (await events(id)).some((e) => e.type === 'pause.cancelled'));
  await sleep(1500); // let a late delivery report land first: the chain is settled
  const v = (await api(`/v1/audit/verify?pause_id=${id}`)).json;
  assert.equal(v.valid, true);
  const rows = (await events(id)).map((e) => ({ ...e, context: e.context_raw })).sort((a, b) => a.seq - b.seq);
  assert.deepEqual(v.head, { seq: rows.at(-1).seq, hash: rows.at(-1).hash });
  return { id, rows };
}

test('a valid-looking row appended past the object\'s head fails verify as beyond_head', async () => {
  const { id, rows } = await settledChain();
  const last = rows.at(-1);
  const forged = {
    event_id: `evt_${'f'.repeat(24)}`, pause_id: id, account_id: acct.account_id, at: last.at + 1, actor: 'recipient',
    type: 'pause.responded', context: JSON.stringify({ choice: 'Approve', via: 'page' }), seq: last.seq + 1, prev_hash: last.hash,
  };
  forged.hash = rowHash(forged);
  await d1Exec(insertRow(forged)); // inserts are allowed: the table only refuses UPDATE and DELETE
  assert.equal((await events(id)).length, rows.length + 1, 'the forged row is in the log');
  const v = (await api(`/v1/audit/verify?pause_id=${id}`)).json;
  assert.equal(v.valid, false);
  assert.deepEqual(v.first_break, { seq: last.seq + 1, event_id: forged.event_id, reason: 'beyond_head' });
  assert.equal(v.events, rows.length);
});

test('a rewritten tail (last row replaced, chain re-hashed) fails verify as head_mismatch', async () => {
  const { id, rows } = await settledChain();
  const last = rows.at(-1);
  const forged = { ...last, context: JSON.stringify({ key_id: null }), actor: 'system' };
  forged.hash = rowHash(forged);
  assert.equal(forged.prev_hash, rows.at(-2).hash, 'the forged row links validly');
  await d1Exec(`DROP TRIGGER IF EXISTS audit_events_no_delete; DELETE FROM audit_events WHERE event_id = ${q(last.event_id)}; ${insertRow(forged)}`);
  const stored = (await events(id)).at(-1);
  assert.equal(stored.hash, forged.hash, 'the tail was rewritten');
  const v = (await api(`/v1/audit/verify?pause_id=${id}`)).json;
  assert.equal(v.valid, false);
  assert.deepEqual(v.first_break, { seq: last.seq, event_id: last.event_id, reason: 'head_mismatch' });
});

test('opening a link many times records page.opened once; never once the pause is final', async () => {
  const id = await createPause();
  const link = await svc.linkFor(id);
  const opens = await Promise.all(Array.from({ length: 12 }, () => fetch(link).then((r) => r.status)));
  assert.deepEqual([...new Set(opens)], [200]);
  assert.equal((await svc.request('POST', `/v1/pause/${id}/cancel`, { key: acct.live_key })).status, 200);
  for (let i = 0; i < 3; i++) assert.equal((await fetch(link)).status, 410);
  await eventually(async () => (await events(id)).some((e) => e.type === 'pause.cancelled'));
  await sleep(500);
  const evs = await events(id);
  assert.equal(evs.filter((e) => e.type === 'page.opened').length, 1, JSON.stringify(evs.map((e) => e.type)));
  const opened = evs.findIndex((e) => e.type === 'page.opened');
  const cancelled = evs.findIndex((e) => e.type === 'pause.cancelled');
  assert.ok(opened < cancelled, 'nothing is recorded after the final state');
});
