// Verify a PausePoint decision receipt offline with node:crypto only (Node 18+), before
// executing the action it approves.
//
//   node verify_receipt.mjs RECEIPT JWKS ACTION_JSON
//
// RECEIPT: the pause's `receipt` (a compact JWS). JWKS: the service's
// /.well-known/jwks.json, as a URL or a saved file. ACTION_JSON: the action you are about
// to execute, `{"name": ..., "arguments": ...}`. Prints `valid <status> <choice>` or
// `invalid: <why>` (and exits 1).
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

// RFC 8785: JSON.stringify already writes numbers and strings canonically; sort the keys.
const jcs = (v) => v === null || typeof v !== 'object' ? JSON.stringify(v)
  : Array.isArray(v) ? `[${v.map(jcs).join(',')}]`
  : `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${jcs(v[k])}`).join(',')}}`;

export function verifyReceipt(receipt, jwks, action) {
  const [h, p, s] = receipt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (header.alg !== 'EdDSA' || !jwk) throw new Error(`unknown key ${header.kid}`);
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
  if (!verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) throw new Error('bad signature');
  const payload = JSON.parse(Buffer.from(p, 'base64url'));
  const sha = createHash('sha256').update(jcs(action)).digest('hex');
  if (payload.action_sha256 !== sha) throw new Error('the receipt approves another action');
  return payload; // also check payload.pause_id is the pause you asked about
}

const [receipt, jwksSource, actionJson] = process.argv.slice(2);
try {
  const jwks = /^https?:/.test(jwksSource) ? await (await fetch(jwksSource)).json() : JSON.parse(readFileSync(jwksSource, 'utf8'));
  const { decision } = verifyReceipt(receipt, jwks, JSON.parse(actionJson));
  console.log(`valid ${decision.status} ${decision.choice}`);
} catch (e) {
  console.log(`invalid: ${e.message}`);
  process.exit(1);
}
