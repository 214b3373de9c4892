// Verify a PausePoint webhook (Standard Webhooks) with node:crypto only.
// usage: node verify_webhook.mjs SECRET WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE < body
import { createHmac, timingSafeEqual } from 'node:crypto';

export function verify(secret, id, timestamp, signatures, body) {
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  return signatures.split(' ').some((s) => {
    if (!s.startsWith('v1,')) return false;
    const got = Buffer.from(s.slice(3), 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [secret, id, ts, sigs] = process.argv.slice(2);
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const ok = verify(secret, id, ts, sigs, Buffer.concat(chunks));
  console.log(ok ? 'valid' : 'invalid');
  process.exit(ok ? 0 : 1);
}
