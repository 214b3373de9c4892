// The API's objects, as openapi.json describes them. Fields the API adds later are
// passed through untouched.

export type PauseStatus = 'pending' | 'responded' | 'timed_out' | 'cancelled';
export type Channel = 'sms' | 'email' | 'slack' | 'whatsapp';

export interface Delivery {
  status: 'queued' | 'sending' | 'sent' | 'delivered' | 'failed' | 'retrying';
  provider: string | null;
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  message_id: string | null;
  updated_at: string | null;
}

export interface PauseData {
  object: 'pause';
  pause_id: string;
  status: PauseStatus;
  livemode: boolean;
  channel: Channel;
  recipient: string;
  message: string;
  options: string[];
  timeout_default: string | null;
  webhook_url: string | null;
  metadata: Record<string, unknown> | null;
  created_at: string;
  expires_at: string;
  response_choice: string | null;
  responded_at: string | null;
  responded_by: 'recipient' | 'timeout_default' | null;
  responded_via: string | null;
  response_comment: string | null;
  cancelled_at: string | null;
  resolved_at: string | null;
  context: string | null;
  danger: string[];
  confirm_danger: boolean;
  allow_comment: boolean;
  delivery: Delivery;
  [extra: string]: unknown;
}

export interface CreatePauseParams {
  recipient: string;
  message: string;
  options: string[];
  channel?: Channel;
  timeout_hours?: number;
  timeout_seconds?: number;
  timeout_default?: string | null;
  webhook_url?: string | null;
  metadata?: Record<string, unknown> | null;
  context?: string | null;
  danger?: string[] | null;
  confirm_danger?: boolean | null;
  allow_comment?: boolean | null;
}

export interface RequestOptions {
  /** Sent as `Idempotency-Key`; one is generated for every create when omitted. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface WaitOptions {
  /** Seconds; without it, waits until the pause is decided (it always is, by its timeout). */
  timeout?: number;
  signal?: AbortSignal;
}

export interface List<T> {
  object: 'list';
  data: T[];
}

export interface Page<T> extends List<T> {
  has_more: boolean;
  next_cursor: string | null;
}

export interface Account {
  object: 'account';
  account_id: string;
  name: string;
  plan: 'free' | 'pro' | 'scale' | 'enterprise';
  livemode: boolean;
  key_id: string;
  usage: { period: string; pauses: number };
  limits: { monthly_pauses: number | null; channels: string[]; max_timeout_seconds: number; priority: boolean };
}

export interface ApiKey {
  object: 'api_key';
  id: string;
  mode: 'live' | 'test';
  display: string;
  created_at: string;
  revoked_at: string | null;
  expires_at: string | null;
  active: boolean;
  /** Only in the response that created the key. */
  secret: string | null;
}

export interface KeyRotation {
  new_key: ApiKey;
  old_key: ApiKey | null;
}

export interface WebhookAttempt {
  attempt: number;
  started_at: string;
  status_code: number | null;
  latency_ms: number | null;
  error: string | null;
  outcome: string;
}

export interface WebhookEvent {
  object: 'webhook_event';
  event_id: string;
  pause_id: string;
  type:
    | 'pause.responded'
    | 'pause.timed_out'
    | 'pause.cancelled'
    | 'pause.delivery_failed'
    | 'pause.vote_recorded'
    | 'pause.escalated';
  url: string;
  status: string;
  failure_reason?: string | null;
  attempt_count: number;
  next_attempt_at?: string | null;
  created_at: string;
  completed_at?: string | null;
  dead_lettered_at?: string | null;
  payload: unknown;
  attempts: WebhookAttempt[];
}

export interface WebhookSecret {
  object: 'webhook_secret';
  /** Which mode's secret: test mode signs with its own. */
  livemode: boolean;
  secret: string;
  previous_secrets_expire_at: string | null;
}

export interface AuditEvent {
  event_id: string;
  pause_id: string;
  account_id: string;
  seq: number;
  type: string;
  actor: string;
  at: number;
  time?: string;
  context: unknown;
  context_raw?: string;
  prev_hash: string;
  hash: string;
}

export interface AuditQuery {
  pause_id?: string;
  type?: string;
  actor?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

export interface AuditVerification {
  object: 'audit_verification';
  pause_id: string;
  valid: boolean;
  events: number;
  head: unknown;
  first_break: unknown;
}

export interface OutboxMessage {
  pause_id: string;
  account_id?: string;
  channel: string;
  recipient: string;
  body: string;
  link: string;
  created_at: number;
  livemode?: number;
}

/** A verified webhook: `type`, `timestamp`, `data` (the pause as GET returns it), `id`. */
export interface WebhookPayload {
  id: string;
  type: WebhookEvent['type'];
  timestamp: string;
  data: PauseData;
}
