// The Python SDK (sdk/python) against the real service: pytest runs sdk/python/tests in
// the SDK's virtualenv (.venv-sdk, made by scripts/setup.sh) with the service's URL and
// a fresh account's keys in its environment. The tests answer pauses through the local
// outbox link, and start their own 127.0.0.1 proxy (injected 503/429/dropped
// connections) and webhook receiver.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startService, ROOT } from './harness.mjs';
import { runPython, SDK_PYTHON } from './sdk_helpers.mjs';

let svc, acct;
before(async () => {
  svc = await startService({ vars: { WEBHOOK_RETRY_SCHEDULE: '2,2,2' } });
  acct = await svc.createAccount('SDK Python', 'enterprise');
});
after(async () => svc?.cleanup());

test('Python SDK: pytest sdk/python/tests against the service', async (t) => {
  const r = await runPython(['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-rfE', join(ROOT, 'sdk', 'python', 'tests')], {
    PAUSEPOINT_BASE_URL: svc.base,
    PAUSEPOINT_API_KEY: acct.live_key,
    PAUSEPOINT_TEST_API_KEY: acct.test_key,
    PAUSEPOINT_WEBHOOK_SECRET: acct.webhook_secret,
  });
  t.diagnostic(r.out.trim().split('\n').slice(-3).join(' | '));
  assert.equal(r.code, 0, `pytest failed:\n${r.out}\n${svc.logs.slice(-2000)}`);
  assert.match(r.out, /\d+ passed/);
  assert.doesNotMatch(r.out, /skipped/, 'nothing is skipped');
});
