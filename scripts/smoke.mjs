#!/usr/bin/env node
// Smoke test of a running PausePoint: /healthz, then a test-mode pause created, read and
// cancelled with the test key of a dedicated smoke account (reused across runs).
//
//   node scripts/smoke.mjs <base-url> [--state <file>] [--wait <seconds>]
//
// /healthz is retried for up to --wait seconds (default 90): a new workers.dev hostname
// can take a little while to answer after the first deploy.
// The key comes from PAUSEPOINT_SMOKE_KEY, else from the state file (written by an earlier
// run), else a smoke account is created with PAUSEPOINT_ADMIN_TOKEN and its test key saved
// to the state file. Test-mode pauses never reach a provider and count against no quota.
// Exit code 0 when every check passed; otherwise one sentence naming the failed check.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SMOKE_ACCOUNT_NAME = 'PausePoint smoke test';

export class SmokeError extends Error {}

async function call(base, method, path, { key, body, timeoutMs = 20_000 } = {}) {
  const headers = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let r;
  try {
    r = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    return { status: 0, json: undefined, text: String(e.cause?.message ?? e.message) };
  }
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch {}
  return { status: r.status, json, text, requestId: r.headers.get('request-id') };
}

const describe = (r) => (r.status === 0 ? `no answer (${r.text})` : `${r.status} ${r.json?.error?.code ?? r.text.slice(0, 200)}`);

function readState(file) {
  if (!file) return {};
  try { return JSON.parse(readFileSync(file, 'utf8')); } catch { return {}; }
}

function writeState(file, state) {
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

/// Finds a working test key: the given one, the saved one, or a new smoke account's.
async function smokeKey(base, { key, adminToken, stateFile, log }) {
  const candidates = [key, readState(stateFile).test_key].filter(Boolean);
  for (const k of candidates) {
    const r = await call(base, 'GET', '/v1/account', { key: k });
    if (r.status === 200) return k;
    log(`  (a saved smoke key was refused: ${describe(r)})`);
  }
  if (!adminToken) {
    throw new SmokeError(
      'no smoke key: set PAUSEPOINT_SMOKE_KEY to a pp_test_ key, or PAUSEPOINT_ADMIN_TOKEN to the ADMIN_TOKEN secret so a smoke account can be created',
    );
  }
  const r = await call(base, 'POST', '/admin/accounts', {
    key: adminToken,
    body: { name: SMOKE_ACCOUNT_NAME, plan: 'free' },
  });
  if (r.status !== 201 || !r.json?.test_key?.startsWith('pp_test_')) {
    throw new SmokeError(`creating the smoke account with the admin token failed: ${describe(r)}`);
  }
  writeState(stateFile, { account_id: r.json.account_id, test_key: r.json.test_key });
  log(`  created the smoke account ${r.json.account_id}${stateFile ? ` (test key saved to ${stateFile})` : ''}`);
  return r.json.test_key;
}

/// Runs every check against `base`; throws SmokeError naming the first that failed.
export async function smoke(base, { key, adminToken, stateFile, waitSeconds = 0, log = console.log } = {}) {
  base = base.replace(/\/+$/, '');
  const deadline = Date.now() + waitSeconds * 1000;
  let health = await call(base, 'GET', '/healthz');
  while (health.status !== 200 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2000));
    health = await call(base, 'GET', '/healthz');
  }
  if (health.status !== 200 || health.json?.ok !== true) {
    throw new SmokeError(`GET ${base}/healthz answered ${describe(health)}, not 200 {"ok":true}`);
  }
  log('  ok  GET /healthz');

  const testKey = await smokeKey(base, { key, adminToken, stateFile, log });
  if (!testKey.startsWith('pp_test_')) throw new SmokeError('the smoke key must be a test-mode key (pp_test_…), so nothing reaches a provider');
  log('  ok  smoke account key accepted (GET /v1/account)');

  const created = await call(base, 'POST', '/v1/pause', {
    key: testKey,
    body: {
      recipient: '+15005550006',
      message: 'PausePoint smoke test: this pause is cancelled at once.',
      options: ['OK', 'Cancel'],
      timeout_hours: 1,
      metadata: { smoke: true },
    },
  });
  const id = created.json?.pause_id;
  if (created.status !== 201 || !id || created.json.status !== 'pending' || created.json.livemode !== false) {
    throw new SmokeError(`creating a test-mode pause answered ${describe(created)}`);
  }
  log(`  ok  POST /v1/pause (test mode) -> ${id}`);

  const got = await call(base, 'GET', `/v1/pause/${id}`, { key: testKey });
  if (got.status !== 200 || got.json?.pause_id !== id) throw new SmokeError(`reading pause ${id} answered ${describe(got)}`);
  log(`  ok  GET /v1/pause/${id} (${got.json.status})`);

  const cancelled = await call(base, 'POST', `/v1/pause/${id}/cancel`, { key: testKey });
  if (cancelled.status !== 200 || cancelled.json?.status !== 'cancelled') {
    throw new SmokeError(`cancelling pause ${id} answered ${describe(cancelled)}`);
  }
  const after = await call(base, 'GET', `/v1/pause/${id}`, { key: testKey });
  if (after.json?.status !== 'cancelled') throw new SmokeError(`pause ${id} is ${after.json?.status ?? describe(after)} after its cancel`);
  log(`  ok  POST /v1/pause/${id}/cancel -> cancelled`);
  return { pauseId: id };
}

async function main(argv) {
  const args = [...argv];
  let stateFile;
  let waitSeconds = 90;
  const i = args.indexOf('--state');
  if (i >= 0) [, stateFile] = args.splice(i, 2);
  const w = args.indexOf('--wait');
  if (w >= 0) waitSeconds = Number(args.splice(w, 2)[1]);
  const base = args[0];
  if (!base || !/^https?:\/\//.test(base)) {
    console.error('usage: node scripts/smoke.mjs <base-url> [--state <file>] [--wait <seconds>]   (env: PAUSEPOINT_SMOKE_KEY or PAUSEPOINT_ADMIN_TOKEN)');
    return 2;
  }
  console.log(`smoke test of ${base}`);
  try {
    await smoke(base, { waitSeconds, key: process.env.PAUSEPOINT_SMOKE_KEY, adminToken: process.env.PAUSEPOINT_ADMIN_TOKEN, stateFile });
  } catch (e) {
    if (!(e instanceof SmokeError)) throw e;
    console.error(`smoke test FAILED: ${e.message}.`);
    return 1;
  }
  console.log('smoke test passed');
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
