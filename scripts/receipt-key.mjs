#!/usr/bin/env node
// A fresh receipt signing key: a private Ed25519 JWK with a `kid`, the value of the
// RECEIPT_SIGNING_KEY secret (README "Signed receipts"). `make dev` writes one into
// .dev.vars once; `make deploy` stores one per environment when none is set.
//   node scripts/receipt-key.mjs          prints the private JWK (keep it secret)
//   node scripts/receipt-key.mjs --public < key.json   prints its public JWK (for
//                                          RECEIPT_PUBLIC_KEYS after a rotation)
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/// The kid says when the key was made, so a JWKS reads as a history.
export function newReceiptKey(now = new Date()) {
  const { privateKey } = generateKeyPairSync('ed25519');
  const { kty, crv, x, d } = privateKey.export({ format: 'jwk' });
  const kid = `pp-${now.toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`;
  return JSON.stringify({ kty, crv, kid, x, d });
}

/// The public half of a private JWK (text in, text out).
export function publicJwk(text) {
  const { kty, crv, kid, x } = JSON.parse(text);
  return JSON.stringify({ kty, crv, kid, x });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--public')) console.log(publicJwk(readFileSync(0, 'utf8')));
  else console.log(newReceiptKey());
}
