// Decision latency of approval policies (issue 15), for scripts/bench.mjs: from the start
// of the deciding tap to a local receiver getting `pause.responded`, for a one-approver
// pause and a 3-approver quorum (2 of 3: the first tap is a vote, the second decides),
// taking turns pause by pause so both see the same machine load.
import { createServer } from 'node:http';
import { choose, sleep } from '../tests/e2e/harness.mjs';

/// The links the local outbox holds for a pause's approvers, by recipient.
export async function approverLinks(svc, pauseId, recipients) {
  for (let i = 0; i < 150; i++) {
    const r = await svc.request('GET', `/dev/outbox?pause_id=${pauseId}`);
    const rows = r.json?.data ?? [];
    const links = recipients.map((to) => rows.find((m) => m.recipient === to)?.link);
    if (links.every(Boolean)) return links;
    await sleep(100);
  }
  throw new Error(`no outbox messages for every approver of ${pauseId}`);
}

const question = () => ({
  message: 'Wire $8,400 to Meridian?', options: ['Approve', 'Reject'], timeout_hours: 4, timeout_default: 'Reject',
});

export async function decisionLatency({ svc, key, n, row, pct, ms }) {
  const arrivals = new Map();
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      try {
        const e = JSON.parse(body);
        arrivals.get(`${e.type}:${e.data.pause_id}`)?.(performance.now());
      } catch {}
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const webhook_url = `http://127.0.0.1:${receiver.address().port}/hook`;
  const create = async (body) => {
    const r = await svc.request('POST', '/v1/pause', { key, body: { ...question(), ...body, webhook_url } });
    if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
    return r.json.pause_id;
  };
  /// Taps `link` and waits for the decision's webhook; the time from the tap's start.
  const decide = async (id, link) => {
    const arrived = new Promise((r) => arrivals.set(`pause.responded:${id}`, r));
    const t0 = performance.now();
    const tap = await choose(link, 0);
    const tapped = performance.now();
    const t1 = await Promise.race([arrived, sleep(15000).then(() => NaN)]);
    return { total: t1 - t0, tap: tap.status === 200 ? tapped - t0 : NaN };
  };
  const one = [], quorum = [], oneTap = [], quorumTap = [];
  let run = 0;
  for (let i = 0; i < n; i++) {
    const id1 = await create({ recipient: `+1312555${String(1000 + i).slice(-4)}` });
    const l1 = await svc.linkFor(id1);
    const r1 = await decide(id1, l1);
    if (Number.isFinite(r1.total + r1.tap)) { one.push(r1.total); oneTap.push(r1.tap); }
    run++;
    const to = [0, 1, 2].map((k) => `q${run}-${k}@bench.invalid`);
    const id3 = await create({
      approvers: to.map((recipient, k) => ({ name: `Director ${k + 1}`, channel: 'email', recipient })),
      rule: { type: 'quorum', count: 2, veto: ['Reject'] },
    });
    const links = await approverLinks(svc, id3, to);
    // The first vote's webhook is received before the deciding tap: the local queue runs
    // one consumer batch at a time, so a deciding tap right behind it would measure the
    // wait for that batch, not the decision (a deployed queue's consumers scale out).
    const voted = new Promise((r) => arrivals.set(`pause.vote_recorded:${id3}`, r));
    if ((await choose(links[0], 0)).status !== 200) continue;
    if (Number.isNaN(await Promise.race([voted, sleep(15000).then(() => NaN)]))) continue;
    const r3 = await decide(id3, links[1]);
    if (Number.isFinite(r3.total + r3.tap)) { quorum.push(r3.total); quorumTap.push(r3.tap); }
  }
  receiver.close();
  const p1 = pct(one, 50), p3 = pct(quorum, 50);
  row(`decision latency, 1 approver (${one.length}/${n})`, `p50 ${ms(p1)} p99 ${ms(pct(one, 99))}`,
    `the deciding tap to pause.responded received; the tap's own round trip p50 ${ms(pct(oneTap, 50))}`);
  row(`decision latency, quorum 2 of 3 (${quorum.length}/${n})`, `p50 ${ms(p3)} p99 ${ms(pct(quorum, 99))}`,
    `${(p3 / p1).toFixed(2)}x the one-approver p50, same run, taking turns; the tap's own round trip p50 ${ms(pct(quorumTap, 50))}`);
}
