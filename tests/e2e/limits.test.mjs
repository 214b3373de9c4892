// Request limits of every authenticated surface (/v1 and /mcp), per key and per
// account, and a create that fails after reserving quota gives it back.
//
// The Worker runs from a copy of wrangler.toml that differs only in the two limits
// (6 per key, 10 per account a minute), so the limit is reached in a few requests:
// same code, same bindings, wrangler's own local limiter. Its window is the wall
// clock's minute, so the tests start well inside one.
// The service's TOKEN_SECRET is too short to sign links: every create fails after its
// quota reservation, which is the fault the release test needs, reached from outside.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, seedRequest, sleep, ROOT } from './harness.mjs';

const PER_KEY = 6;
const PER_ACCOUNT = 10;

function lowLimitsConfig(dir) {
  const swaps = [
    ['main = "build/worker/shim.mjs"', `main = ${JSON.stringify(join(ROOT, 'build/worker/shim.mjs'))}`],
    ['directory = "static"', `directory = ${JSON.stringify(join(ROOT, 'static'))}`],
    ['migrations_dir = "migrations"', `migrations_dir = ${JSON.stringify(join(ROOT, 'migrations'))}`],
    [/(name = "API_RATE_LIMITER"[^[]*simple = \{ limit = )\d+/, `$1${PER_KEY}`],
    [/(name = "ACCOUNT_RATE_LIMITER"[^[]*simple = \{ limit = )\d+/, `$1${PER_ACCOUNT}`],
  ];
  let toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  for (const [from, to] of swaps) {
    const next = toml.replace(from, to);
    // Without an account limiter the account test fails on its own assertions.
    if (!String(from).includes('ACCOUNT')) assert.notEqual(next, toml, `wrangler.toml has no ${from}`);
    toml = next;
  }
  const path = join(dir, 'wrangler.toml');
  writeFileSync(path, toml);
  return path;
}

let svc, configDir;
before(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'pausepoint-limits-'));
  svc = await startService({
    vars: { TOKEN_SECRET: 'too-short' },
    devArgs: ['--config', lowLimitsConfig(configDir)],
  });
});
after(async () => {
  await svc?.cleanup();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

/// Waits until at least 20 s of the current rate-limit minute remain.
async function freshWindow() {
  const into = Date.now() % 60_000;
  if (into > 40_000) await sleep(60_000 - into + 200);
}
const account = (key) => svc.request('GET', '/v1/account', { key });
const mcpPing = (key) => svc.request('POST', '/mcp', {
  key,
  headers: { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
  body: { jsonrpc: '2.0', id: 1, method: 'ping' },
});

test('per key and per account: a second key of the account does not get a second allowance', async () => {
  const a = await svc.createAccount('Busy Co', 'pro');
  await freshWindow();
  for (let i = 0; i < PER_KEY; i++) assert.equal((await account(a.live_key)).status, 200, `request ${i + 1}`);
  const byKey = await account(a.live_key);
  assert.equal(byKey.status, 429, byKey.text);
  assert.equal(byKey.json.error.code, 'rate_limited');
  assert.match(byKey.json.error.message, /API key/);
  assert.ok(Number(byKey.headers.get('retry-after')) > 0);

  // The test key has its own per-key allowance, but shares the account's. Both limits
  // are asked at once, so the request the key limit refused counted for the account too.
  for (let i = PER_KEY + 1; i < PER_ACCOUNT; i++) assert.equal((await account(a.test_key)).status, 200, `request ${i + 1}`);
  const byAccount = await account(a.test_key);
  assert.equal(byAccount.status, 429, byAccount.text);
  assert.equal(byAccount.json.error.code, 'rate_limited');
  assert.match(byAccount.json.error.message, /account/);
  assert.ok(Number(byAccount.headers.get('retry-after')) > 0);

  // Another account is not affected.
  const b = await svc.createAccount('Quiet Co', 'pro');
  assert.equal((await account(b.live_key)).status, 200);
});

test('/mcp is counted: its requests use the same allowance as /v1', async () => {
  const a = await svc.createAccount('Agent Co', 'pro');
  await freshWindow();
  for (let i = 0; i < PER_KEY; i++) {
    const r = await mcpPing(a.live_key);
    assert.equal(r.status, 200, r.text);
  }
  const limited = await mcpPing(a.live_key);
  assert.equal(limited.status, 429, limited.text);
  assert.equal(limited.json.error.code, 'rate_limited');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
  assert.equal((await account(a.live_key)).status, 429, 'the same key on /v1 is over too');
});

test('a create that fails after reserving quota gives the reservation back', async () => {
  const a = await svc.createAccount('Capped Co', 'free');
  await freshWindow();
  const failed = await svc.request('POST', '/v1/pause', { key: a.live_key, body: seedRequest() });
  assert.equal(failed.status, 500, failed.text);
  assert.equal(failed.json.error.code, 'internal_error');
  const idem = await svc.request('POST', '/v1/pause', { key: a.live_key, body: seedRequest(), headers: { 'idempotency-key': 'k-1' } });
  assert.equal(idem.status, 500, idem.text);
  const usage = (await account(a.live_key)).json.usage.pauses;
  assert.equal(usage, 0, 'no pause was created, none is counted');
  assert.equal((await svc.request('GET', '/v1/pauses', { key: a.live_key })).json.data.length, 0);
});
