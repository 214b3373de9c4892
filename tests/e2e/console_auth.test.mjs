// The console's sign-up, sign-in, sessions, CSRF and team over plain HTTP, against the
// real Worker: links come from the local outbox (GET /dev/outbox), as a person's
// email would bring them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startService, choose, eventually, sleep } from './harness.mjs';

let svc;
before(async () => { svc = await startService(); });
after(async () => { await svc?.cleanup(); });

let ipCounter = 0;
const freshIp = () => `198.51.100.${++ipCounter}`;
const form = (o) => new URLSearchParams(o).toString();

/// A browser-like client: keeps the session cookie, sends our Origin on POSTs.
function client(ip = freshIp()) {
  const c = { cookie: '', ip };
  c.req = async (method, path, { body, headers = {} } = {}) => {
    const h = { 'cf-connecting-ip': c.ip, ...headers };
    if (c.cookie) h.cookie = c.cookie;
    if (body !== undefined) {
      h['content-type'] = 'application/x-www-form-urlencoded';
      h.origin ??= svc.base;
    }
    const r = await svc.request(method, path, { raw: body, headers: h });
    const set = r.headers.get('set-cookie');
    if (set) {
      const m = /pp_session=([^;]*)/.exec(set);
      c.cookie = m && m[1] ? `pp_session=${m[1]}` : '';
      c.setCookie = set;
    }
    return r;
  };
  c.post = (path, fields, opts = {}) => c.req('POST', path, { ...opts, body: form(fields) });
  c.csrf = async () => {
    const r = await c.req('GET', '/console');
    const m = /name="csrf" value="([0-9a-f]+)"/.exec(r.text);
    assert.ok(m, `a csrf field on the home page (${r.status})`);
    return m[1];
  };
  return c;
}

const seen = new Set();
/// The newest console email to `email` not read before: its link.
async function mailTo(email) {
  const link = await eventually(async () => {
    const r = await svc.request('GET', '/dev/outbox');
    const row = r.json.data.find((m) => m.recipient === email && m.pause_id.startsWith('mail_') && !seen.has(m.link));
    return row?.link;
  }, { timeoutMs: 15_000 });
  assert.ok(link, `an email to ${email} in the outbox`);
  seen.add(link);
  return new URL(link).pathname;
}
async function noMailTo(email) {
  await sleep(1500); // the email goes out after the response
  const r = await svc.request('GET', '/dev/outbox');
  return !r.json.data.some((m) => m.recipient === email && !seen.has(m.link));
}

async function signUp(email, team) {
  const c = client();
  const r = await c.post('/console/sign-up', { email, team });
  assert.equal(r.status, 200, r.text);
  assert.match(r.text, /Check your email/);
  const path = await mailTo(email);
  const open = await c.req('GET', path);
  assert.equal(open.status, 200);
  assert.match(open.text, /Create my team/);
  const first = await c.post(path, {});
  assert.equal(first.status, 200, first.text);
  const live = /id="live-key">(pp_live_[0-9a-f]{40})</.exec(first.text)?.[1];
  const testKey = /id="test-key">(pp_test_[0-9a-f]{40})</.exec(first.text)?.[1];
  assert.ok(live && testKey, 'both keys on the first screen');
  return { c, path, first, live, testKey };
}

