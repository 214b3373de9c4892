// Upgrades: every migration applies cleanly on a copy of the previous schema holding
// data, and the data survives. For each k: apply 0001..k to an empty database, put
// representative rows in every table (generated from the schema itself, so migrations
// added later are covered without touching this file), apply k+1, then check that
// every row is still there with the same values in the columns both schemas share.
// SQLite through better-sqlite3, with foreign keys enforced as D1 does.
//
// A migration that drops a table or a column on purpose (the "contract" half of an
// expand/contract change, see docs/operations.md) lists it in CONTRACTED below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ROOT } from './harness.mjs';

const DIR = join(ROOT, 'migrations');
const FILES = readdirSync(DIR).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort();

/// Tables or `table.column`s a migration removes on purpose: { '0009_x.sql': ['old_table', 'pauses.old_col'] }.
const CONTRACTED = {};

function open() {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  return db;
}
const apply = (db, file) => db.exec(readFileSync(join(DIR, file), 'utf8'));

function tables(db) {
  return db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name").all();
}
const columns = (db, t) => db.prepare(`PRAGMA table_info("${t}")`).all();
const foreignKeys = (db, t) => db.prepare(`PRAGMA foreign_key_list("${t}")`).all();

/// Parents before children, so a foreign key finds its row.
function ordered(db) {
  const all = tables(db).map((t) => t.name);
  const out = [];
  const visit = (t, seen = new Set()) => {
    if (out.includes(t) || seen.has(t)) return;
    seen.add(t);
    for (const fk of foreignKeys(db, t)) if (fk.table !== t && all.includes(fk.table)) visit(fk.table, seen);
    out.push(t);
  };
  all.forEach((t) => visit(t));
  return out;
}

/// A plausible value for a column: a value its CHECK allows, JSON where the service keeps
/// JSON, milliseconds for times, the parent's key for a foreign key.
function value(db, table, col, sql, row, k) {
  const fk = foreignKeys(db, table).find((f) => f.from === col.name);
  if (fk) {
    const parent = db.prepare(`SELECT "${fk.to ?? 'rowid'}" AS v FROM "${fk.table}" LIMIT 1 OFFSET ?`).get(row) ?? db.prepare(`SELECT "${fk.to ?? 'rowid'}" AS v FROM "${fk.table}" LIMIT 1`).get();
    if (parent) return parent.v;
  }
  const check = sql.match(new RegExp(`\\b${col.name}\\b[^,]*?CHECK\\s*\\(\\s*${col.name}\\s+IN\\s*\\(([^)]*)\\)`, 'i'));
  if (check) {
    const options = [...check[1].matchAll(/'([^']*)'/g)].map((m) => m[1]);
    return options[row % options.length];
  }
  const type = (col.type || '').toUpperCase();
  const name = col.name.toLowerCase();
  if (type.includes('INT')) {
    if (/(^|_)at$|_ms$|time/.test(name)) return 1_790_000_000_000 + row * 1000 + k;
    if (name === 'livemode') return row % 2;
    return 1 + row;
  }
  if (type.includes('REAL')) return 1.5 + row;
  if (type.includes('BLOB')) return Buffer.from([1, 2, row]);
  if (/^(doc|body|payload|context|metadata|data|.*_json)$/.test(name)) {
    return JSON.stringify({ id: `pp_seed${row}`, status: 'pending', livemode: row % 2 === 0, data: { livemode: row % 2 === 0 }, type: 'pause.created' });
  }
  if (/(^|_)at$|_time$/.test(name)) return new Date(1_790_000_000_000 + row * 1000).toISOString();
  if (name === 'period') return `2026-${String(10 + row).padStart(2, '0')}`;
  if (name === 'status') return 'pending';
  if (name === 'mode') return row % 2 ? 'test' : 'live';
  if (name === 'plan') return 'pro';
  return `${table}-${name}-${row}-${k}`;
}

/// Two rows in every table; returns what each table holds afterwards.
function seed(db, k) {
  for (const table of ordered(db)) {
    const sql = db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").get(table).sql;
    const cols = columns(db, table);
    for (let row = 0; row < 2; row++) {
      const names = cols.map((c) => `"${c.name}"`).join(', ');
      const vals = cols.map((c) => value(db, table, c, sql, row, k));
      db.prepare(`INSERT OR IGNORE INTO "${table}" (${names}) VALUES (${cols.map(() => '?').join(', ')})`).run(...vals);
    }
    const n = db.prepare(`SELECT count(*) AS n FROM "${table}"`).get().n;
    assert.ok(n > 0, `could not put a row in ${table} after ${FILES[k - 1]}: extend value() in tests/e2e/migrations.test.mjs for its constraints`);
  }
  return snapshot(db);
}

function snapshot(db) {
  const out = {};
  for (const { name } of tables(db)) out[name] = { columns: columns(db, name).map((c) => c.name), rows: db.prepare(`SELECT * FROM "${name}"`).all() };
  return out;
}

test('migration numbers are unique (wrangler applies them in file-name order)', () => {
  assert.ok(FILES.length >= 1);
  const numbers = FILES.map((f) => f.slice(0, 4));
  assert.deepEqual(numbers, [...new Set(numbers)], `two migrations share a number: ${FILES.join(', ')}`);
});

test('all migrations apply to an empty database', () => {
  const db = open();
  for (const f of FILES) assert.doesNotThrow(() => apply(db, f), f);
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  db.close();
});

for (let k = 1; k < FILES.length; k++) {
  const next = FILES[k];
  test(`${next} applies on the schema of ${FILES[k - 1]} holding data, and keeps it`, () => {
    const db = open();
    for (const f of FILES.slice(0, k)) apply(db, f);
    const before = seed(db, k);
    assert.doesNotThrow(() => apply(db, next), `${next} failed on a database holding data`);
    const after = snapshot(db);
    const contracted = CONTRACTED[next] ?? [];
    for (const [table, { columns: oldCols, rows }] of Object.entries(before)) {
      if (contracted.includes(table)) continue;
      assert.ok(after[table], `${next} dropped the table ${table} (list it in CONTRACTED if that is the contract step)`);
      const shared = oldCols.filter((c) => after[table].columns.includes(c) && !contracted.includes(`${table}.${c}`));
      const dropped = oldCols.filter((c) => !after[table].columns.includes(c) && !contracted.includes(`${table}.${c}`));
      assert.deepEqual(dropped, [], `${next} dropped columns of ${table} (list them in CONTRACTED if that is the contract step)`);
      const key = (r) => JSON.stringify(shared.map((c) => (Buffer.isBuffer(r[c]) ? r[c].toString('hex') : r[c])));
      const have = new Set(after[table].rows.map(key));
      for (const r of rows) assert.ok(have.has(key(r)), `${next} lost or changed a row of ${table}: ${key(r)}`);
    }
    assert.deepEqual(db.pragma('foreign_key_check'), [], `${next} left rows whose foreign key points nowhere`);
    db.close();
  });
}
