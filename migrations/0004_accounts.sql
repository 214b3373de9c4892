-- Monthly usage, counted atomically: an increment only succeeds under the plan's cap.
CREATE TABLE usage_counters (
  account_id  TEXT NOT NULL,
  period      TEXT NOT NULL,          -- YYYY-MM (UTC)
  pauses      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, period)
);

-- Idempotency-Key -> the pause it created, kept 24 hours.
CREATE TABLE idempotency_keys (
  account_id    TEXT NOT NULL,
  key           TEXT NOT NULL,
  pause_id      TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (account_id, key)
);

-- A rotated key keeps working until expires_at (a grace period), then stops.
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;

-- Test-mode messages stay in the outbox, readable through the API.
ALTER TABLE dev_outbox ADD COLUMN livemode INTEGER NOT NULL DEFAULT 1;
