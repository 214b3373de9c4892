// Contract fuzzing: schemathesis generates requests from /openapi.json for a bounded
// number of examples and checks that no response is a 5xx, undocumented, or off-schema.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startService } from './harness.mjs';

let svc, acct;
before(async () => {
  svc = await startService();
  acct = await svc.createAccount('Fuzz Co', 'pro');
});
after(async () => svc?.cleanup());

function run(cmd, args, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

test('schemathesis finds no server error, undocumented status or schema violation', { timeout: 600_000 }, async () => {
  const { code, out } = await run('schemathesis', [
    'run', `${svc.base}/openapi.json`, '--url', svc.base,
    '-H', `Authorization: Bearer ${acct.live_key}`,
    '--checks', 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance',
    '--max-examples', process.env.FUZZ_MAX_EXAMPLES ?? '25',
    '--generation-deterministic', '--request-timeout', '60',
    '--phases', 'examples,coverage,fuzzing',
  ], 540_000);
  assert.equal(code, 0, out.slice(-8000));
  assert.match(out, /\d+ generated, \d+ passed/);
});
