// Cloudflare does not inherit bindings into an environment: each [env.*] section must
// declare every binding the top level (local) declares, or the deployed Worker misses it.
test('every binding of the local config is declared in each environment', () => {
  const KINDS = ['durable_objects.bindings', 'd1_databases', 'ratelimits', 'queues.producers', 'analytics_engine_datasets'];
  const bindings = (prefix) => {
    const found = new Set();
    let table = null;
    for (const line of tomlText.split('\n')) {
      const header = line.match(/^\s*\[\[?\s*([^\]]+?)\s*\]\]?/);
      if (header) { table = header[1]; continue; }
      const kv = line.match(/^\s*(name|binding)\s*=\s*"([^"]+)"/);
      if (!kv || table === null) continue;
      for (const kind of KINDS) if (table === prefix + kind) found.add(`${kind}:${kv[2]}`);
    }
    return [...found].sort();
  };
  const local = bindings('');
  assert.ok(local.includes('ratelimits:PAGE_RATE_LIMITER') && local.length >= 7, `local bindings read: ${local}`);
  for (const env of ['staging', 'production']) {
    assert.deepEqual(bindings(`env.${env}.`), local, `[env.${env}] declares the same bindings as the top level`);
  }
});

// `make deploy` against a fake of the Cloudflare API (tests/e2e/fake-cloudflare.mjs), the
// smoke test against the real Worker under `wrangler dev`, and `wrangler deploy --dry-run`
// of both environments. What is real: wrangler itself (every command the script runs,
// with its real HTTP calls, multipart upload and migration logic), the generated config,
// the D1 migrations (run on SQLite by the fake), the Worker the smoke test talks to. What
// is fake: Cloudflare's side of those calls, and the deployed URL (the smoke test of a
// deploy is pointed at `wrangler dev` with PAUSEPOINT_SMOKE_URL).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, ROOT, freePort } from './harness.mjs';
import { startFakeCloudflare } from './fake-cloudflare.mjs';
import {
  run, readEnvironment, generateConfig, parseQueueList, parseDeployUrl, wranglerError, PROVIDER_SECRETS,
} from '../../scripts/deploy.mjs';

const ADMIN = 'e2e-deploy-admin-token-0123456789abcdef';
const MIGRATIONS = readdirSync(join(ROOT, 'migrations')).filter((f) => f.endsWith('.sql')).sort();
const tomlText = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
let svc;
const dirs = [];

