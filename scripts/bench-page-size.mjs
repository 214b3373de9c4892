#!/usr/bin/env node
// Size of the response page as served: one document, CSS inline, nothing else to load.
// Starts the built Worker with `wrangler dev` (run scripts/build.sh first), creates a
// pause with context, a comment box and a destructive option, fetches its link and
// prints the byte size (raw and gzip). Exits 1 over the 10 KB budget.
import { gzipSync } from 'node:zlib';
import { startService, seedRequest } from '../tests/e2e/harness.mjs';

const BUDGET = 10 * 1024;
const svc = await startService();
try {
  const acct = await svc.createAccount('Acme Payments');
  const r = await svc.request('POST', '/v1/pause', {
    key: acct.live_key,
    body: {
      ...seedRequest(),
      context: 'Invoice INV-2207 from Meridian Supplies, due Friday. Bank details match the vendor record.',
      danger: ['Approve'],
      confirm_danger: true,
      allow_comment: true,
    },
  });
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
  const link = await svc.linkFor(r.json.pause_id);
  const page = await fetch(link);
  const body = Buffer.from(await page.arrayBuffer());
  const result = { page_bytes: body.length, page_bytes_gzip: gzipSync(body).length, budget_bytes: BUDGET };
  console.log(JSON.stringify(result));
  if (page.status !== 200 || body.length >= BUDGET) process.exitCode = 1;
} finally {
  await svc.cleanup();
}
