// A fake of the Cloudflare API on 127.0.0.1 for the calls wrangler makes during
// `make deploy` (whoami, D1 list/create/query, queues list/create/consumers, Worker
// upload, secrets, versions and deployments, workers.dev subdomain, cron triggers).
// Wrangler is pointed at it with CLOUDFLARE_API_BASE_URL; it speaks the v4 envelope
// ({success, errors, messages, result}). D1 queries run on an in-memory SQLite per
// database (better-sqlite3), so remote migrations really apply.
//
// Every request is recorded in `fake.calls` ({method, path, query, body}); any path it
// does not know is answered 404 with code 7003 and kept in `fake.unknown`, so a new
// wrangler that calls something else fails loudly in the tests.
import http from 'node:http';
import { randomUUID, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';

export const ACCOUNT_ID = '0123456789abcdef0123456789abcdef';
const ok = (result, extra = {}) => ({ success: true, errors: [], messages: [], result, ...extra });
const fail = (code, message) => ({ success: false, errors: [{ code, message }], messages: [], result: null });
const hex = (n) => randomBytes(n).toString('hex');
const now = () => new Date().toISOString();

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

/// The `metadata` part of a multipart Worker upload (a JSON blob).
function multipartPart(buf, contentType, name) {
  const boundary = contentType?.match(/boundary=(?:"([^"]+)"|([^;]+))/)?.slice(1).find(Boolean);
  if (!boundary) return undefined;
  const text = buf.toString('latin1');
  for (const part of text.split(`--${boundary}`)) {
    const [head, ...rest] = part.split('\r\n\r\n');
    if (new RegExp(`name="${name}"`).test(head)) return Buffer.from(rest.join('\r\n\r\n').replace(/\r\n$/, ''), 'latin1').toString('utf8');
  }
  return undefined;
}

export async function startFakeCloudflare({ accounts = [{ id: ACCOUNT_ID, name: 'PausePoint Test' }] } = {}) {
  const fake = {
    calls: [],
    unknown: [],
    databases: new Map(), // uuid -> {uuid, name, created_at, sql: Database}
    queues: new Map(), // id -> {queue_id, queue_name, consumers: [], producers: []}
    scripts: new Map(), // name -> {name, secrets: Map, versions: [], deployments: [], schedules, subdomain, migration_tag, bindings}
    failures: [], // [{method, pattern, status, code, message, times}]
  };

  /// Makes the next `times` requests matching method and path regexp fail.
  fake.failNext = (method, pattern, { status = 500, code = 10013, message = 'An unknown error has occurred', times = 1 } = {}) => {
    fake.failures.push({ method, pattern, status, code, message, times });
  };
  /// The calls that change something (reads through POST, e.g. D1 SELECTs, excluded).
  fake.mutations = () => fake.calls.filter((c) => c.method !== 'GET' && !(c.path.endsWith('/query') && /^\s*(SELECT|PRAGMA)/i.test(c.body?.sql ?? '')));
  fake.reset = () => { fake.calls.length = 0; fake.unknown.length = 0; };
  fake.addQueue = (name) => {
    const q = { queue_id: hex(16), queue_name: name, created_on: now(), modified_on: now(), producers: [], consumers: [], producers_total_count: 0, consumers_total_count: 0 };
    fake.queues.set(q.queue_id, q);
    return q;
  };
  fake.addDatabase = (name) => {
    const db = { uuid: randomUUID(), name, version: 'production', created_at: now(), sql: new Database(':memory:') };
    fake.databases.set(db.uuid, db);
    return db;
  };
  const script = (name) => {
    if (!fake.scripts.has(name)) {
      fake.scripts.set(name, { name, secrets: new Map(), versions: [], deployments: [], schedules: [], subdomain: { enabled: false, previews_enabled: false }, migration_tag: undefined, bindings: [], created_on: now() });
    }
    return fake.scripts.get(name);
  };
  // A new version from an upload's metadata: secrets given are set; as on Cloudflare,
  // an upload never deletes the secrets it does not mention.
  function upload(s, meta) {
    if (meta.migrations?.new_tag) s.migration_tag = meta.migrations.new_tag;
    for (const b of meta.bindings ?? []) if (b.type === 'secret_text') s.secrets.set(b.name, b.text);
    s.bindings = (meta.bindings ?? []).filter((b) => b.type !== 'secret_text' && b.type !== 'inherit');
    s.uploads = (s.uploads ?? 0) + 1;
    const version = {
      id: randomUUID(), number: s.versions.length + 1,
      annotations: { 'workers/triggered_by': 'upload', ...(meta.annotations ?? {}) },
      metadata: { author_email: 'ops@example.invalid', source: 'wrangler', created_on: now(), modified_on: now() },
      resources: { bindings: s.bindings, script: { etag: hex(16), handlers: ['fetch', 'scheduled', 'queue'], last_deployed_from: 'wrangler' }, script_runtime: { compatibility_date: meta.compatibility_date, compatibility_flags: [], usage_model: 'standard' } },
      startup_time_ms: 5,
    };
    s.versions.push(version);
    return version;
  }
  function deployVersion(s, versionId, triggeredBy, annotations = {}) {
    const d = { id: randomUUID(), source: 'wrangler', strategy: 'percentage', author_email: 'ops@example.invalid', created_on: now(), annotations: { 'workers/triggered_by': triggeredBy, ...annotations }, versions: [{ version_id: versionId, percentage: 100 }] };
    s.deployments.unshift(d);
    return d;
  }
  const dbJson = (d) => ({ uuid: d.uuid, name: d.name, version: d.version, created_at: d.created_at, num_tables: 0, file_size: 0, read_replication: { mode: 'disabled' } });
  const queueJson = (q) => ({ ...q, producers_total_count: q.producers.length, consumers_total_count: q.consumers.length });

  // Runs SQL as D1's /query does: one result object per statement.
  function d1Query(db, sql, params = []) {
    const results = [];
    // Statements are split on `;` at line ends (our migrations, wrangler's own SQL); a
    // trigger body keeps its inner `;` because they are followed by more of the body.
    const statements = splitSql(sql);
    const run = db.sql.transaction(() => {
      for (const s of statements) {
        const st = db.sql.prepare(s);
        const start = Date.now();
        if (st.reader) {
          const rows = st.all(...(statements.length === 1 ? params : []));
          results.push({ results: rows, success: true, meta: { duration: Date.now() - start, changes: 0, rows_read: rows.length, rows_written: 0, served_by: 'fake', last_row_id: 0, changed_db: false, size_after: 0 } });
        } else {
          const info = st.run(...(statements.length === 1 ? params : []));
          results.push({ results: [], success: true, meta: { duration: Date.now() - start, changes: info.changes, rows_read: 0, rows_written: info.changes, served_by: 'fake', last_row_id: Number(info.lastInsertRowid), changed_db: info.changes > 0, size_after: 0 } });
        }
      }
    });
    run();
    return results;
  }

  const routes = [
    // whoami
    ['GET', /^\/user$/, () => ok({ id: hex(16), email: 'ops@example.invalid' })],
    ['GET', /^\/user\/tokens\/verify$/, () => ok({ id: hex(16), status: 'active' })],
    ['GET', /^\/memberships$/, () => ok(accounts.map((a) => ({ id: hex(16), account: a, status: 'accepted', permissions: {} })), { result_info: { page: 1, per_page: 50, count: accounts.length, total_count: accounts.length, total_pages: 1 } })],
    ['GET', /^\/accounts$/, () => ok(accounts, { result_info: { page: 1, per_page: 50, count: accounts.length, total_count: accounts.length, total_pages: 1 } })],
    ['GET', /^\/accounts\/([^/]+)$/, (m) => ok(accounts.find((a) => a.id === m[1]))],
    // D1
    ['GET', /^\/accounts\/[^/]+\/d1\/database$/, (m, q) => {
      const all = [...fake.databases.values()].filter((d) => !q.get('name') || d.name === q.get('name')).map(dbJson);
      const page = Number(q.get('page') ?? 1);
      const per = Number(q.get('per_page') ?? 10000);
      const slice = all.slice((page - 1) * per, page * per);
      return ok(slice, { result_info: { page, per_page: per, count: slice.length, total_count: all.length } });
    }],
    ['POST', /^\/accounts\/[^/]+\/d1\/database$/, (m, q, body) => {
      if ([...fake.databases.values()].some((d) => d.name === body.name)) return [400, fail(7502, `A database with that name already exists.`)];
      return ok(dbJson(fake.addDatabase(body.name)));
    }],
    ['GET', /^\/accounts\/[^/]+\/d1\/database\/([^/]+)$/, (m) => {
      const db = fake.databases.get(m[1]);
      return db ? ok(dbJson(db)) : [404, fail(7404, 'The database could not be found.')];
    }],
    ['POST', /^\/accounts\/[^/]+\/d1\/database\/([^/]+)\/(query|raw)$/, (m, q, body) => {
      const db = fake.databases.get(m[1]);
      if (!db) return [404, fail(7404, 'The database could not be found.')];
      try {
        const res = d1Query(db, body.sql, body.params);
        if (m[2] === 'raw') return ok(res.map((r) => ({ ...r, results: { columns: Object.keys(r.results[0] ?? {}), rows: r.results.map((x) => Object.values(x)) } })));
        return ok(res);
      } catch (e) {
        return [400, fail(7500, `${e.message}: SQLITE_ERROR`)];
      }
    }],
    // Queues
    ['GET', /^\/accounts\/[^/]+\/queues$/, (m, q) => {
      const names = q.getAll('name');
      const all = [...fake.queues.values()].filter((x) => names.length === 0 || names.includes(x.queue_name)).map(queueJson);
      const page = Number(q.get('page') ?? 1);
      const per = Number(q.get('per_page') ?? 100);
      const slice = all.slice((page - 1) * per, page * per);
      return ok(slice, { result_info: { page, per_page: per, count: slice.length, total_count: all.length, total_pages: Math.max(1, Math.ceil(all.length / per)) } });
    }],
    ['POST', /^\/accounts\/[^/]+\/queues$/, (m, q, body) => {
      if ([...fake.queues.values()].some((x) => x.queue_name === body.queue_name)) return [409, fail(11009, 'A queue with this name already exists')];
      return ok(queueJson(fake.addQueue(body.queue_name)));
    }],
    ['GET', /^\/accounts\/[^/]+\/queues\/([^/]+)$/, (m) => {
      const x = fake.queues.get(m[1]);
      return x ? ok(queueJson(x)) : [404, fail(11000, 'Queue does not exist')];
    }],
    ['POST', /^\/accounts\/[^/]+\/queues\/([^/]+)\/consumers$/, (m, q, body) => {
      const x = fake.queues.get(m[1]);
      if (!x) return [404, fail(11000, 'Queue does not exist')];
      const c = { consumer_id: hex(16), type: 'worker', script: body.script_name, script_name: body.script_name, settings: body.settings ?? {}, dead_letter_queue: body.dead_letter_queue, created_on: now() };
      x.consumers = x.consumers.filter((y) => y.script_name !== body.script_name).concat(c);
      return ok(c);
    }],
    ['PUT', /^\/accounts\/[^/]+\/queues\/([^/]+)\/consumers\/([^/]+)$/, (m, q, body) => {
      const x = fake.queues.get(m[1]);
      const c = x?.consumers.find((y) => y.consumer_id === m[2] || y.script_name === m[2]);
      if (!c) return [404, fail(11000, 'Consumer does not exist')];
      Object.assign(c, { settings: body.settings ?? c.settings, dead_letter_queue: body.dead_letter_queue });
      return ok(c);
    }],
    // Workers: the upload, its settings and secrets, versions and deployments
    ['GET', /^\/accounts\/[^/]+\/workers\/services\/([^/]+)$/, (m) => {
      const s = fake.scripts.get(m[1]);
      if (!s) return [404, fail(10090, 'This Worker does not exist on your account.')];
      return ok({ id: s.name, default_environment: { environment: 'production', created_on: s.created_on, modified_on: now(), script: { id: s.name, tag: hex(16), etag: hex(16), handlers: ['fetch'], migration_tag: s.migration_tag, last_deployed_from: 'wrangler', created_on: s.created_on, modified_on: now() } }, created_on: s.created_on, modified_on: now(), environments: [] });
    }],
    ['GET', /^\/accounts\/[^/]+\/workers\/scripts$/, () => ok([...fake.scripts.values()].map((s) => ({ id: s.name, migration_tag: s.migration_tag, created_on: s.created_on, modified_on: now(), handlers: ['fetch'], has_assets: true, has_modules: true })))],
    ['PUT', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)$/, (m, q, body, raw, req) => {
      const s = script(m[1]);
      const version = upload(s, JSON.parse(multipartPart(raw, req.headers['content-type'], 'metadata') ?? '{}'));
      deployVersion(s, version.id, 'upload');
      return ok({ id: s.name, etag: version.resources.script.etag, handlers: ['fetch', 'scheduled', 'queue'], created_on: s.created_on, modified_on: now(), migration_tag: s.migration_tag, usage_model: 'standard', available_on_subdomain: s.subdomain.enabled, deployment_id: s.deployments[0].id, startup_time_ms: 5, entry_point: 'shim.mjs', has_assets: true, has_modules: true });
    }],
    // The versions API, which wrangler uses once the Worker exists.
    ['POST', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/versions$/, (m, q, body, raw, req) => {
      const s = fake.scripts.get(m[1]);
      if (!s) return [404, fail(10007, 'This Worker does not exist on your account.')];
      return ok(upload(s, JSON.parse(multipartPart(raw, req.headers['content-type'], 'metadata') ?? '{}')));
    }],
    ['POST', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/deployments$/, (m, q, body) => {
      const s = fake.scripts.get(m[1]);
      if (!s) return [404, fail(10007, 'This Worker does not exist on your account.')];
      const v = body?.versions?.[0];
      if (!v || !s.versions.some((x) => x.id === v.version_id)) return [400, fail(10215, 'Unknown version')];
      return ok(deployVersion(s, v.version_id, 'deployment', body.annotations));
    }],
    ['PATCH', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/script-settings$/, (m, q, body) => {
      const s = fake.scripts.get(m[1]);
      if (!s) return [404, fail(10007, 'This Worker does not exist on your account.')];
      s.tags = body?.tags ?? s.tags;
      return ok({ tags: s.tags, logpush: false, tail_consumers: [], observability: { enabled: true } });
    }],
    ['POST', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/assets-upload-session$/, () => ok({ jwt: `fake-jwt-${hex(8)}`, buckets: [] })],
    ['GET', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/secrets$/, (m) => {
      const s = fake.scripts.get(m[1]);
      if (!s) return [404, fail(10007, 'This Worker does not exist on your account.')];
      return ok([...s.secrets.keys()].map((name) => ({ name, type: 'secret_text' })));
    }],
    ['PUT', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/secrets$/, (m, q, body) => {
      const s = fake.scripts.get(m[1]);
      if (!s) return [404, fail(10007, 'This Worker does not exist on your account.')];
      s.secrets.set(body.name, body.text);
      return ok({ name: body.name, type: 'secret_text' });
    }],
    ['GET', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/settings$/, (m) => {
      const s = fake.scripts.get(m[1]);
      if (!s) return [404, fail(10007, 'This Worker does not exist on your account.')];
      return ok({ bindings: [...s.bindings.filter((b) => b.type !== 'secret_text'), ...[...s.secrets.keys()].map((name) => ({ type: 'secret_text', name }))], compatibility_date: '2025-09-01', compatibility_flags: [], placement: {}, tags: [], tail_consumers: [], logpush: false, observability: { enabled: true } });
    }],
    ['PATCH', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/settings$/, (m, q, body, raw, req) => {
      const s = fake.scripts.get(m[1]);
      if (!s) return [404, fail(10007, 'This Worker does not exist on your account.')];
      const settings = JSON.parse(multipartPart(raw, req.headers['content-type'], 'settings') ?? '{}');
      for (const b of settings.bindings ?? []) if (b.type === 'secret_text' && b.text !== undefined) s.secrets.set(b.name, b.text);
      const version = upload(s, { keep_bindings: ['secret_text'], bindings: [...s.bindings, ...[...s.secrets].map(([name, text]) => ({ type: 'secret_text', name, text }))] });
      version.annotations['workers/triggered_by'] = 'secret';
      deployVersion(s, version.id, 'secret');
      return ok({ bindings: settings.bindings });
    }],
    ['GET', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/deployments$/, (m) => {
      const s = fake.scripts.get(m[1]);
      if (!s) return [404, fail(10007, 'This Worker does not exist on your account.')];
      return ok({ deployments: s.deployments });
    }],
    ['GET', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/versions\/([^/]+)$/, (m) => {
      const v = fake.scripts.get(m[1])?.versions.find((x) => x.id === m[2]);
      if (!v) return [404, fail(10007, 'This version does not exist.')];
      return ok(v);
    }],
    ['GET', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/versions$/, (m) => {
      const s = fake.scripts.get(m[1]);
      return ok({ items: [...(s?.versions ?? [])].reverse() });
    }],
    ['PUT', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/schedules$/, (m, q, body) => {
      const s = script(m[1]);
      s.schedules = Array.isArray(body) ? body : [];
      return ok({ schedules: s.schedules });
    }],
    ['GET', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/schedules$/, (m) => ok({ schedules: fake.scripts.get(m[1])?.schedules ?? [] })],
    ['GET', /^\/accounts\/[^/]+\/workers\/subdomain$/, () => ok({ subdomain: 'pausepoint-fake' })],
    ['GET', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/subdomain$/, (m) => ok(script(m[1]).subdomain)],
    ['POST', /^\/accounts\/[^/]+\/workers\/scripts\/([^/]+)\/subdomain$/, (m, q, body) => {
      const s = script(m[1]);
      s.subdomain = { enabled: body.enabled ?? true, previews_enabled: body.previews_enabled ?? s.subdomain.previews_enabled };
      return ok(s.subdomain);
    }],
    ['GET', /^\/accounts\/[^/]+\/workers\/durable_objects\/namespaces$/, () => ok([])],
  ];

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const path = url.pathname.replace(/^\/client\/v4/, '').replace(/\/+$/, '');
    const raw = await readBody(req);
    let body;
    if (!(req.headers['content-type'] ?? '').includes('multipart')) {
      try { body = JSON.parse(raw.toString('utf8') || 'null'); } catch {}
    }
    const call = { method: req.method, path, query: Object.fromEntries(url.searchParams), body };
    fake.calls.push(call);
    const send = (status, payload) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const failure = fake.failures.find((f) => f.method === req.method && f.pattern.test(path) && f.times > 0);
    if (failure) {
      failure.times--;
      call.failed = true;
      return send(failure.status, fail(failure.code, failure.message));
    }
    for (const [method, re, handler] of routes) {
      const m = req.method === method && path.match(re);
      if (!m) continue;
      try {
        const out = await handler(m, url.searchParams, body, raw, req);
        return Array.isArray(out) ? send(out[0], out[1]) : send(200, out);
      } catch (e) {
        return send(500, fail(10000, `fake: ${e.stack}`));
      }
    }
    fake.unknown.push(call);
    send(404, fail(7003, `fake Cloudflare API: no route for ${req.method} ${path}`));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  fake.port = server.address().port;
  fake.apiBase = `http://127.0.0.1:${fake.port}/client/v4`;
  fake.close = () => new Promise((r) => server.close(r));
  return fake;
}

/// Splits SQL into statements at `;` that end a line outside a trigger body.
export function splitSql(sql) {
  const out = [];
  let cur = '';
  let depth = 0; // inside CREATE TRIGGER … BEGIN … END
  for (const line of sql.split('\n')) {
    const code = line.replace(/--.*$/, '');
    if (/\bBEGIN\b/i.test(code) && /\bTRIGGER\b/i.test(cur + code)) depth++;
    cur += line + '\n';
    if (depth > 0 && /^\s*END\s*;\s*$/i.test(code)) {
      depth--;
      if (depth === 0) { out.push(cur.trim()); cur = ''; }
      continue;
    }
    if (depth === 0 && /;\s*$/.test(code)) {
      out.push(cur.trim());
      cur = '';
    }
  }
  if (cur.trim()) out.push(cur.trim());
  return out.map((s) => s.replace(/;\s*$/, '')).filter((s) => s.replace(/--.*$/gm, '').trim());
}
