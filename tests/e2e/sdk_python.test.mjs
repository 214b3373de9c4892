// The Python SDK (sdk/python) against the real service: pytest runs sdk/python/tests in
// the SDK's virtualenv (.venv-sdk, made by scripts/setup.sh) with the service's URL and
// a fresh account's keys in its environment; the CrewAI test runs in its own virtualenv
// (.venv-crewai: CrewAI pins other versions of the MCP SDK and openai). The tests answer
// pauses through the local outbox link, and start their own 127.0.0.1 proxy (injected
// 503/429/dropped connections) and webhook receiver.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startService, ROOT } from './harness.mjs';
import { runPython, SDK_PYTHON, CREWAI_PYTHON } from './sdk_helpers.mjs';

const TESTS = join(ROOT, 'sdk', 'python', 'tests');
// Nothing may leave 127.0.0.1: no trace or telemetry export from the frameworks.
const QUIET = { OPENAI_AGENTS_DISABLE_TRACING: '1', CREWAI_DISABLE_TELEMETRY: 'true', CREWAI_TRACING_ENABLED: 'false', OTEL_SDK_DISABLED: 'true', LANGSMITH_TRACING: 'false', OPENAI_API_KEY: '' };

let svc, env;
before(async () => {
  svc = await startService({ vars: { WEBHOOK_RETRY_SCHEDULE: '2,2,2' } });
  const acct = await svc.createAccount('SDK Python', 'enterprise');
  env = {
    ...QUIET,
    PAUSEPOINT_BASE_URL: svc.base,
    PAUSEPOINT_API_KEY: acct.live_key,
    PAUSEPOINT_TEST_API_KEY: acct.test_key,
    PAUSEPOINT_WEBHOOK_SECRET: acct.webhook_secret,
  };
});
after(async () => svc?.cleanup());

function pytestPassed(t, r) {
  t.diagnostic(r.out.trim().split('\n').slice(-1)[0]);
  assert.equal(r.code, 0, `pytest failed:\n${r.out}\n--- service log ---\n${svc.logs.slice(-2000)}`);
  assert.match(r.out, /\d+ passed/);
  assert.doesNotMatch(r.out, /skipped|deselected/, 'nothing is skipped');
}

test('Python SDK: clients, MCP bridge, OpenAI Agents and LangGraph hooks (pytest, .venv-sdk)', async (t) => {
  const r = await runPython(SDK_PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-rfE', TESTS, '--ignore', join(TESTS, 'test_crewai.py')], env);
  pytestPassed(t, r);
});

test('Python SDK: CrewAI hook and tool (pytest, .venv-crewai)', async (t) => {
  const r = await runPython(CREWAI_PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-rfE', join(TESTS, 'test_crewai.py')],
    { ...env, PYTHONPATH: join(ROOT, 'sdk', 'python', 'src') });
  pytestPassed(t, r);
});