test('sign up: magic link from the outbox, first screen with the keys once, a Free account that works', async () => {
  const { c, path, first, live } = await signUp('ada@example.invalid', 'Analytical Engines');
  assert.match(first.headers.get('content-security-policy'), /default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'/);
  assert.ok(first.text.includes(`Bearer ${live}`), 'the quick start has the live key filled in');
  // Cookie flags: HttpOnly, SameSite=Lax, Path=/console; no Secure in local mode (http).
  assert.match(c.setCookie, /^pp_session=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; SameSite=Lax; Max-Age=604800$/);
  // The keys are not shown again.
  const home = await c.req('GET', '/console');
  assert.equal(home.status, 200);
  assert.ok(!home.text.includes(live) && home.text.includes('$PAUSEPOINT_KEY'));
  assert.match(home.text, /Analytical Engines/);
  // The same account code as /admin/accounts: Free plan, named, with the keys.
  const acct = await svc.request('GET', '/v1/account', { key: live });
  assert.equal(acct.status, 200);
  assert.deepEqual([acct.json.name, acct.json.plan], ['Analytical Engines', 'free']);
  // Reused: refused with a clear page, opened or confirmed.
  for (const method of ['GET', 'POST']) {
    const again = await client().req(method, path, method === 'POST' ? { body: '' } : {});
    assert.equal(again.status, 410, method);
    assert.match(again.text, /already used/);
  }
  // Unknown and malformed links.
  assert.equal((await client().req('GET', '/console/link/' + 'A'.repeat(43))).status, 404);
  assert.equal((await client().req('GET', '/console/link/%3Cscript%3E')).status, 404);
  // Without a session the console sends you to sign in.
  const anon = await client().req('GET', '/console');
  assert.equal(anon.status, 303);
  assert.equal(anon.headers.get('location'), '/console/sign-in');
});

test('an expired link is refused with a clear page', async () => {
  const short = await startService({ vars: { CONSOLE_LINK_TTL_SECONDS: '1' } });
  try {
    const r = await short.request('POST', '/console/sign-up', {
      raw: form({ email: 'late@example.invalid', team: 'Late' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: short.base },
    });
    assert.equal(r.status, 200);
    const link = await eventually(async () => (await short.request('GET', '/dev/outbox')).json.data[0]?.link);
    await sleep(1500);
    const path = new URL(link).pathname;
    const opened = await short.request('GET', path);
    assert.equal(opened.status, 410);
    assert.match(opened.text, /expired/);
    const confirmed = await short.request('POST', path, { raw: '', headers: { origin: short.base } });
    assert.equal(confirmed.status, 410);
    assert.match(confirmed.text, /This link has expired/);
    assert.ok(!confirmed.headers.get('set-cookie'), 'no session');
  } finally {
    await short.cleanup();
  }
});

test('sign-in looks the same for an unknown address; only a member gets the email', async () => {
  await signUp('grace@example.invalid', 'Compilers');
  const ask = async (email) => {
    const r = await client().post('/console/sign-in', { email });
    const headers = [...r.headers.keys()].filter((k) => !['date', 'request-id'].includes(k)).sort();
    return { status: r.status, body: r.text.replaceAll(email, 'EMAIL'), headers };
  };
  const known = await ask('grace@example.invalid');
  const unknown = await ask('nobody@example.invalid');
  assert.equal(known.status, 200);
  assert.deepEqual(unknown, known);
  assert.ok(await noMailTo('nobody@example.invalid'), 'no email to an address without an account');
  const path = await mailTo('grace@example.invalid');
  const c = client();
  const r = await c.post(path, {});
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/console');
  assert.equal((await c.req('GET', '/console')).status, 200);
  // Sign out ends the session on the server, not only the cookie.
  const cookie = c.cookie;
  const out = await c.post('/console/sign-out', { csrf: await c.csrf() });
  assert.equal(out.status, 303);
  assert.match(c.setCookie, /Max-Age=0/);
  c.cookie = cookie;
  assert.equal((await c.req('GET', '/console')).status, 303);
});

test('CSRF: refused without the token, with a foreign Origin, or cross-site', async () => {
  const { c } = await signUp('csrf@example.invalid', 'Guarded');
  const csrf = await c.csrf();
  const invite = (fields, headers) => c.post('/console/team/invite', fields, { headers });
  const body = { email: 'x@example.invalid', role: 'viewer' };
  assert.equal((await invite(body)).status, 403, 'no token');
  assert.equal((await invite({ ...body, csrf: 'f'.repeat(64) })).status, 403, 'a wrong token');
  assert.equal((await invite({ ...body, csrf }, { origin: 'https://evil.invalid' })).status, 403, 'foreign Origin');
  assert.equal((await invite({ ...body, csrf }, { 'sec-fetch-site': 'cross-site' })).status, 403, 'cross-site');
  const other = await signUp('csrf2@example.invalid', 'Other');
  assert.equal((await invite({ ...body, csrf: await other.c.csrf() })).status, 403, 'another session\'s token');
  // Pre-session forms check the Origin too (login CSRF).
  const foreign = await client().post('/console/sign-in', { email: 'csrf@example.invalid' }, { headers: { origin: 'https://evil.invalid' } });
  assert.equal(foreign.status, 403);
  // Nothing was invited by the refused requests; the right one works.
  const team = await c.req('GET', '/console/team');
  assert.ok(!team.text.includes('x@example.invalid'));
  const ok = await invite({ ...body, csrf });
  assert.equal(ok.status, 303);
  assert.match((await c.req('GET', '/console/team?done=invited')).text, /x@example\.invalid as viewer/);
});

test('link requests are rate-limited per address and per client', async () => {
  const statuses = [];
  for (let i = 0; i < 11; i++) statuses.push((await client().post('/console/sign-in', { email: 'flood@example.invalid' })).status);
  assert.deepEqual(statuses.slice(0, 10), Array(10).fill(200));
  assert.equal(statuses[10], 429);
  const one = client();
  const fromOne = [];
  for (let i = 0; i < 11; i++) fromOne.push((await one.post('/console/sign-up', { email: `f${i}@example.invalid`, team: 'F' })).status);
  assert.deepEqual(fromOne.slice(0, 10), Array(10).fill(200));
  assert.equal(fromOne[10], 429);
});

test('team: invite a viewer, who can look but not manage; removal ends their session; all audited', async () => {
  const { c: owner, live } = await signUp('owner@example.invalid', 'Team Test');
  const r = await owner.post('/console/team/invite', { email: 'viewer@example.invalid', role: 'viewer', csrf: await owner.csrf() });
  assert.equal(r.status, 303);
  const path = await mailTo('viewer@example.invalid');
  const viewer = client();
  assert.match((await viewer.req('GET', path)).text, /Join/);
  const joined = await viewer.post(path, {});
  assert.equal(joined.status, 303);
  const team = await viewer.req('GET', '/console/team');
  assert.equal(team.status, 200);
  assert.match(team.text, /owner@example\.invalid<\/td><td>owner/);
  assert.match(team.text, /viewer@example\.invalid<\/td><td>viewer/);
  assert.ok(!team.text.includes('/console/team/invite'), 'no invite form for a viewer');
  const vcsrf = await viewer.csrf();
  // The server refuses what the page does not offer.
  assert.equal((await viewer.post('/console/team/invite', { email: 'z@example.invalid', role: 'admin', csrf: vcsrf })).status, 403);
  assert.equal((await viewer.post('/console/test-pause', { recipient: '+15555550100', csrf: vcsrf })).status, 403);
  const ownerId = /\/console\/team\/(mem_[0-9a-f]+)\/remove/.exec((await owner.req('GET', '/console/team')).text)?.[1];
  assert.ok(ownerId, 'the owner sees a remove button for the viewer');
  assert.equal((await viewer.post(`/console/team/${ownerId}/remove`, { csrf: vcsrf })).status, 403);
  // Inviting a member again is refused; an address with another team is not told
  // apart (same answer as a new address) and gets no email.
  const dup = await owner.post('/console/team/invite', { email: 'viewer@example.invalid', role: 'admin', csrf: await owner.csrf() });
  assert.equal(dup.status, 409);
  assert.match(dup.text, /already a member of this team/);
  await signUp('elsewhere@example.invalid', 'Elsewhere');
  const other = await owner.post('/console/team/invite', { email: 'elsewhere@example.invalid', role: 'viewer', csrf: await owner.csrf() });
  assert.equal(other.status, 303);
  assert.ok(await noMailTo('elsewhere@example.invalid'), 'no invitation email to a member of another team');
  // The owner removes the viewer: their session ends at once.
  const removed = await owner.post(`/console/team/${ownerId}/remove`, { csrf: await owner.csrf() });
  assert.equal(removed.status, 303);
  assert.equal((await viewer.req('GET', '/console')).status, 303);
  // Every action is in the account's audit chain, with the member.
  const audit = await svc.request('GET', '/v1/audit?limit=100', { key: live });
  const rows = audit.json.data.filter((e) => e.pause_id.startsWith('acct_'));
  const types = rows.map((e) => e.type);
  for (const t of ['account.created', 'member.signed_in', 'member.invited', 'member.joined', 'member.removed']) {
    assert.ok(types.includes(t), `${t} in ${types}`);
  }
  for (const e of rows) assert.match(e.actor, /^member:mem_[0-9a-f]+$/);
  const seqs = rows.map((e) => e.seq).sort((a, b) => a - b);
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'one chain from seq 1, no gaps');
});

test('send a test pause from the console: a real pause, answered, shows answered', async () => {
  const { c, live } = await signUp('pilot@example.invalid', 'Pilots');
  const csrf = await c.csrf();
  const r = await c.post('/console/test-pause', { recipient: '+15555550123', csrf }, { headers: { accept: 'application/json' } });
  assert.equal(r.status, 201, r.text);
  const id = r.json.pause_id;
  const link = await svc.linkFor(id);
  assert.equal((await choose(link, 0)).status, 200);
  const recent = await eventually(async () => {
    const f = await c.req('GET', '/console/recent');
    return f.text.includes('s-responded') && f.text;
  });
  assert.ok(recent, 'the list shows it answered');
  assert.match(recent, /Yes, it works/);
  // Made by the same service as the API, recorded with the member as its actor.
  const audit = await svc.request('GET', `/v1/audit?pause_id=${id}`, { key: live });
  assert.match(audit.json.data.find((e) => e.type === 'pause.created').actor, /^member:mem_/);
  // Without JavaScript: a redirect to the home page, which says it was sent.
  const plain = await c.post('/console/test-pause', { recipient: '+15555550124', csrf });
  assert.equal(plain.status, 303);
  assert.equal(plain.headers.get('location'), '/console?sent=1');
});