before(async () => {
  svc = await startService({ vars: { ADMIN_TOKEN: ADMIN } });
});
after(async () => {
  await svc?.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(prefix) {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/// Runs `node scripts/deploy.mjs --env <env>` against the fake, as `make deploy` does.
async function deployCli(fake, env, deployDir, extraEnv = {}) {
  const childEnv = {
    ...process.env,
    CLOUDFLARE_API_BASE_URL: fake.apiBase,
    CLOUDFLARE_API_TOKEN: 'fake-api-token',
    PAUSEPOINT_DEPLOY_DIR: deployDir,
    PAUSEPOINT_SMOKE_URL: svc.base,
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    NO_COLOR: '1',
    CI: 'true',
    ...extraEnv,
  };
  for (const k of ['CLOUDFLARE_ACCOUNT_ID', 'PAUSEPOINT_SMOKE_KEY', ...PROVIDER_SECRETS]) if (!(k in extraEnv)) delete childEnv[k];
  if (!('PAUSEPOINT_ADMIN_TOKEN' in extraEnv)) delete childEnv.PAUSEPOINT_ADMIN_TOKEN;
  const r = await run(process.execPath, [join(ROOT, 'scripts', 'deploy.mjs'), '--env', env], { env: childEnv });
  return { ...r, out: r.stdout + r.stderr };
}

/// The calls that changed something on the account. Wrangler's own
/// `CREATE TABLE IF NOT EXISTS d1_migrations` and D1 reads are not changes.
const changes = (fake) => fake.mutations().filter((c) => !(c.path.endsWith('/query') && /^\s*CREATE TABLE IF NOT EXISTS d1_migrations/i.test(c.body?.sql ?? '')));
const describeCalls = (calls) => calls.map((c) => `${c.method} ${c.path}`).join('\n');

test('pure parts: environments, generated config, wrangler output', () => {
  const staging = readEnvironment(tomlText, 'staging');
  assert.equal(staging.worker, 'pausepoint-staging');
  assert.equal(staging.database, 'pausepoint-staging');
  assert.deepEqual(staging.queues.sort(), ['pausepoint-staging-webhooks', 'pausepoint-staging-webhooks-dlq']);
  assert.equal(staging.vars.PAUSEPOINT_MODE, 'production', 'a deployed environment never runs in local mode');
  const production = readEnvironment(tomlText, 'production');
  assert.deepEqual([production.worker, production.database], ['pausepoint', 'pausepoint']);
  assert.deepEqual(production.queues.sort(), ['pausepoint-webhooks', 'pausepoint-webhooks-dlq']);
  assert.throws(() => readEnvironment(tomlText, 'qa'), /no \[env\.qa\] section \(environments: staging, production\)/);

  const id = '11111111-2222-4333-8444-555555555555';
  const gen = generateConfig(tomlText, 'staging', id, { root: ROOT, outDir: join(ROOT, '.wrangler', 'deploy') });
  assert.match(gen, /^# Generated by scripts\/deploy\.mjs/);
  const section = gen.slice(gen.indexOf('[[env.staging.d1_databases]]'), gen.indexOf('[[env.staging.ratelimits]]'));
  assert.match(section, new RegExp(`database_id = "${id}"`));
  assert.match(section, /migrations_dir = "\.\.\/\.\.\/migrations"/);
  assert.match(gen, /^main = "\.\.\/\.\.\/build\/worker\/shim\.mjs"$/m);
  assert.match(gen, /^directory = "\.\.\/\.\.\/static"$/m);
  assert.ok(!gen.slice(gen.indexOf('[env.production]')).includes(id), 'the other environment keeps its own id');

  assert.deepEqual(parseQueueList([
    '┌──────────────────────────────────┬──────────┐',
    '│ id                               │ name     │',
    '│ 7a244e3ce5d87e86e81c2aa88c866414 │ q-one    │',
    '│ 8554f36f03458b64356d9d7a08526ae2 │ q-one-dlq │',
  ].join('\n')), ['q-one', 'q-one-dlq']);
  assert.equal(parseDeployUrl('Deployed x\n  https://pausepoint.acme.workers.dev\n  schedule'), 'https://pausepoint.acme.workers.dev');
  assert.equal(wranglerError({ code: 1, stdout: '', stderr: '\x1b[31m✘ [ERROR] Queue "q" does not exist.\x1b[0m\n\n\n🪵  Logs were written to "x.log"' }), 'Queue "q" does not exist.');
  assert.equal(
    wranglerError({ code: 1, stdout: 'banner', stderr: '✘ [ERROR] A request to the Cloudflare API (/accounts/a/queues) failed.\n\n  Authentication error [code: 10000]\n\n  If you think this is a bug' }),
    'A request to the Cloudflare API (/accounts/a/queues) failed: Authentication error [code: 10000]',
  );
});

test('smoke command: passes against wrangler dev, reuses its smoke account, names what failed', async () => {
  const state = join(tmp('pausepoint-smoke-'), 'smoke.json');
  const env = { ...process.env, PAUSEPOINT_ADMIN_TOKEN: ADMIN };
  delete env.PAUSEPOINT_SMOKE_KEY;
  const first = await run(process.execPath, ['scripts/smoke.mjs', svc.base, '--state', state], { env });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.match(first.stdout, /created the smoke account/);
  assert.match(first.stdout, /POST \/v1\/pause\/pause_[^/]+\/cancel -> cancelled/);
  const saved = JSON.parse(readFileSync(state, 'utf8'));
  assert.match(saved.test_key, /^pp_test_/);

  // Second run: the saved key, no new account (the admin token is not even needed).
  delete env.PAUSEPOINT_ADMIN_TOKEN;
  const second = await run(process.execPath, ['scripts/smoke.mjs', svc.base, '--state', state], { env });
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.doesNotMatch(second.stdout, /created the smoke account/);

  const wrongAdmin = await run(process.execPath, ['scripts/smoke.mjs', svc.base], { env: { ...env, PAUSEPOINT_ADMIN_TOKEN: 'not-the-admin-token-not-the-admin-token' } });
  assert.equal(wrongAdmin.code, 1);
  assert.match(wrongAdmin.stderr, /smoke test FAILED: creating the smoke account with the admin token failed: 401 api_key_invalid/);

  const closed = `http://127.0.0.1:${await freePort()}`;
  const down = await run(process.execPath, ['scripts/smoke.mjs', closed, '--wait', '0'], { env });
  assert.equal(down.code, 1);
  assert.match(down.stderr, new RegExp(`smoke test FAILED: GET ${closed}/healthz answered no answer`));
});

async function freshThenRerun() {
  const fake = await startFakeCloudflare();
  try {
    const dir = tmp('pausepoint-deploy-');
    const first = await deployCli(fake, 'staging', dir, { PAUSEPOINT_ADMIN_TOKEN: ADMIN });
    assert.equal(first.code, 0, first.out);
    assert.deepEqual(fake.unknown, [], `wrangler called endpoints the fake does not know:\n${describeCalls(fake.unknown)}`);
    // Everything was created.
    const dbs = [...fake.databases.values()];
    assert.deepEqual(dbs.map((d) => d.name), ['pausepoint-staging']);
    assert.deepEqual([...fake.queues.values()].map((q) => q.queue_name).sort(), ['pausepoint-staging-webhooks', 'pausepoint-staging-webhooks-dlq']);
    const applied = dbs[0].sql.prepare('SELECT name FROM d1_migrations ORDER BY id').all().map((r) => r.name);
    assert.deepEqual(applied, MIGRATIONS, 'every migration applied remotely');
    assert.ok(dbs[0].sql.prepare("SELECT 1 FROM sqlite_master WHERE name = 'api_keys'").get(), 'the schema exists');
    const worker = fake.scripts.get('pausepoint-staging');
    assert.ok(worker, 'the Worker was uploaded');
    assert.deepEqual([...worker.secrets.keys()].sort(), ['ADMIN_TOKEN', 'RECEIPT_SIGNING_KEY', 'TOKEN_SECRET']);
    const receiptKey = JSON.parse(worker.secrets.get('RECEIPT_SIGNING_KEY'));
    assert.deepEqual([receiptKey.kty, receiptKey.crv], ['OKP', 'Ed25519'], 'a private Ed25519 JWK');
    assert.match(receiptKey.d, /^[A-Za-z0-9_-]{43}$/);
    assert.match(receiptKey.kid, /^pp-\d{4}-\d{2}-\d{2}-[0-9a-f]{6}$/);
    assert.ok(!first.out.includes(receiptKey.d), 'the receipt key is never printed');
    assert.equal(worker.secrets.get('ADMIN_TOKEN'), ADMIN);
    assert.ok(worker.secrets.get('TOKEN_SECRET').length >= 32);
    assert.ok(!first.out.includes(worker.secrets.get('TOKEN_SECRET')), 'TOKEN_SECRET is never printed');
    assert.equal(worker.migration_tag, 'v1', 'the Durable Object class migration ran');
    assert.deepEqual(worker.schedules, [{ cron: '* * * * *' }]);
    assert.ok(worker.subdomain.enabled);
    const webhooks = [...fake.queues.values()].find((q) => q.queue_name === 'pausepoint-staging-webhooks');
    assert.equal(webhooks.consumers[0]?.script_name, 'pausepoint-staging');
    assert.equal(webhooks.consumers[0]?.dead_letter_queue, 'pausepoint-staging-webhooks-dlq');
    const uploadMeta = worker.versions.at(-1).annotations;
    assert.match(uploadMeta['workers/tag'], /^pp-[0-9a-f]{24}$/);
    // The generated config holds the id; the smoke test passed against the Worker.
    const gen = readFileSync(join(dir, 'wrangler.staging.toml'), 'utf8');
    assert.ok(gen.includes(`database_id = "${dbs[0].uuid}"`));
    assert.match(first.out, /created pausepoint-staging \(/);
    assert.match(first.out, /queue: created pausepoint-staging-webhooks-dlq/);
    assert.match(first.out, /smoke: .* a test-mode pause was created and cancelled/);
    assert.match(first.out, /https:\/\/pausepoint-staging\.pausepoint-fake\.workers\.dev/);
    assert.match(first.out, /Next:/);
    assert.match(first.out, /Created: D1 database pausepoint-staging, queue pausepoint-staging-webhooks, queue pausepoint-staging-webhooks-dlq\./);
    assert.match(first.out, /Secrets set: TOKEN_SECRET, ADMIN_TOKEN, RECEIPT_SIGNING_KEY\./);
    assert.ok(existsSync(join(dir, 'staging.smoke.json')));

    // Second run: everything is found, nothing is created, set or uploaded.
    fake.reset();
    const second = await deployCli(fake, 'staging', dir, { PAUSEPOINT_ADMIN_TOKEN: ADMIN });
    assert.equal(second.code, 0, second.out);
    assert.deepEqual(changes(fake), [], `the second run changed something:\n${describeCalls(changes(fake))}`);
    assert.equal(fake.scripts.get('pausepoint-staging').uploads, 1);
    assert.match(second.out, /database: pausepoint-staging exists/);
    assert.match(second.out, /migrations: none to apply/);
    assert.match(second.out, /secrets: all set/);
    assert.match(second.out, /already runs this build/);
    assert.match(second.out, /Nothing had to be created\./);
    assert.match(second.out, /nothing was uploaded/);
    assert.doesNotMatch(second.out, /created the smoke account/);
    assert.match(second.out, /smoke: .* created and cancelled/);
  } finally {
    await fake.close();
  }
}

async function oneQueueExistsAndAStepFails() {
  const fake = await startFakeCloudflare();
  try {
    const dir = tmp('pausepoint-deploy-');
    const existing = fake.addQueue('pausepoint-webhooks');
    fake.failNext('POST', /\/queues$/, { status: 403, code: 10000, message: 'Authentication error' });
    const acct = (await svc.request('POST', '/admin/accounts', { headers: { authorization: `Bearer ${ADMIN}` }, body: { name: 'Deploy Smoke Co', plan: 'free' } })).json;

    const failed = await deployCli(fake, 'production', dir, { PAUSEPOINT_SMOKE_KEY: acct.test_key });
    assert.equal(failed.code, 1, failed.out);
    assert.match(failed.stderr, /deploy stopped at step "queues": `wrangler queues create pausepoint-webhooks-dlq` failed: .*Authentication error.*Fix the cause and run `make deploy ENV=production` again/s);
    assert.ok(!fake.scripts.has('pausepoint'), 'nothing after the failed step ran');
    assert.equal(fake.databases.size, 1, 'the database made before the failure stays');

    fake.reset();
    const rerun = await deployCli(fake, 'production', dir, { PAUSEPOINT_SMOKE_KEY: acct.test_key });
    assert.equal(rerun.code, 0, rerun.out);
    const creates = fake.calls.filter((c) => c.method === 'POST' && /\/(queues|d1\/database)$/.test(c.path));
    assert.deepEqual(creates.map((c) => c.body.queue_name ?? c.body.name), ['pausepoint-webhooks-dlq'], 'only what was missing is created');
    assert.equal(fake.databases.size, 1);
    assert.equal(fake.queues.get(existing.queue_id).queue_name, 'pausepoint-webhooks', 'the existing queue is used as it is');
    assert.match(rerun.out, /queue: pausepoint-webhooks exists/);
    // The admin token was generated, stored and printed exactly once.
    const worker = fake.scripts.get('pausepoint');
    const admin = worker.secrets.get('ADMIN_TOKEN');
    assert.ok(admin.length >= 32);
    assert.equal(rerun.out.split(admin).length - 1, 1, 'the admin token is printed once');
    assert.equal(failed.out.includes(admin), false);
    assert.equal([...fake.databases.values()][0].sql.prepare('SELECT count(*) AS n FROM d1_migrations').get().n, MIGRATIONS.length);
  } finally {
    await fake.close();
  }
}

async function loginProblems() {
  const refused = await startFakeCloudflare();
  const twoAccounts = await startFakeCloudflare({ accounts: [{ id: 'a'.repeat(32), name: 'Acme' }, { id: 'b'.repeat(32), name: 'Acme Labs' }] });
  try {
    refused.failNext('GET', /^\/user\/tokens\/verify$/, { status: 401, code: 1000, message: 'Invalid API Token', times: 10 });
    refused.failNext('GET', /^\/user$/, { status: 401, code: 1000, message: 'Invalid API Token', times: 10 });
    const [a, b] = await Promise.all([
      deployCli(refused, 'staging', tmp('pausepoint-deploy-')),
      deployCli(twoAccounts, 'staging', tmp('pausepoint-deploy-')),
    ]);
    assert.equal(a.code, 1, a.out);
    assert.match(a.stderr, /deploy stopped at step "login": wrangler is not logged in .*run `npx wrangler login`, or set CLOUDFLARE_API_TOKEN/);
    assert.equal(b.code, 1, b.out);
    assert.match(b.stderr, /step "login": this login has several accounts \(Acme: a{32}, Acme Labs: b{32}\): set CLOUDFLARE_ACCOUNT_ID/);
    for (const f of [refused, twoAccounts]) assert.deepEqual(changes(f), [], 'nothing is created without a clear login');
  } finally {
    await refused.close();
    await twoAccounts.close();
  }
}

async function dryRuns() {
  const out = tmp('pausepoint-dryrun-');
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: 'true' };
  const results = await Promise.all(['staging', 'production'].map((e) =>
    run(join(ROOT, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--env', e, '--outdir', join(out, e)], { env })));
  for (const [i, e] of ['staging', 'production'].entries()) {
    const r = results[i];
    assert.equal(r.code, 0, `${e}: ${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /--dry-run: exiting now/);
    assert.match(r.stdout, new RegExp(`env\\.DB \\(${e === 'staging' ? 'pausepoint-staging' : 'pausepoint'}\\)`));
  }
}

// Each scenario runs wrangler a dozen times; they share nothing, so they run side by side.
test('make deploy and wrangler deploy --dry-run', { concurrency: true }, async (t) => {
  await Promise.all([
    t.test('fresh account, then a second run that changes nothing (staging)', freshThenRerun),
    t.test('one queue exists, a step fails, the rerun finishes (production)', oneQueueExistsAndAStepFails),
    t.test('wrangler deploy --dry-run of each environment (CI)', dryRuns),
    t.test('no login, or a login with several accounts: stops at "login" and says what to do', loginProblems),
  ]);
});
