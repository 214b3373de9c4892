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
  /** `approvers`: decided by the votes of a multi-approver pause; `no_agreement`: its rule can no longer be met. */
  responded_by: 'recipient' | 'timeout_default' | 'approvers' | 'no_agreement' | null;
  responded_via: string | null;
  response_comment: string | null;
  cancelled_at: string | null;
  resolved_at: string | null;
  context: string | null;
  danger: string[];
  confirm_danger: boolean;
  allow_comment: boolean;
  delivery: Delivery;
  rule: Rule;
  action: Action | null;
  /** Hex SHA-256 of the action's RFC 8785 canonical JSON; null without an action. */
  action_sha256: string | null;
  votes: Vote[];
  /** The signed decision receipt (a compact JWS, verify it against `/.well-known/jwks.json`); null while pending. */
  receipt: string | null;
  /** Multi-approver pauses only. */
  approvers?: ApproverState[];
  escalation?: { after_seconds: number; reached_at: string | null }[];
  reminders?: { sent: number; next_at: string | null; [extra: string]: unknown } | null;
  [extra: string]: unknown;
}

/** How the votes of several approvers decide a pause (README "Approval policies"). */
export type Rule =
  | 'any'
  | 'all'
  | 'ordered'
  | { type: 'any' }
  | { type: 'all'; veto?: string[] }
  | { type: 'quorum'; count: number; veto?: string[] }
  | { type: 'ordered'; veto?: string[] };

export interface Contact {
  channel: Channel;
  recipient: string;
}

export interface Approver extends Contact {
  id?: string;
  name?: string;
  /** Tried in order when delivery to the previous contact fails for good. */
  fallbacks?: Contact[];
}

export interface ApproverState {
  id: string;
  name: string | null;
  channel: Channel;
  recipient: string;
  level: number;
  asked_at: string | null;
  voted: boolean;
  /** `history`: every send to this approver, fallbacks included. */
  delivery: Delivery & { history: DeliveryAttempt[] };
  [extra: string]: unknown;
}

export interface DeliveryAttempt {
  channel: Channel;
  recipient: string;
  status: string;
  at: string;
  error_code: string | null;
}

export interface Vote {
  approver: string;
  name: string | null;
  choice: string;
  comment: string | null;
  at: string;
  via: string;
}

export interface Action {
  name: string;
  arguments?: unknown;
}

export type Delay = { after_seconds: number } | { after_hours: number };

export type EscalationLevel = Delay & { approvers: Approver[] };

export type Reminders =
  | { before_timeout_seconds: number[] }
  | { before_timeout_hours: number[] }
  | { every_seconds: number; max?: number }
  | { every_hours: number; max?: number };

/** One recipient (`recipient`, `channel`) or several `approvers` with a `rule`. */
export interface CreatePauseParams {
  recipient?: string;
  message: string;
  options: string[];
  channel?: Channel;
  approvers?: Approver[];
  rule?: Rule;
  escalation?: EscalationLevel[];
  reminders?: Reminders;
  action?: Action | null;
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
