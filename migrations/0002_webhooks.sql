-- Webhook signing secrets (`whsec_…`). They must be readable to sign, so they are
-- stored as issued. The newest (expires_at NULL) signs; a rotated one keeps signing
-- beside it until expires_at (24 hours after the rotation).
CREATE TABLE webhook_secrets (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id  TEXT NOT NULL,
  secret      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER
);
CREATE INDEX webhook_secrets_account ON webhook_secrets(account_id, id DESC);
-- Accounts made before webhooks get a secret now (hex is valid base64); their owners
-- learn it by rotating.
INSERT INTO webhook_secrets (account_id, secret, created_at)
  SELECT id, 'whsec_' || lower(hex(randomblob(32))), CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM accounts;

-- One row per event: the body is fixed when the event is made, so every attempt sends
-- the same bytes under the same webhook-id. `attempts` counts attempts ever started;
-- the retry schedule restarts at `round_start` after a replay.
CREATE TABLE webhook_events (
  id                TEXT PRIMARY KEY,
  pause_id          TEXT NOT NULL,
  account_id        TEXT NOT NULL,
  type              TEXT NOT NULL,
  url               TEXT NOT NULL,
  body              TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  failure_reason    TEXT,
  attempts          INTEGER NOT NULL DEFAULT 0,
  round_start       INTEGER NOT NULL DEFAULT 0,
  next_attempt_at   INTEGER NOT NULL,
  lease_until       INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL,
  completed_at      INTEGER,
  dead_lettered_at  INTEGER
);
CREATE INDEX webhook_events_pause ON webhook_events(pause_id, created_at);
CREATE INDEX webhook_events_pending ON webhook_events(status, next_attempt_at);

-- Every attempt: when, the answer's status code, how long it took, what went wrong.
CREATE TABLE webhook_attempts (
  event_id     TEXT NOT NULL,
  attempt      INTEGER NOT NULL,
  started_at   INTEGER NOT NULL,
  status_code  INTEGER,
  latency_ms   INTEGER,
  error        TEXT,
  outcome      TEXT NOT NULL,
  PRIMARY KEY (event_id, attempt)
);

-- Endpoints that answered 410 Gone receive nothing more, until a replay re-enables them.
CREATE TABLE webhook_disabled_endpoints (
  account_id   TEXT NOT NULL,
  url          TEXT NOT NULL,
  disabled_at  INTEGER NOT NULL,
  PRIMARY KEY (account_id, url)
);
