#!/usr/bin/env node
// Where the CPU of a request goes on this machine (a benchmark, not a test): starts the
// release Worker with `wrangler dev`, drives /healthz, creates and GETs at 16 in flight,
// and reads the CPU time (utime + stime from /proc) spent per request by the workerd that
// runs the Worker and its objects (`worker`), the workerd of wrangler's proxy in front of
// it (`proxy`), wrangler's node process (`node`) and this client. A create's work after its answer (the alarm: audit
// and listing rows, the message to the local outbox) is counted by waiting until workerd
// is idle again after each window. Usage: node scripts/bench-cpu.mjs [--seconds 4]
//   [--build <dir>] (another release build, e.g. the one before issue 14, same bindings)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';

process.env.E2E_MAX_IN_FLIGHT ??= '100000';
const { startService, seedRequest, sleep, ROOT } = await import('../tests/e2e/harness.mjs');
const argAfter = (flag) => { const i = process.argv.indexOf(flag); return i > 0 ? process.argv[i + 1] : null; };
const SECONDS = Number(argAfter('--seconds') ?? 4);
const BUILD = argAfter('--build') && resolve(argAfter('--build'));
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

if (!BUILD) execFileSync('bash', ['scripts/build.sh'], { cwd: ROOT, stdio: 'inherit' });

/// The process tree under `pid`, as pid → command name.
function tree(pid) {
  const kids = new Map();
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch {}
  }
  const out = new Map();
  const walk = (p) => {
    try { out.set(p, readFileSync(`/proc/${p}/comm`, 'utf8').trim()); } catch { return; }
    for (const k of kids.get(p) ?? []) walk(k);
  };
  walk(pid);
  return out;
}

/// What a process of the tree is: the workerd running the Worker and its objects (it
/// has the inspector), the workerd of wrangler's proxy in front of it, or node (wrangler).
function kind(pid, comm) {
  if (!comm.startsWith('workerd')) return 'wrangler';
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--inspector-addr') ? 'workerd' : 'proxy';
}

/// CPU ms so far by process kind (see `kind`) and this client.
function cpu(pids) {
  const by = { workerd: 0, proxy: 0, wrangler: 0, client: 0 };
  for (const [pid, comm] of pids) {
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      by[kind(pid, comm)] += (Number(f[11]) + Number(f[12])) * TICK_MS;
    } catch {}
  }
  const u = process.cpuUsage();
  by.client = (u.user + u.system) / 1000;
  return by;
}

/// Waits until workerd has used no CPU for 500 ms (the alarms after the creates ran).
async function idle(pids) {
  for (let i = 0; i < 60; i++) {
    const a = cpu(pids).workerd;
    await sleep(500);
    if (cpu(pids).workerd - a < 2 * TICK_MS) return;
  }
}

async function window(pids, fn) {
  await idle(pids);
  const t0 = cpu(pids);
  const started = performance.now();
  const until = started + SECONDS * 1000;
  let done = 0, errors = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (performance.now() < until) (await fn()) ? done++ : errors++;
  }));
  const wall = performance.now() - started;
  await idle(pids);
  const t1 = cpu(pids);
  const per = Object.fromEntries(Object.keys(t0).map((k) => [k, (t1[k] - t0[k]) / done]));
  return { rate: (done / wall) * 1000, done, errors, per };
}

let devArgs = [];
let configDir;
if (BUILD) {
  configDir = mkdtempSync(join(tmpdir(), 'pausepoint-cpu-'));
  let toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8')
    .replace('main = "build/worker/shim.mjs"', `main = ${JSON.stringify(join(BUILD, 'worker', 'shim.mjs'))}`)
    .replace('directory = "static"', `directory = ${JSON.stringify(join(ROOT, 'static'))}`)
    .replace('migrations_dir = "migrations"', `migrations_dir = ${JSON.stringify(join(ROOT, 'migrations'))}`);
  writeFileSync(join(configDir, 'wrangler.toml'), toml);
  devArgs = ['--config', join(configDir, 'wrangler.toml')];
}
const svc = await startService({ vars: { D1_SIMULATED_RTT_MS: '0' }, devArgs });
try {
  const pids = tree(svc.child.pid);
  const accts = await Promise.all(Array.from({ length: 16 }, (_, i) => svc.createAccount(`Cpu ${i}`, 'enterprise')));
  await Promise.all(accts.map((a) => svc.request('GET', '/v1/pauses?limit=1', { key: a.live_key })));
  let next = 0;
  const made = [];
  const post = async () => {
    const a = accts[next++ % accts.length];
    const r = await svc.request('POST', '/v1/pause', { key: a.live_key, body: seedRequest() });
    if (r.status === 201 && made.length < 400) made.push({ id: r.json.pause_id, key: a.live_key });
    return r.status === 201;
  };
  for (let i = 0; i < 20; i++) await post();
  const rows = [];
  for (const [name, fn] of [
    ['GET /healthz', async () => (await fetch(`${svc.base}/healthz`).then(async (r) => (await r.arrayBuffer(), r.ok)))],
    ['POST /v1/pause', post],
    ['GET /v1/pause/{id}', async () => {
      const m = made[next++ % made.length];
      return (await svc.request('GET', `/v1/pause/${m.id}`, { key: m.key })).status === 200;
    }],
  ]) {
    const w = await window(pids, fn);
    const total = Object.values(w.per).reduce((a, b) => a + b, 0);
    const cell = (x) => `${x.toFixed(1).padStart(5)} ms`;
    rows.push(`| ${name.padEnd(18)} | ${w.rate.toFixed(0).padStart(4)}/s | ${cell(w.per.workerd)} | ${cell(w.per.proxy)} | ${cell(w.per.wrangler)} | ${cell(w.per.client)} | ${cell(total)} |${w.errors ? ` ${w.errors} errors` : ''}`);
  }
  console.log(`\nCPU per request at 16 in flight (${SECONDS} s windows; ${BUILD ?? 'this build'}; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})\n`);
  console.log('| request            | rate   | worker   | proxy    | node     | client   | total    |');
  console.log('|--------------------|--------|----------|----------|----------|----------|----------|');
  for (const r of rows) console.log(r);
} finally {
  await svc.cleanup();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
}
