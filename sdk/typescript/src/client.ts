// The client: configuration, the retry policy and the long-poll behind `pause.wait()`.
// Runs wherever `fetch` and Web Crypto do (Node 20+, Deno, Bun, Workers).
import {
  APIConnectionError,
  InternalServerError,
  PausePointError,
  RateLimitError,
  WaitTimeoutError,
  errorFromResponse,
} from './errors.js';
import type {
  Account,
  ApiKey,
  AuditEvent,
  AuditQuery,
  AuditVerification,
  CreatePauseParams,
  KeyRotation,
  List,
  OutboxMessage,
  Page,
  PauseData,
  PauseStatus,
  RequestOptions,
  WaitOptions,
  WebhookEvent,
  WebhookSecret,
} from './types.js';

export const VERSION = '1.0.0'; // follows the API's version (openapi.json info.version)
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8787'; // `make dev`
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const LONG_POLL_SECONDS = 50; // the API holds up to 55 s; stay under proxies' idle limits
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/** Every operationId of openapi.json and its method (a test keeps them in step). */
export const OPERATIONS = {
  createPause: 'pauses.create',
  getPause: 'pauses.retrieve',
  deletePause: 'pauses.delete',
  cancelPause: 'pauses.cancel',
  listPauses: 'pauses.list',
  getAccount: 'account.retrieve',
  listKeys: 'keys.list',
  createKey: 'keys.create',
  rotateKey: 'keys.rotate',
  revokeKey: 'keys.revoke',
  listWebhookEvents: 'webhooks.list',
  replayWebhookEvent: 'webhooks.replay',
  rotateWebhookSecret: 'webhooks.rotateSecret',
  listAudit: 'audit.list',
  verifyAudit: 'audit.verify',
  testOutbox: 'test.outbox',
  getReceiptKeys: 'receipts.keys',
} as const;

export interface ClientOptions {
  /** Defaults to the `PAUSEPOINT_API_KEY` environment variable. */
  apiKey?: string;
  /** Defaults to `PAUSEPOINT_BASE_URL`, else http://127.0.0.1:8787 (`make dev`). */
  baseUrl?: string;
  /** Retries of a failed request (429, 5xx when safe, network). Default 3. */
  maxRetries?: number;
  /** Per-request timeout in ms (long-polls get their wait on top). Default 30 000. */
  timeoutMs?: number;
  /** A `Retry-After` longer than this (seconds) is not waited for. Default 60. */
  maxRetryAfter?: number;
  fetch?: typeof fetch;
}

/** A pause, with `wait()`, `cancel()` and `refresh()` bound to its client. */
export interface Pause extends PauseData {
  /** The option chosen (by the person or the timeout's default), else null. */
  readonly choice: string | null;
  /** True when a create was answered from its Idempotency-Key (no new pause). */
  readonly idempotentReplayed: boolean;
  /** Resolves when the pause leaves `pending` (long-polls `?wait=`, never a sleep loop). */
  wait(options?: WaitOptions): Promise<Pause>;
  cancel(): Promise<Pause>;
  refresh(): Promise<Pause>;
}

interface Req {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined | null>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Safe to send again after a 5xx or a connection lost mid-request. */
  idempotent?: boolean;
  timeoutMs?: number;
  retries?: number;
  text?: boolean;
  signal?: AbortSignal;
}

const env = (name: string): string | undefined =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
const seg = (v: string) => {
  if (typeof v !== 'string' || !v) throw new TypeError('an id must be a non-empty string');
  return encodeURIComponent(v);
};
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });
export const formatWait = (s: number) => String(Math.round(Math.max(0, Math.min(55, s)) * 1000) / 1000);

function retryAfter(headers: Record<string, string> | undefined): number | null {
  const v = headers?.['retry-after'];
  if (!v) return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.max(0, Number(v));
  const when = Date.parse(v);
  return Number.isNaN(when) ? null : Math.max(0, (when - Date.now()) / 1000);
}

