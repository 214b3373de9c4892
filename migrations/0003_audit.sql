-- The append-only audit log. Rows are written by each pause's Durable Object
-- (INSERT OR IGNORE on event_id, so retries never duplicate) and never changed:
-- the triggers below refuse UPDATE and DELETE. Each pause's rows form a SHA-256
-- hash chain (seq, prev_hash, hash); see README "Audit log".
CREATE TABLE audit_events (
  event_id    TEXT PRIMARY KEY,
  pause_id    TEXT NOT NULL,
  account_id  TEXT NOT NULL,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  type        TEXT NOT NULL,
  context     TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL,
  UNIQUE (pause_id, seq)
);
CREATE INDEX audit_account_order ON audit_events(account_id, at, pause_id, seq);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused');
END;

-- Retention: empty means keep forever (the default). With a row, only rows older
-- than `days` may be deleted (the cron purges whole pauses past it, see README).
CREATE TABLE audit_retention (
  k     INTEGER PRIMARY KEY CHECK (k = 1),
  days  INTEGER NOT NULL CHECK (days > 0)
);

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN NOT EXISTS (
  SELECT 1 FROM audit_retention r
  WHERE OLD.at < (CAST(strftime('%s', 'now') AS INTEGER) - r.days * 86400) * 1000
)
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused');
END;
