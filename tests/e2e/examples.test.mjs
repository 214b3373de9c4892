// The snippets in examples/ run against the local service: curl, Python and JavaScript
// always; Go and Ruby where their toolchains are installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
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
