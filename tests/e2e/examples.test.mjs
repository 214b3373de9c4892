// The snippets in examples/ run against the local service: curl, Python and JavaScript
// always; Go and Ruby where their toolchains are installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, choose, ROOT } from './harness.mjs';

let svc, acct;
before(async () => {
  svc = await startService();
  acct = await svc.createAccount('Examples Co', 'pro');
});
after(async () => svc?.cleanup());

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const EX = join(ROOT, 'examples');
const runners = [
  ['curl', 'bash', (f) => [join(EX, 'curl', `${f}.sh`)], () => has('curl')],
  ['python', 'python3', (f) => [join(EX, 'python', `${f}.py`)], () => true],
  ['javascript', 'node', (f) => [join(EX, 'javascript', `${f}.mjs`)], () => true],
  ['go', 'go', (f) => ['run', '.', { create_and_poll: 'poll', create_and_long_poll: 'longpoll', verify_webhook: 'verify' }[f]], () => has('go'), join(EX, 'go')],
  ['ruby', 'ruby', (f) => [join(EX, 'ruby', `${f}.rb`)], () => has('ruby')],
];

/// Runs an agent example, answers its question as the person would, returns its output.
function runAgent(cmd, args, cwd, choice) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: cwd ?? ROOT,
      env: { ...process.env, PAUSEPOINT_URL: svc.base, PAUSEPOINT_API_KEY: acct.live_key },
    });
    let out = '', answered = false;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timed out: ${out}`)); }, 120_000);
    child.stdout.on('data', async (d) => {
      out += d;
      const m = out.match(/created (pause_[0-9a-f]{24})/);
      if (m && !answered) {
        answered = true;
        const r = await choose(await svc.linkFor(m[1]), choice);
        if (r.status !== 200) reject(new Error(`tap failed: ${r.status}`));
      }
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

for (const [lang, cmd, args, available, cwd] of runners) {
  test(`${lang}: create and poll, create and long-poll`, { skip: !available() && `${cmd} is not installed` }, async () => {
    const polled = await runAgent(cmd, args('create_and_poll'), cwd, 1);
    assert.equal(polled.code, 0, polled.out);
    assert.match(polled.out.trim().split('\n').pop(), /^responded Reject recipient$/);
    const long = await runAgent(cmd, args('create_and_long_poll'), cwd, 0);
    assert.equal(long.code, 0, long.out);
    assert.match(long.out.trim().split('\n').pop(), /^responded (Deploy|Approve) recipient$/);
  });

  test(`${lang}: webhook verification accepts the real signature and refuses the rest`, { skip: !available() && `${cmd} is not installed` }, () => {
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const key = Buffer.from(secret.slice(6), 'base64');
    const body = JSON.stringify({ type: 'pause.responded', data: { pause_id: 'pause_0123', response_choice: 'Approve' } });
    const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
    const sign = (ts, b = body) => `v1,${createHmac('sha256', key).update(`${id}.${ts}.${b}`).digest('base64')}`;
    const now = String(Math.floor(Date.now() / 1000));
    const verify = (ts, sigs, b = body) => spawnSync(cmd, [...args('verify_webhook'), secret, id, ts, sigs], { cwd: cwd ?? ROOT, input: b, encoding: 'utf8' });
    const ok = verify(now, sign(now));
    assert.equal(ok.stdout.trim(), 'valid', ok.stderr);
    assert.equal(ok.status, 0);
    assert.equal(verify(now, `v1,${Buffer.alloc(32).toString('base64')} ${sign(now)}`).stdout.trim(), 'valid', 'rotation: any listed signature');
    assert.equal(verify(now, sign(now), body.replace('Approve', 'Reject')).stdout.trim(), 'invalid');
    const old = String(Number(now) - 3600);
    assert.equal(verify(old, sign(old)).stdout.trim(), 'invalid', 'an old timestamp is a replay');
    assert.equal(verify(now, sign(now).replace('v1,', 'v2,')).status, 1);
  });
}

// examples/*/verify_receipt: a real receipt from a pause answered on its page, the JWKS
// from the Worker (URL) or a saved copy (file), the action the executor is about to run.
const PY = existsSync(join(ROOT, '.venv-sdk', 'bin', 'python')) ? join(ROOT, '.venv-sdk', 'bin', 'python') : 'python3';
const receiptRunners = [
  ['python', PY, join(EX, 'python', 'verify_receipt.py')],
  ['javascript', 'node', join(EX, 'javascript', 'verify_receipt.mjs')],
];
const ACTION = { name: 'wire_transfer', arguments: { to: 'Meridian LLC', amount_cents: 840000, fx_rate: 1.0825, tiny: 1e-7, big: 1e21, memo: 'Invoice – "Q3"\n', 'é': [null, true], '😀': 0.5, 'ﬓ': 1 } };
let signed;
async function realReceipt() {
  signed ??= (async () => {
    const h = { key: acct.live_key };
    const c = await svc.request('POST', '/v1/pause', { ...h, body: { recipient: '+1 (312) 847-1928', message: 'Wire?', options: ['Approve', 'Reject'], action: ACTION } });
    assert.equal(c.status, 201, c.text);
    assert.equal((await choose(await svc.linkFor(c.json.pause_id), 0)).status, 200);
    const p = (await svc.request('GET', `/v1/pause/${c.json.pause_id}`, h)).json;
    assert.equal(typeof p.receipt, 'string');
    const dir = mkdtempSync(join(tmpdir(), 'pausepoint-jwks-'));
    writeFileSync(join(dir, 'jwks.json'), (await svc.request('GET', '/.well-known/jwks.json')).text);
    writeFileSync(join(dir, 'empty.json'), '{"keys": []}');
    return { receipt: p.receipt, url: `${svc.base}/.well-known/jwks.json`, file: join(dir, 'jwks.json'), empty: join(dir, 'empty.json') };
  })();
  return signed;
}

for (const [lang, cmd, file] of receiptRunners) {
  test(`${lang}: receipt verification accepts a real receipt and refuses another action, a forgery, an unknown key`, async () => {
    const { receipt, url, file: jwksFile, empty } = await realReceipt();
    const run = (r, jwks, action) => new Promise((resolve) => {
      // Asynchronous: the Python example fetches the JWKS from this same process's Worker.
      const child = spawn(cmd, [file, r, jwks, JSON.stringify(action)], { cwd: ROOT });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code, out: out.trim() }));
    });
    for (const jwks of [url, jwksFile]) {
      const ok = await run(receipt, jwks, ACTION);
      assert.deepEqual(ok, { code: 0, out: 'valid responded Approve' }, `JWKS from ${jwks}`);
    }
    const other = structuredClone(ACTION);
    other.arguments.amount_cents = 840001;
    assert.deepEqual(await run(receipt, jwksFile, other), { code: 1, out: 'invalid: the receipt approves another action' });
    const [h, p, s] = receipt.split('.');
    const forged = Buffer.from(Buffer.from(p, 'base64url').toString().replace('"Approve"', '"Approvf"')).toString('base64url');
    const bad = await run(`${h}.${forged}.${s}`, jwksFile, ACTION);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /^invalid: /);
    const unknown = await run(receipt, empty, ACTION);
    assert.equal(unknown.code, 1);
    assert.match(unknown.out, /^invalid: unknown key/);
  });
}
