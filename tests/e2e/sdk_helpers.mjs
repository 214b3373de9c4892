// Shared by the SDK tests: the SDK's Python (a virtualenv made by scripts/setup.sh) and
// the TypeScript package's build. A missing tool fails the test, it never skips it.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.mjs';

export const SDK_PYTHON = join(ROOT, '.venv-sdk', 'bin', 'python');
export const CREWAI_PYTHON = join(ROOT, '.venv-crewai', 'bin', 'python');
export const SDK_TS = join(ROOT, 'sdk', 'typescript');

/// Runs a virtualenv's Python with extra env; resolves { code, out } (stdout and stderr).
export function runPython(python, args, env = {}, { timeoutMs = 240_000 } = {}) {
  if (!existsSync(python)) throw new Error(`${python} is missing: run scripts/setup.sh`);
  return new Promise((resolve) => {
    const child = spawn(python, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/// Builds sdk/typescript with its own tsc (a devDependency) once per process.
let built = false;
export function buildTypeScript() {
  if (built) return;
  const tsc = join(SDK_TS, 'node_modules', '.bin', 'tsc');
  if (!existsSync(tsc)) throw new Error(`${tsc} is missing: run scripts/setup.sh`);
  execFileSync(tsc, ['-p', join(SDK_TS, 'tsconfig.json')], { cwd: SDK_TS, stdio: 'pipe' });
  built = true;
}

/// A 127.0.0.1 proxy in front of the service. `faults` is consumed one per request:
/// [status, retryAfter] answers that status (with Retry-After unless null) instead of
/// forwarding; 'drop' destroys the connection without an answer; the rest is forwarded.
/// `seen` records { at, method, url, idempotencyKey } of every request.
export async function faultProxy(upstream) {
  const http = await import('node:http');
  const proxy = { faults: [], seen: [], url: '' };
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    proxy.seen.push({ at: performance.now(), method: req.method, url: req.url, idempotencyKey: req.headers['idempotency-key'] });
    const fault = proxy.faults.shift();
    if (fault === 'drop') return req.socket.destroy();
    if (fault) {
      const [status, after] = fault;
      const body = JSON.stringify({ error: { type: 'api_error', code: 'injected', message: 'injected by the test proxy', param: null, request_id: 'req_proxy' } });
      return res.writeHead(status, { 'content-type': 'application/json', ...(after === null ? {} : { 'retry-after': String(after) }) }).end(body);
    }
    const headers = { ...req.headers };
    delete headers.host;
    delete headers['content-length'];
    delete headers.connection;
    const r = await fetch(upstream + req.url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined, redirect: 'manual' });
    const out = {};
    r.headers.forEach((v, k) => { if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)) out[k] = v; });
    res.writeHead(r.status, out).end(Buffer.from(await r.arrayBuffer()));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  proxy.url = `http://127.0.0.1:${server.address().port}`;
  proxy.close = () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); });
  return proxy;
}

/// A 127.0.0.1 webhook endpoint keeping each request's raw body and headers.
export async function webhookReceiver() {
  const http = await import('node:http');
  const rec = { got: [], url: '' };
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    rec.got.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
    res.writeHead(200).end('ok');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  rec.url = `http://127.0.0.1:${server.address().port}/hook`;
  rec.close = () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); });
  return rec;
}