export class PausePoint {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly maxRetries: number;
  readonly timeoutMs: number;
  readonly maxRetryAfter: number;
  private readonly fetchImpl: typeof fetch;

  readonly pauses = {
    /** `POST /v1/pause`; an Idempotency-Key is generated so retries never create two. */
    create: (params: CreatePauseParams, opts: RequestOptions = {}): Promise<Pause> =>
      this.call({
        method: 'POST',
        path: '/v1/pause',
        body: params,
        headers: { 'Idempotency-Key': opts.idempotencyKey ?? `pp-${crypto.randomUUID()}` },
        signal: opts.signal,
      }).then(({ body, headers }) => this.bind(body as PauseData, headers['idempotent-replayed'] === 'true')),
    /** `GET /v1/pause/{id}`; `wait` (≤ 55 s) holds the request until the pause changes. */
    retrieve: (id: string, opts: { wait?: number; signal?: AbortSignal } = {}): Promise<Pause> =>
      this.call({
        method: 'GET',
        path: `/v1/pause/${seg(id)}`,
        query: { wait: opts.wait === undefined ? undefined : formatWait(opts.wait) },
        timeoutMs: opts.wait === undefined ? undefined : opts.wait * 1000 + 15_000,
        signal: opts.signal,
      }).then(({ body }) => this.bind(body as PauseData)),
    /** Resolves when the pause is decided; rejects with WaitTimeoutError after `timeout` s. */
    wait: (id: string, opts: WaitOptions = {}): Promise<Pause> => this.waitFor(id, opts),
    cancel: (id: string): Promise<Pause> =>
      this.call({ method: 'POST', path: `/v1/pause/${seg(id)}/cancel` }).then(({ body }) => this.bind(body as PauseData)),
    delete: (id: string): Promise<Pause> =>
      this.call({ method: 'DELETE', path: `/v1/pause/${seg(id)}` }).then(({ body }) => this.bind(body as PauseData)),
    list: (q: { status?: PauseStatus; limit?: number; cursor?: string } = {}): Promise<Page<Pause>> =>
      this.call({ method: 'GET', path: '/v1/pauses', query: q }).then(({ body }) => {
        const page = body as Page<PauseData>;
        return { ...page, data: page.data.map((p) => this.bind(p)) };
      }),
  };

  readonly account = {
    retrieve: (): Promise<Account> => this.json({ method: 'GET', path: '/v1/account' }),
  };

  readonly keys = {
    list: (): Promise<ApiKey[]> => this.json<List<ApiKey>>({ method: 'GET', path: '/v1/keys' }).then((l) => l.data),
    /** A new key; its `secret` is in this response only. */
    create: (params: { mode?: 'live' | 'test' } = {}): Promise<ApiKey> =>
      this.json({ method: 'POST', path: '/v1/keys', body: params, idempotent: false }),
    rotate: (keyId: string, params: { grace_seconds?: number } = {}): Promise<KeyRotation> =>
      this.json({ method: 'POST', path: `/v1/keys/${seg(keyId)}/rotate`, body: params, idempotent: false }),
    revoke: (keyId: string): Promise<ApiKey> => this.json({ method: 'POST', path: `/v1/keys/${seg(keyId)}/revoke` }),
  };

  readonly webhooks = {
    /** The pause's webhook events with every delivery attempt, oldest first. */
    list: (pauseId: string): Promise<WebhookEvent[]> =>
      this.json<List<WebhookEvent>>({ method: 'GET', path: `/v1/pause/${seg(pauseId)}/webhooks` }).then((l) => l.data),
    replay: (pauseId: string, eventId: string): Promise<WebhookEvent> =>
      this.json({ method: 'POST', path: `/v1/pause/${seg(pauseId)}/webhooks/${seg(eventId)}/replay`, idempotent: false }),
    /** A new signing secret (shown once); the old ones sign for 24 more hours. */
    rotateSecret: (): Promise<WebhookSecret> =>
      this.json({ method: 'POST', path: '/v1/webhook_secret/rotate', idempotent: false }),
  };

