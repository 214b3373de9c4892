// Verifying PausePoint webhooks (Standard Webhooks signatures) with Web Crypto, so it
// runs in Node, Deno, Bun and Workers alike.
import { WebhookVerificationError } from './errors.js';
import type { WebhookPayload } from './types.js';

export const TOLERANCE_SECONDS = 300;

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

function b64decode(s: string): Uint8Array {
  const bin = atob(s);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function b64encode(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function secretKey(secret: string): Uint8Array {
  try {
    return b64decode(secret.startsWith('whsec_') ? secret.slice(6) : secret);
  } catch {
    throw new WebhookVerificationError('The webhook secret is not `whsec_` followed by base64.');
  }
}

/** The `webhook-signature` value PausePoint would send (useful in tests). */
export async function sign(body: string | Uint8Array, id: string, timestamp: number, secret: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', secretKey(secret) as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const msg = new Uint8Array(prefix.length + bytes.length);
  msg.set(prefix);
  msg.set(bytes, prefix.length);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, msg));
  return `v1,${b64encode(mac)}`;
}

function equal(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Checks `webhook-signature` over the raw body (exactly as received) with the account's
 * `whsec_` secret (or several during a rotation), refuses timestamps more than
 * `tolerance` seconds away, and resolves to the parsed event; rejects with
 * WebhookVerificationError otherwise.
 */
export async function verifyWebhook(
  body: string | Uint8Array,
  headers: HeaderBag,
  secret: string | string[],
  opts: { tolerance?: number; now?: number } = {},
): Promise<WebhookPayload> {
  const id = header(headers, 'webhook-id');
  const ts = header(headers, 'webhook-timestamp');
  const sigs = header(headers, 'webhook-signature');
  if (!id || !ts || !sigs) throw new WebhookVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature header.');
  if (!/^\d+$/.test(ts)) throw new WebhookVerificationError('webhook-timestamp is not an integer.');
  const timestamp = Number(ts);
  const now = opts.now ?? Date.now() / 1000;
  if (Math.abs(now - timestamp) > (opts.tolerance ?? TOLERANCE_SECONDS)) {
    throw new WebhookVerificationError('webhook-timestamp is too old or too far in the future.');
  }
  const presented = sigs.split(' ').filter((s) => s.startsWith('v1,')).map((s) => s.slice(3));
  let ok = false;
  for (const s of Array.isArray(secret) ? secret : [secret]) {
    const expected = (await sign(body, id, timestamp, s)).slice(3);
    for (const p of presented) ok = equal(expected, p) || ok;
  }
  if (!ok) throw new WebhookVerificationError('No webhook-signature matches the secret.');
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  try {
    return { id, ...JSON.parse(text) } as WebhookPayload;
  } catch {
    throw new WebhookVerificationError('The body is not JSON.');
  }
}
