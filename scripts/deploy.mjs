#!/usr/bin/env node
// `make deploy [ENV=staging|production]`: idempotent provisioning plus deploy.
//
//   node scripts/deploy.mjs [--env production|staging] [--skip-smoke]
//
// Every step first looks, then creates only what is missing, so a second run changes
// nothing and a run that stopped half-way is finished by the next one:
//   login -> database -> queues -> config -> migrations -> build -> secrets -> deploy -> smoke
// Names and vars come from the environment's section of wrangler.toml ([env.<name>]); the
// database id goes into a generated, untracked copy (.wrangler/deploy/wrangler.<env>.toml),
// which every later `wrangler … --config` of that environment uses.
//
// Environment: CLOUDFLARE_API_TOKEN / CLOUDFLARE_ACCOUNT_ID (else `wrangler login`'s
// session); PAUSEPOINT_ADMIN_TOKEN (the admin token to store when none is set yet, and the
// smoke test's when no smoke key is saved); TWILIO_AUTH_TOKEN, SLACK_BOT_TOKEN,
// SLACK_SIGNING_SECRET, RESEND_API_KEY, RESEND_WEBHOOK_SECRET (stored when given and not set yet);
// PAUSEPOINT_SMOKE_URL (smoke-test this base URL instead of the deployed one);
// PAUSEPOINT_DEPLOY_DIR (where the generated files go; default .wrangler/deploy).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { smoke, SmokeError } from './smoke.mjs';
import { newReceiptKey } from './receipt-key.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ENVIRONMENTS = ['staging', 'production'];
/// Generated once per environment, never printed (but the admin token, once).
/// RECEIPT_SIGNING_KEY: a private Ed25519 JWK (README "Signed receipts"); rotate by hand.
export const GENERATED_SECRETS = ['TOKEN_SECRET', 'ADMIN_TOKEN', 'RECEIPT_SIGNING_KEY'];
/// Provider secrets: stored when the shell has them and the Worker does not yet.
export const PROVIDER_SECRETS = ['TWILIO_AUTH_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'RESEND_API_KEY', 'RESEND_WEBHOOK_SECRET'];
const PLACEHOLDER_ID = '00000000-0000-0000-0000-000000000000';

/// A step that failed: `step` names it, the message says what happened and how to go on.
export class StepError extends Error {
  constructor(step, message) {
    super(message);
    this.step = step;
  }
}

// ---------------------------------------------------------------------------------------
// wrangler.toml: the small part of TOML our file uses (tables, arrays of tables, strings).

/// Walks the file line by line and yields {table, key, value, line} for `key = "string"`
/// pairs, `table` being the dotted header the pair is under (`env.staging.vars`).
function* pairs(text) {
  let table = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const header = line.match(/^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/);
    if (header) {
      table = header[1];
      yield { table, header: true, index: i };
      continue;
    }
    const kv = line.match(/^\s*([A-Za-z0-9_-]+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(#.*)?$/);
    if (kv) yield { table, key: kv[1], value: JSON.parse(`"${kv[2]}"`), index: i };
  }
}

/// The names an environment uses, read from its [env.<name>] section.
export function readEnvironment(tomlText, env) {
  const p = `env.${env}`;
  const out = { env, worker: undefined, database: undefined, queues: [], vars: {} };
  let sawSection = false;
  for (const { table, key, value, header } of pairs(tomlText)) {
    if (table === p || table.startsWith(`${p}.`)) sawSection = true;
    if (header) continue;
    if (table === p && key === 'name') out.worker = value;
    if (table === `${p}.d1_databases` && key === 'database_name') out.database = value;
    if ((table === `${p}.queues.producers` || table === `${p}.queues.consumers`) && (key === 'queue' || key === 'dead_letter_queue')) {
      if (!out.queues.includes(value)) out.queues.push(value);
    }
    if (table === `${p}.vars`) out.vars[key] = value;
  }
  if (!sawSection) {
    const found = [...new Set([...pairs(tomlText)].map((x) => x.table.match(/^env\.([^.]+)/)?.[1]).filter(Boolean))];
    throw new Error(`wrangler.toml has no [env.${env}] section (environments: ${found.join(', ') || 'none'})`);
  }
  out.worker ??= undefined;
  if (!out.worker) throw new Error(`[env.${env}] in wrangler.toml has no \`name\``);
  if (!out.database) throw new Error(`[env.${env}] in wrangler.toml has no [[env.${env}.d1_databases]] with a database_name`);
  if (out.queues.length === 0) throw new Error(`[env.${env}] in wrangler.toml declares no queues`);
  return out;
}

/// wrangler.toml with the environment's database id filled in and every path made
/// relative to `outDir`, where the generated file is written.
export function generateConfig(tomlText, env, databaseId, { root = ROOT, outDir }) {
  const lines = tomlText.split('\n');
  let replaced = false;
  for (const { table, key, value, index } of pairs(tomlText)) {
    if (key === 'database_id' && table === `env.${env}.d1_databases`) {
      lines[index] = lines[index].replace(`"${value}"`, JSON.stringify(databaseId));
      replaced = true;
    } else if (key === 'main' || key === 'migrations_dir' || (key === 'directory' && /(^|\.)assets$/.test(table))) {
      const rel = relative(outDir, resolve(root, value)) || '.';
      lines[index] = lines[index].replace(`"${value}"`, JSON.stringify(rel));
    }
  }
  if (!replaced) throw new Error(`[[env.${env}.d1_databases]] in wrangler.toml has no database_id line to fill in`);
  return [
    `# Generated by scripts/deploy.mjs from wrangler.toml for the "${env}" environment.`,
    '# Do not edit: every `make deploy` writes it again. Use it as',
    `#   npx wrangler <command> --config ${relative(root, join(outDir, `wrangler.${env}.toml`))} --env ${env}`,
    '',
    ...lines,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------
// Reading wrangler's answers.

/// The first JSON value (array or object) in wrangler's output, skipping any banner.
export function parseJsonOutput(text) {
  const start = text.search(/^[[{]/m);
  if (start < 0) throw new Error('wrangler printed no JSON');
  return JSON.parse(text.slice(start));
}

/// The queue names in `wrangler queues list` output (a table: name in the second column).
export function parseQueueList(text) {
  const names = [];
  for (const line of text.split('\n')) {
    const cells = line.split(/[│|]/).map((c) => c.trim()).filter(Boolean);
    if (cells.length >= 2 && /^[0-9a-f]{32}$/.test(cells[0])) names.push(cells[1]);
  }
  return names;
}

/// The workers.dev (or route) URL that `wrangler deploy` printed.
export function parseDeployUrl(text) {
  return text.match(/https:\/\/[A-Za-z0-9.-]+\.workers\.dev\b/)?.[0];
}

/// A digest of what `wrangler deploy` uploads: the built Worker, the static assets and the
/// generated config. The deployment carries it as its tag, so an unchanged one is skipped.
export function fingerprint(paths, extra = '') {
  const h = createHash('sha256');
  const walk = (p) => {
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) if (!name.startsWith('.')) walk(join(p, name));
    } else {
      h.update(relative(ROOT, p)).update('\0').update(readFileSync(p)).update('\0');
    }
  };
  paths.forEach(walk);
  h.update(extra);
  return h.digest('hex').slice(0, 24);
}

export const newSecret = (bytes = 32) => randomBytes(bytes).toString('base64url');

// ---------------------------------------------------------------------------------------
// Running wrangler.

const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');

export function run(cmd, args, { env = process.env, cwd = ROOT, input } = {}) {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => resolveRun({ code: 127, stdout, stderr: stderr + String(e) }));
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/// What went wrong, from wrangler's output: its "✘ [ERROR] …" line and the detail under it.
export function wranglerError(r) {
  const text = `${r.stderr}\n${r.stdout}`.replace(/\x1b\[[0-9;]*m/g, '');
  const lines = text.split('\n');
  const i = lines.findIndex((l) => /\[ERROR\]|^\s*Error:|^\s*✘/.test(l));
  if (i < 0) return (lines.map((l) => l.trim()).filter(Boolean).at(-1) ?? `exit code ${r.code}`).slice(0, 400);
  const head = lines[i].trim().replace(/^✘\s*\[ERROR\]\s*/, '');
  const detail = lines.slice(i + 1).map((l) => l.trim()).find(Boolean);
  const useful = detail && !/^(If you think|🪵|Logs were written)/.test(detail);
  return (useful ? `${head.replace(/\.$/, '')}: ${detail}` : head).slice(0, 400);
}

// ---------------------------------------------------------------------------------------
// The steps.

export async function deploy({ env: envName = 'production', skipSmoke = false, log = console.log, processEnv = process.env } = {}) {
  if (!ENVIRONMENTS.includes(envName)) {
    throw new StepError('arguments', `unknown environment "${envName}": use ${ENVIRONMENTS.join(' or ')} (make deploy ENV=staging)`);
  }
  const deployDir = resolve(processEnv.PAUSEPOINT_DEPLOY_DIR ?? join(ROOT, '.wrangler', 'deploy'));
  mkdirSync(deployDir, { recursive: true });
  const configPath = join(deployDir, `wrangler.${envName}.toml`);
  const statePath = join(deployDir, `${envName}.json`);
  const state = existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : {};
  const saveState = () => writeFileSync(statePath, JSON.stringify(state, null, 2) + '\n');
  const childEnv = { ...processEnv };
  const again = `Fix the cause and run \`make deploy ENV=${envName}\` again: the steps that finished are checked and skipped.`;

  const wrangler = async (step, args, opts = {}) => {
    const r = await run(WRANGLER, args, { env: childEnv, ...opts });
    if (r.code !== 0 && !opts.allowFailure) {
      throw new StepError(step, `\`wrangler ${args.join(' ')}\` failed: ${wranglerError(r)}`);
    }
    return r;
  };
  const step = async (name, fn) => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof StepError) throw new StepError(e.step, `${e.message.replace(/\.$/, '')}. ${again}`);
      throw new StepError(name, `${e.message.replace(/\.$/, '')}. ${again}`);
    }
  };
  const summary = { env: envName, created: [], secretsSet: [], deployed: false };
  // wrangler.toml first: a missing section is found before anything is asked of Cloudflare.
  const names = await step('config', async () => readEnvironment(readFileSync(join(ROOT, 'wrangler.toml'), 'utf8'), envName));

  // 1. login
  await step('login', async () => {
    const r = await wrangler('login', ['whoami', '--json'], { allowFailure: true });
    let who;
    try { who = parseJsonOutput(r.stdout); } catch { who = { loggedIn: false }; }
    if (r.code !== 0 || !who.loggedIn) {
      throw new StepError('login', `wrangler is not logged in (${wranglerError(r)}): run \`npx wrangler login\`, or set CLOUDFLARE_API_TOKEN`);
    }
    const accounts = (who.accounts ?? []).map((a) => a.id);
    if (!childEnv.CLOUDFLARE_ACCOUNT_ID) {
      if (accounts.length > 1) {
        throw new StepError('login', `this login has several accounts (${who.accounts.map((a) => `${a.name}: ${a.id}`).join(', ')}): set CLOUDFLARE_ACCOUNT_ID to the one to deploy to`);
      }
      if (accounts.length === 1) childEnv.CLOUDFLARE_ACCOUNT_ID = accounts[0];
    }
    log(`✓ login: ${who.email ?? who.authType ?? 'logged in'}, account ${childEnv.CLOUDFLARE_ACCOUNT_ID ?? '(chosen by wrangler)'}`);
  });

  // 2. + 3. the D1 database and the queues (both looked up at once)
  const [dbList, queueList] = await Promise.all([
    step('database', async () => parseJsonOutput((await wrangler('database', ['d1', 'list', '--json'])).stdout)),
    step('queues', async () => parseQueueList((await wrangler('queues', ['queues', 'list'])).stdout)),
  ]);
  const databaseId = await step('database', async () => {
    const db = dbList.find((d) => d.name === names.database);
    if (db) {
      log(`✓ database: ${names.database} exists (${db.uuid})`);
      return db.uuid;
    }
    const r = await wrangler('database', ['d1', 'create', names.database]);
    let uuid = r.stdout.match(/database_id\s*=\s*"([0-9a-f-]{36})"/)?.[1] ?? r.stdout.match(/"database_id":\s*"([0-9a-f-]{36})"/)?.[1];
    if (!uuid) {
      const again = parseJsonOutput((await wrangler('database', ['d1', 'list', '--json'])).stdout);
      uuid = again.find((d) => d.name === names.database)?.uuid;
    }
    if (!uuid) throw new StepError('database', `the database ${names.database} was created but its id could not be read`);
    summary.created.push(`D1 database ${names.database}`);
    log(`✓ database: created ${names.database} (${uuid})`);
    return uuid;
  });
  await step('queues', async () => {
    for (const q of names.queues) {
      if (queueList.includes(q)) {
        log(`✓ queue: ${q} exists`);
        continue;
      }
      // `queues list` shows one page: a queue beyond it is found here instead.
      const r = await wrangler('queues', ['queues', 'create', q], { allowFailure: true });
      if (r.code !== 0) {
        if (/already exists|11009/i.test(r.stdout + r.stderr)) {
          log(`✓ queue: ${q} exists`);
          continue;
        }
        throw new StepError('queues', `\`wrangler queues create ${q}\` failed: ${wranglerError(r)}`);
      }
      summary.created.push(`queue ${q}`);
      log(`✓ queue: created ${q}`);
    }
  });

  // 4. the generated config
  await step('config', async () => {
    const text = generateConfig(readFileSync(join(ROOT, 'wrangler.toml'), 'utf8'), envName, databaseId, { outDir: deployDir });
    const old = existsSync(configPath) ? readFileSync(configPath, 'utf8') : '';
    if (old !== text) writeFileSync(configPath, text);
    state.database_id = databaseId;
    saveState();
    log(`✓ config: ${relative(ROOT, configPath)}${old === text ? ' (unchanged)' : ''}`);
  });
  const cfg = ['--config', configPath, '--env', envName];

  // 5. remote migrations (wrangler records the applied ones in the d1_migrations table)
  await step('migrations', async () => {
    const r = await wrangler('migrations', ['d1', 'migrations', 'apply', 'DB', '--remote', ...cfg]);
    const applied = (r.stdout.match(/^\s*[│|]\s*\d{4}_[^\s│|]+\.sql/gm) ?? []).length;
    log(/No migrations to apply/i.test(r.stdout) ? '✓ migrations: none to apply' : `✓ migrations: applied${applied ? ` ${applied}` : ''}`);
  });

  // 6. build (a no-op when the build is current)
  await step('build', async () => {
    const r = await run('bash', ['scripts/build.sh'], { env: childEnv });
    if (r.code !== 0) throw new StepError('build', `scripts/build.sh failed: ${wranglerError(r)}`);
    log('✓ build: build/worker');
  });

  // 7. secrets: the ones the Worker lacks, generated or taken from the shell. They go up
  // with the deploy (--secrets-file), so the new code never runs without them.
  let adminTokenShown;
  let workerExists = true;
  const missing = {};
  let active; // the tag of the deployed version, looked up beside the secrets
  await step('secrets', async () => {
    const [r, tag] = await Promise.all([
      wrangler('secrets', ['secret', 'list', '--format', 'json', ...cfg], { allowFailure: true }),
      activeTag(wrangler, cfg),
    ]);
    active = tag;
    let existing = [];
    if (r.code === 0) existing = parseJsonOutput(r.stdout).map((s) => s.name);
    else if (/not found|does not exist|10007/i.test(r.stdout + r.stderr)) workerExists = false;
    else throw new StepError('secrets', `\`wrangler secret list\` failed: ${wranglerError(r)}`);
    for (const name of GENERATED_SECRETS) {
      if (existing.includes(name)) continue;
      if (name === 'ADMIN_TOKEN') {
        missing[name] = processEnv.PAUSEPOINT_ADMIN_TOKEN || `ppadm_${newSecret(32)}`;
        if (missing[name].length < 32) throw new StepError('secrets', 'PAUSEPOINT_ADMIN_TOKEN must be at least 32 characters');
        if (!processEnv.PAUSEPOINT_ADMIN_TOKEN) adminTokenShown = missing[name];
      } else if (name === 'RECEIPT_SIGNING_KEY') {
        missing[name] = newReceiptKey();
      } else {
        missing[name] = newSecret(32);
      }
    }
    for (const name of PROVIDER_SECRETS) {
      if (!existing.includes(name) && processEnv[name]) missing[name] = processEnv[name];
    }
    const known = existing.filter((n) => [...GENERATED_SECRETS, ...PROVIDER_SECRETS].includes(n));
    log(Object.keys(missing).length
      ? `✓ secrets: to set with the deploy: ${Object.keys(missing).join(', ')}${known.length ? ` (already set: ${known.join(', ')})` : ''}`
      : `✓ secrets: all set (${known.join(', ')})`);
  });
  const adminToken = adminTokenShown ?? processEnv.PAUSEPOINT_ADMIN_TOKEN;

  // 8. deploy, unless the active deployment already carries this build's fingerprint
  let url;
  await step('deploy', async () => {
    const tag = `pp-${fingerprint([join(ROOT, 'build'), join(ROOT, 'static')], readFileSync(configPath, 'utf8'))}`;
    if (workerExists && active === tag && state.url && Object.keys(missing).length === 0) {
      url = state.url;
      log(`✓ deploy: ${names.worker} already runs this build (${tag})`);
      return;
    }
    const args = ['deploy', ...cfg, '--tag', tag, '--message', `make deploy ENV=${envName}`];
    // Through a file readable only by us, removed at once: never on a command line.
    const dir = mkdtempSync(join(tmpdir(), 'pausepoint-secrets-'));
    try {
      if (Object.keys(missing).length) {
        const file = join(dir, 'secrets.json');
        writeFileSync(file, JSON.stringify(missing), { mode: 0o600 });
        args.push('--secrets-file', file);
      }
      const r = await wrangler('deploy', args);
      url = parseDeployUrl(r.stdout) ?? state.url;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    summary.secretsSet = Object.keys(missing);
    state.url = url;
    state.tag = tag;
    saveState();
    summary.deployed = true;
    log(`✓ deploy: ${names.worker} ${url ?? ''} (${tag})`);
    if (adminTokenShown) {
      // Shown this once, right when it is stored: a later step may still fail.
      log('');
      log('  ADMIN_TOKEN (shown this once; keep it in your password manager):');
      log(`    ${adminTokenShown}`);
      log('');
    }
  });

  // 9. smoke test
  if (!skipSmoke) {
    await step('smoke', async () => {
      const base = processEnv.PAUSEPOINT_SMOKE_URL || names.vars.PUBLIC_BASE_URL || url;
      if (!base) throw new StepError('smoke', 'the deployed URL is unknown: set PUBLIC_BASE_URL in [env.' + envName + '.vars] or PAUSEPOINT_SMOKE_URL');
      try {
        await smoke(base, {
          waitSeconds: Number(processEnv.PAUSEPOINT_SMOKE_WAIT_SECONDS ?? 90),
          key: processEnv.PAUSEPOINT_SMOKE_KEY,
          adminToken,
          stateFile: join(deployDir, `${envName}.smoke.json`),
          log,
        });
      } catch (e) {
        if (e instanceof SmokeError) {
          throw new StepError('smoke', `the smoke test of ${base} failed: ${e.message} (the deploy itself finished; \`npx wrangler tail ${cfg.join(' ')}\` shows the Worker's logs; \`node scripts/smoke.mjs ${base}\` repeats the test)`);
        }
        throw e;
      }
      log(`✓ smoke: ${base} answers, a test-mode pause was created and cancelled`);
    });
  }

  summary.url = url;
  summary.adminToken = adminTokenShown;
  summary.configPath = configPath;
  return summary;
}

/// The tag of the version that currently serves all traffic, if any.
async function activeTag(wrangler, cfg) {
  const status = await wrangler('deploy', ['deployments', 'status', '--json', ...cfg], { allowFailure: true });
  if (status.code !== 0) return undefined;
  let versionId;
  try {
    const d = parseJsonOutput(status.stdout);
    const v = d.versions ?? [];
    if (v.length !== 1) return undefined;
    versionId = v[0].version_id;
  } catch {
    return undefined;
  }
  const view = await wrangler('deploy', ['versions', 'view', versionId, '--json', ...cfg], { allowFailure: true });
  if (view.code !== 0) return undefined;
  try {
    return parseJsonOutput(view.stdout).annotations?.['workers/tag'];
  } catch {
    return undefined;
  }
}

function nextSteps(s) {
  const lines = [''];
  lines.push(`PausePoint (${s.env}) is deployed${s.url ? ` at ${s.url}` : ''}.`);
  lines.push(s.created.length ? `Created: ${s.created.join(', ')}.` : 'Nothing had to be created.');
  if (s.secretsSet.length) lines.push(`Secrets set: ${s.secretsSet.join(', ')}.`);
  if (!s.deployed) lines.push('The running version already was this build: nothing was uploaded.');
  const cfg = `--config ${relative(process.cwd(), s.configPath)} --env ${s.env}`;
  lines.push('');
  lines.push('Next:');
  lines.push(`  - create an account:  curl -X POST ${s.url ?? 'https://<worker>'}/admin/accounts -H "Authorization: Bearer $ADMIN_TOKEN" \\`);
  lines.push(`                          -H 'content-type: application/json' -d '{"name":"Acme","plan":"pro"}'`);
  lines.push('  - channels: set the vars in [env.' + s.env + '.vars] of wrangler.toml and export the provider secrets');
  lines.push(`    (${PROVIDER_SECRETS.join(', ')}) before \`make deploy ENV=${s.env}\`, or \`npx wrangler secret put NAME ${cfg}\``);
  lines.push(`  - logs: npx wrangler tail ${cfg}`);
  lines.push(`  - smoke test again: node scripts/smoke.mjs ${s.url ?? '<url>'} --state .wrangler/deploy/${s.env}.smoke.json`);
  lines.push(`  - roll back: npx wrangler rollback ${cfg}   (see docs/operations.md)`);
  return lines.join('\n');
}

async function main(argv) {
  let env = 'production';
  let skipSmoke = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--env') env = argv[++i];
    else if (argv[i].startsWith('--env=')) env = argv[i].slice(6);
    else if (argv[i] === '--skip-smoke') skipSmoke = true;
    else {
      console.error(`unknown argument ${argv[i]}; usage: node scripts/deploy.mjs [--env staging|production] [--skip-smoke]`);
      return 2;
    }
  }
  if (!env) env = 'production';
  console.log(`make deploy: environment ${env}`);
  try {
    const summary = await deploy({ env, skipSmoke });
    console.log(nextSteps(summary));
    return 0;
  } catch (e) {
    if (!(e instanceof StepError)) throw e;
    console.error(`\n✗ deploy stopped at step "${e.step}": ${e.message}`);
    return 1;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