  readonly audit = {
    list: (q: AuditQuery = {}): Promise<Page<AuditEvent>> => this.json({ method: 'GET', path: '/v1/audit', query: { ...q } }),
    /** Every matching event as text (`json`, `ndjson` or `csv`). */
    export: (q: Omit<AuditQuery, 'limit' | 'cursor'> & { format?: 'json' | 'ndjson' | 'csv' } = {}): Promise<string> =>
      this.call({ method: 'GET', path: '/v1/audit', query: { format: 'ndjson', ...q }, text: true, timeoutMs: 300_000 })
        .then(({ body }) => body as string),
    verify: (pauseId: string): Promise<AuditVerification> =>
      this.json({ method: 'GET', path: '/v1/audit/verify', query: { pause_id: pauseId } }),
  };

  readonly test = {
    /** Messages of the account's test-mode pauses (they never reach a provider). */
    outbox: (q: { pause_id?: string } = {}): Promise<OutboxMessage[]> =>
      this.json<List<OutboxMessage>>({ method: 'GET', path: '/v1/test/outbox', query: q }).then((l) => l.data),
  };

  readonly receipts = {
    /** The public keys that sign decision receipts (`/.well-known/jwks.json`), current first. */
    keys: (): Promise<{ keys: Array<{ kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; alg: 'EdDSA'; use: 'sig' }> }> =>
      this.json({ method: 'GET', path: '/.well-known/jwks.json' }),
  };

