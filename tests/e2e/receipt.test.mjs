// Signed decision receipts (issue 15): a pause that ends carries a compact JWS (Ed25519)
// over the RFC 8785 JSON of its decision, verifiable offline with node:crypto against the
// JWKS the Worker serves; old keys stay listed after a rotation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { startService, seedRequest, choose, eventually, sleep, RECEIPT_SIGNING_KEY } from './harness.mjs';
import { newReceiptKey, publicJwk } from '../../scripts/receipt-key.mjs';

// RFC 8785 in JavaScript: JSON.stringify writes numbers and strings canonically.
const jcs = (v) => v === null || typeof v !== 'object' ? JSON.stringify(v)
  : Array.isArray(v) ? `[${v.map(jcs).join(',')}]`
  : `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${jcs(v[k])}`).join(',')}}`;
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/// What an executor does: find the key by kid, check the signature, return the payload.
function openReceipt(receipt, jwks) {
  const [h, p, s, extra] = receipt.split('.');
  assert.equal(extra, undefined, 'three parts');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`unknown kid ${header.kid}`);
  assert.deepEqual(header, { alg: 'EdDSA', kid: header.kid, typ: 'pausepoint-receipt+jws' });
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
  if (!verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) throw new Error('bad signature');
  const text = Buffer.from(p, 'base64url').toString('utf8');
  const payload = JSON.parse(text);
  assert.equal(jcs(payload), text, 'the payload is its own canonical JSON');
  return payload;
}

const ACTION = {
  name: 'wire_transfer',
  arguments: { to: 'Meridian LLC', amount_cents: 840000, fx_rate: 1.0825, tiny: 1e-7, big: 1e21, memo: 'Invoice #4471 – Q3 "net 30"', tags: ['vendor', 'urgent'], 'é': null, '😀': true },
};

let svc, acct, receiver, hookUrl;
const hooks = [];
before(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => { hooks.push(JSON.parse(body)); res.end('ok'); });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
  svc = await startService();
  acct = await svc.createAccount('Receipts Inc', 'pro');
});
after(async () => {
  await svc?.cleanup();
  receiver?.close();
});

const jwksOf = async (s) => {
  const r = await s.request('GET', '/.well-known/jwks.json');
  assert.equal(r.status, 200, r.text);
  return r;
};
const create = async (s, key, extra = {}) => {
  const r = await s.request('POST', '/v1/pause', { key, body: { ...seedRequest(), ...extra } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
const get = async (s, key, id) => (await s.request('GET', `/v1/pause/${id}`, { key })).json;
/// Creates a pause and answers it on its real page; returns the final pause.
async function answered(s, key, choice = 0, extra = {}) {
  const p = await create(s, key, extra);
  const tap = await choose(await s.linkFor(p.pause_id), choice);
  assert.equal(tap.status, 200, tap.text);
  return get(s, key, p.pause_id);
}

test('the JWKS lists the public key only, cacheable, readable from any origin', async () => {
  const r = await jwksOf(svc);
  assert.equal(r.headers.get('content-type'), 'application/jwk-set+json');
  assert.equal(r.headers.get('cache-control'), 'public, max-age=300');
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  const { x, kid } = JSON.parse(RECEIPT_SIGNING_KEY);
  assert.deepEqual(r.json, { keys: [{ kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' }] });
  assert.ok(!r.text.includes(JSON.parse(RECEIPT_SIGNING_KEY).d), 'never the private key');
  assert.equal((await svc.request('HEAD', '/.well-known/jwks.json')).status, 200);
  const post = await svc.request('POST', '/.well-known/jwks.json', { body: {} });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
});

test('a pause answered through the real page has a receipt that verifies against the served JWKS', async () => {
  const created = await create(svc, acct.live_key, { action: ACTION, webhook_url: hookUrl });
  assert.equal(created.receipt, null, 'no receipt while pending');
  assert.equal(created.action_sha256, sha256(jcs(ACTION)), 'action_sha256 is SHA-256 of the JCS of the action');
  const tap = await choose(await svc.linkFor(created.pause_id), 0);
  assert.equal(tap.status, 200, tap.text);
  const p = await get(svc, acct.live_key, created.pause_id);
  assert.equal(p.status, 'responded');
  assert.match(p.receipt, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a compact JWS');

  const jwks = (await jwksOf(svc)).json;
  const payload = openReceipt(p.receipt, jwks);
  assert.equal(payload.kid, JSON.parse(RECEIPT_SIGNING_KEY).kid);
  assert.deepEqual(
    { ...payload, audit_head: undefined, issued_at: undefined },
    {
      version: 1, pause_id: p.pause_id, account_id: acct.account_id, livemode: true,
      action_sha256: sha256(jcs(ACTION)), options: ['Approve', 'Reject'], rule: { type: 'any' },
      decision: { status: 'responded', choice: 'Approve', responded_by: 'recipient' },
      votes: [{ approver: 'recipient', name: null, choice: 'Approve', comment: null, at: p.responded_at, via: 'page' }],
      decided_at: p.responded_at, kid: payload.kid, audit_head: undefined, issued_at: undefined,
    },
  );
  assert.ok(Date.parse(payload.issued_at) >= Date.parse(p.responded_at));

  // The receipt names the audit chain head after the answer: that row is the pause.responded event.
  const audit = await eventually(async () => {
    const r = await svc.request('GET', `/v1/audit?pause_id=${p.pause_id}`, { key: acct.live_key });
    return r.json?.data?.find((e) => e.seq === payload.audit_head.seq);
  });
  assert.ok(audit, 'the head row reached the audit log');
  assert.equal(audit.type, 'pause.responded');
  assert.equal(audit.hash, payload.audit_head.hash);

  // One byte of the action changed: its hash no longer matches what was approved.
  const changed = structuredClone(ACTION);
  changed.arguments.amount_cents = 840001;
  assert.notEqual(sha256(jcs(changed)), payload.action_sha256);
  // One byte of the signed payload changed: the signature fails.
  const [h, body, sig] = p.receipt.split('.');
  const forged = Buffer.from(Buffer.from(body, 'base64url').toString().replace('"Approve"', '"Approvf"')).toString('base64url');
  assert.throws(() => openReceipt(`${h}.${forged}.${sig}`, jwks), /bad signature/);

  // pause.responded carries the same receipt; the list does too.
  const hook = await eventually(() => hooks.find((e) => e.type === 'pause.responded' && e.data.pause_id === p.pause_id));
  assert.ok(hook, 'the webhook arrived');
  assert.equal(hook.data.receipt, p.receipt);
  assert.equal(hook.data.action_sha256, payload.action_sha256);
  const listed = await eventually(async () => {
    const r = await svc.request('GET', '/v1/pauses?limit=10', { key: acct.live_key });
    return r.json.data.find((x) => x.pause_id === p.pause_id && x.receipt);
  });
  assert.equal(listed?.receipt, p.receipt);
});

test('a quorum decided by votes: the receipt names every approver who voted, in order, bound to the action', async () => {
  const r = await svc.request('POST', '/v1/pause', { key: acct.live_key, body: {
    message: 'Wire $8,400 to Meridian?', options: ['Approve', 'Reject'], timeout_hours: 4, action: ACTION,
    approvers: [
      { id: 'dana', name: 'Dana (CFO)', channel: 'sms', recipient: '+13128471928' },
      { name: 'Lee', channel: 'email', recipient: 'lee@example.com' },
      { name: 'Sam', channel: 'slack', recipient: 'U024BE7LH' },
    ],
    rule: { type: 'quorum', count: 2, veto: ['Reject'] },
  } });
  assert.equal(r.status, 201, r.text);
  const rows = await eventually(async () => {
    const o = await svc.request('GET', `/dev/outbox?pause_id=${r.json.pause_id}`);
    return o.json?.data?.length >= 3 ? o.json.data : null;
  });
  const link = Object.fromEntries(rows.map((m) => [m.recipient, m.link]));
  assert.equal((await choose(link['lee@example.com'], 0)).status, 200);
  const half = await get(svc, acct.live_key, r.json.pause_id);
  assert.equal(half.status, 'pending');
  assert.equal(half.receipt, null, 'one vote of two: no receipt yet');
  assert.equal((await choose(link['+13128471928'], 0)).status, 200);
  const p = await get(svc, acct.live_key, r.json.pause_id);
  assert.equal(p.status, 'responded');
  const payload = openReceipt(p.receipt, (await jwksOf(svc)).json);
  assert.deepEqual(payload.rule, { type: 'quorum', count: 2, veto: ['Reject'] });
  assert.deepEqual(payload.decision, { status: 'responded', choice: 'Approve', responded_by: 'approvers' });
  assert.deepEqual(payload.votes.map((v) => [v.approver, v.name, v.choice]), [['approver_2', 'Lee', 'Approve'], ['dana', 'Dana (CFO)', 'Approve']]);
  assert.deepEqual(payload.votes, p.votes, 'the votes exactly as the API shows them');
  assert.equal(payload.action_sha256, sha256(jcs(ACTION)));
  assert.equal(payload.decided_at, p.responded_at);
  // Sam's late tap changes nothing, the receipt least of all.
  await choose(link.U024BE7LH, 1);
  assert.equal((await get(svc, acct.live_key, p.pause_id)).receipt, p.receipt);
});

test('cancelled and timed-out pauses get receipts; the answer response carries it at once', async () => {
  const jwks = (await jwksOf(svc)).json;
  const c = await create(svc, acct.live_key);
  const cancelled = await svc.request('POST', `/v1/pause/${c.pause_id}/cancel`, { key: acct.live_key });
  assert.equal(cancelled.status, 200, cancelled.text);
  assert.deepEqual(openReceipt(cancelled.json.receipt, jwks).decision, { status: 'cancelled', choice: null, responded_by: null });
  assert.equal(openReceipt(cancelled.json.receipt, jwks).action_sha256, null, 'no action, no hash');

  const t = await create(svc, acct.live_key, { timeout_hours: undefined, timeout_seconds: 1, timeout_default: undefined });
  await sleep(1500);
  const timedOut = await eventually(async () => {
    const p = await get(svc, acct.live_key, t.pause_id);
    return p.status === 'timed_out' && p;
  });
  const payload = openReceipt(timedOut.receipt, jwks);
  assert.deepEqual(payload.decision, { status: 'timed_out', choice: null, responded_by: null });
  assert.deepEqual(payload.votes, []);
  assert.equal(payload.decided_at, timedOut.resolved_at);

  const d = await create(svc, acct.live_key, { timeout_hours: undefined, timeout_seconds: 1 });
  await sleep(1500);
  const defaulted = await eventually(async () => {
    const p = await get(svc, acct.live_key, d.pause_id);
    return p.status === 'responded' && p;
  });
  assert.deepEqual(openReceipt(defaulted.receipt, jwks).decision, { status: 'responded', choice: 'Reject', responded_by: 'timeout_default' });
});

test('rotation: a rotated-out key listed in RECEIPT_PUBLIC_KEYS still verifies old receipts; without a key pauses still end', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pausepoint-receipt-'));
  const oldKey = newReceiptKey(new Date('2026-01-01T00:00:00Z'));
  const newKey = newReceiptKey();
  let s;
  try {
    s = await startService({ persistDir: dir, vars: { RECEIPT_SIGNING_KEY: oldKey } });
    const a = await s.createAccount('Rotating Co', 'pro');
    const old = await answered(s, a.live_key, 1, { action: ACTION });
    assert.equal(openReceipt(old.receipt, (await jwksOf(s)).json).kid, JSON.parse(oldKey).kid);
    await s.stop();

    // The new key signs; the old public key stays listed after it.
    s = await startService({ persistDir: dir, vars: { RECEIPT_SIGNING_KEY: newKey, RECEIPT_PUBLIC_KEYS: `[${publicJwk(oldKey)}]` } });
    const jwks = (await jwksOf(s)).json;
    assert.deepEqual(jwks.keys.map((k) => k.kid), [JSON.parse(newKey).kid, JSON.parse(oldKey).kid]);
    const again = await get(s, a.live_key, old.pause_id);
    assert.equal(again.receipt, old.receipt, 'a stored receipt never changes');
    assert.equal(openReceipt(again.receipt, jwks).decision.choice, 'Reject');
    const fresh = await answered(s, a.live_key, 0);
    assert.equal(openReceipt(fresh.receipt, jwks).kid, JSON.parse(newKey).kid);
    // Dropped from the JWKS, the old key verifies nothing.
    assert.throws(() => openReceipt(old.receipt, { keys: jwks.keys.slice(0, 1) }), /unknown kid/);
    await s.stop();

    // No signing key: decisions still happen (receipt null, logged); old keys stay served.
    s = await startService({ persistDir: dir, vars: { RECEIPT_SIGNING_KEY: '', RECEIPT_PUBLIC_KEYS: `[${publicJwk(oldKey)},${publicJwk(newKey)}, {"kty":"OKP"}]` } });
    const unsigned = await answered(s, a.live_key, 0);
    assert.equal(unsigned.status, 'responded');
    assert.equal(unsigned.receipt, null);
    const served = (await jwksOf(s)).json;
    assert.deepEqual(served.keys.map((k) => k.kid), [JSON.parse(oldKey).kid, JSON.parse(newKey).kid], 'the bad entry is left out');
    assert.equal(openReceipt(old.receipt, served).decision.status, 'responded');
    // The Worker's log reaches wrangler's output a little after the response.
    for (const said of [/RECEIPT_SIGNING_KEY is not set/, /RECEIPT_PUBLIC_KEYS\[2\]: `crv`/]) {
      assert.ok(await eventually(() => said.test(s.logs), { timeoutMs: 10_000 }), `the log says ${said}:\n${s.logs}`);
    }
  } finally {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
