// Errors. Every refusal of the API becomes a PausePointError carrying the envelope's
// `code`, `param`, `requestId` and the HTTP `status`; the subclass follows the status,
// so callers can catch broadly or narrowly without knowing every code.

export interface ErrorFields {
  status?: number;
  code?: string | null;
  param?: string | null;
  requestId?: string | null;
  type?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

export class PausePointError extends Error {
  readonly status?: number;
  readonly code: string | null;
  readonly param: string | null;
  readonly requestId: string | null;
  readonly type: string | null;
  readonly body: unknown;
  readonly headers: Record<string, string>;

  constructor(message: string, fields: ErrorFields = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.status = fields.status;
    this.code = fields.code ?? null;
    this.param = fields.param ?? null;
    this.requestId = fields.requestId ?? null;
    this.type = fields.type ?? null;
    this.body = fields.body;
    this.headers = fields.headers ?? {};
  }
}

/** The service could not be reached (after the retries). */
export class APIConnectionError extends PausePointError {}
/** The service answered with an error status. */
export class APIStatusError extends PausePointError {}
/** 400 (and other 4xx without a closer class): `param` names the field. */
export class BadRequestError extends APIStatusError {}
/** 401: no key, or an unknown or revoked key. */
export class AuthenticationError extends APIStatusError {}
/** 403: over the plan's limits, or not allowed with this key. */
export class PermissionDeniedError extends APIStatusError {}
export class NotFoundError extends APIStatusError {}
/** 409: e.g. `pause_not_pending`. */
export class ConflictError extends APIStatusError {}
/** 422: e.g. `idempotency_key_reused`. */
export class UnprocessableEntityError extends APIStatusError {}
/** 429 (after the retries). */
export class RateLimitError extends APIStatusError {}
/** 5xx (after the retries). */
export class InternalServerError extends APIStatusError {}

/** `wait({ timeout })` ran out while the pause was pending; `pause` is its last state. */
export class WaitTimeoutError extends PausePointError {
  constructor(message: string, readonly pause: unknown) {
    super(message);
  }
}

/** The person chose an option that does not approve (or nobody answered). */
export class ApprovalDeniedError extends PausePointError {
  constructor(message: string, readonly pause: unknown) {
    super(message);
  }
}

/** A webhook's signature, timestamp or headers did not check out. */
export class WebhookVerificationError extends PausePointError {}

const BY_STATUS: Record<number, typeof APIStatusError> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: UnprocessableEntityError,
  429: RateLimitError,
};

/** Maps any error response to an exception, reading the documented envelope generically. */
export function errorFromResponse(status: number, body: unknown, headers: Record<string, string>): APIStatusError {
  const env = (body && typeof body === 'object' && (body as { error?: unknown }).error) as Record<string, unknown> | undefined;
  const e = env && typeof env === 'object' ? env : {};
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const Cls = status >= 500 ? InternalServerError : (BY_STATUS[status] ?? BadRequestError);
  return new Cls(str(e.message) ?? `HTTP ${status}`, {
    status,
    code: str(e.code),
    param: str(e.param),
    requestId: str(e.request_id) ?? headers['request-id'] ?? null,
    type: str(e.type),
    body,
    headers,
  });
}