  constructor(opts: ClientOptions = {}) {
    const apiKey = opts.apiKey ?? env('PAUSEPOINT_API_KEY');
    if (!apiKey) {
      throw new PausePointError('No API key: pass { apiKey } or set PAUSEPOINT_API_KEY (make dev writes one to .wrangler/dev-api-key).');
    }
    this.apiKey = apiKey;
    this.baseUrl = (opts.baseUrl ?? env('PAUSEPOINT_BASE_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.maxRetries = opts.maxRetries ?? 3;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxRetryAfter = opts.maxRetryAfter ?? 60;
    this.fetchImpl = opts.fetch ?? ((...a) => fetch(...a));
  }

  /** Seconds before retry `attempt` (1-based): Retry-After when given (null if longer
   * than maxRetryAfter), else exponential back-off with jitter. */
  private delay(attempt: number, headers?: Record<string, string>): number | null {
    const after = retryAfter(headers);
    if (after !== null) return after <= this.maxRetryAfter ? after : null;
    return Math.min(8, 0.5 * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.25);
  }

  private async json<T>(req: Req): Promise<T> {
    return (await this.call(req)).body as T;
  }

  private async call(req: Req): Promise<{ body: unknown; headers: Record<string, string> }> {
    const url = new URL(this.baseUrl + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
    const hasBody = req.body !== undefined || req.method === 'POST';
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.apiKey}`,
      accept: 'application/json',
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      ...req.headers,
    };
    const retries = req.retries ?? this.maxRetries;
    const idempotent = req.idempotent ?? true;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetchImpl(url, {
          method: req.method,
          headers,
          body: hasBody ? JSON.stringify(req.body ?? {}) : undefined,
          signal: req.signal ? AbortSignal.any([req.signal, AbortSignal.timeout(req.timeoutMs ?? this.timeoutMs)]) : AbortSignal.timeout(req.timeoutMs ?? this.timeoutMs),
          redirect: 'manual',
        });
      } catch (e) {
        if (req.signal?.aborted) throw e;
        const code = (e as { cause?: { code?: string } })?.cause?.code;
        const delay = this.delay(attempt);
        if (attempt > retries || !(idempotent || (code && NOT_SENT.has(code))) || delay === null) {
          throw new APIConnectionError(`Could not reach PausePoint at ${this.baseUrl}: ${(e as Error)?.message}`, {}, { cause: e });
        }
        await sleep(delay * 1000, req.signal);
        continue;
      }
      const h: Record<string, string> = {};
      res.headers.forEach((v, k) => (h[k.toLowerCase()] = v));
      if (RETRY_STATUSES.has(res.status) && attempt <= retries && (res.status === 429 || idempotent)) {
        const delay = this.delay(attempt, h);
        if (delay !== null) {
          await res.body?.cancel().catch(() => {});
          await sleep(delay * 1000, req.signal);
          continue;
        }
      }
      const text = await res.text();
      if (res.status >= 400) {
        let body: unknown = text;
        try { body = JSON.parse(text); } catch { /* not JSON: keep the text */ }
        throw errorFromResponse(res.status, body, h);
      }
      if (req.text) return { body: text, headers: h };
      try {
        return { body: text ? JSON.parse(text) : null, headers: h };
      } catch (e) {
        throw new PausePointError(`The service answered ${res.status} with a body that is not JSON.`, { status: res.status, requestId: h['request-id'] ?? null }, { cause: e });
      }
    }
  }

  private async waitFor(id: string, opts: WaitOptions): Promise<Pause> {
    const deadline = opts.timeout === undefined ? null : Date.now() + opts.timeout * 1000;
    let failures = 0;
    let spins = 0;
    let last: Pause | null = null;
    for (;;) {
      const left = deadline === null ? LONG_POLL_SECONDS : (deadline - Date.now()) / 1000;
      const wait = Math.max(0, Math.min(LONG_POLL_SECONDS, left));
      const started = Date.now();
      try {
        const { body } = await this.call({
          method: 'GET', path: `/v1/pause/${seg(id)}`, query: { wait: formatWait(wait) },
          timeoutMs: wait * 1000 + 15_000, retries: 0, signal: opts.signal,
        });
        last = this.bind(body as PauseData);
        failures = 0;
      } catch (e) {
        const transient = e instanceof APIConnectionError || e instanceof InternalServerError || e instanceof RateLimitError;
        if (!transient) throw e;
        failures++; // the network or the service failed: resume the wait
        // The whole Retry-After of a 429 (the deadline still bounds it), else back-off.
        const delay = (e instanceof RateLimitError ? retryAfter(e.headers) : null) ?? this.delay(failures) ?? 1;
        if (deadline !== null && Date.now() + delay * 1000 >= deadline) {
          throw new WaitTimeoutError(`${id} was not decided within ${opts.timeout} s (last error: ${(e as Error).message})`, last);
        }
        await sleep(delay * 1000, opts.signal);
        continue;
      }
      if (last.status !== 'pending') return last;
      if (deadline !== null && Date.now() >= deadline) throw new WaitTimeoutError(`${id} was not decided within ${opts.timeout} s`, last);
      // Pending, and answered well before the wait asked for: something between us and
      // the service does not hold long-polls. Back off rather than spin.
      spins = wait >= 1 && (Date.now() - started) / 1000 < wait / 2 ? spins + 1 : 0;
      if (spins) await sleep((this.delay(spins) ?? 1) * 1000, opts.signal);
    }
  }

  private bind(data: PauseData, replayed = false): Pause {
    const client = this;
    const p = { ...data } as Pause;
    Object.defineProperties(p, {
      choice: { get: () => data.response_choice ?? null, enumerable: false },
      idempotentReplayed: { value: replayed, enumerable: false },
      wait: { value: (o?: WaitOptions) => client.pauses.wait(data.pause_id, o), enumerable: false },
      cancel: { value: () => client.pauses.cancel(data.pause_id), enumerable: false },
      refresh: { value: () => client.pauses.retrieve(data.pause_id), enumerable: false },
    });
    return p;
  }
}
