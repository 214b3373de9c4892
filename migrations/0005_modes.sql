-- Test mode is a separate world (issue 13): a pp_test_ key sees only test-mode pauses,
-- their audit rows and webhooks, and has its own webhook signing secret and
-- Idempotency-Key space. Each table that a caller filters carries the mode, and its
-- index leads with (account_id, livemode), so every filtered query stays indexed.

-- The listing index.
ALTER TABLE pauses ADD COLUMN livemode INTEGER NOT NULL DEFAULT 1;
UPDATE pauses SET livemode = 0 WHERE json_extract(doc, '$.livemode') = 0;
DROP INDEX pauses_account_created;
CREATE INDEX pauses_account_mode_created ON pauses(account_id, livemode, created_at DESC, id DESC);

-- The audit log. The mode is not part of the hash chain (it is the pause's, fixed at
-- creation); existing rows learn it once, here, with the UPDATE guard lifted for this
-- migration only.
ALTER TABLE audit_events ADD COLUMN livemode INTEGER NOT NULL DEFAULT 1;
DROP TRIGGER audit_events_no_update;
UPDATE audit_events SET livemode = 0 WHERE pause_id IN (SELECT id FROM pauses WHERE livemode = 0);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused');
END;
DROP INDEX audit_account_order;
CREATE INDEX audit_account_mode_order ON audit_events(account_id, livemode, at, pause_id, seq);

-- Webhook events are signed with the secret of their pause's mode.
ALTER TABLE webhook_events ADD COLUMN livemode INTEGER NOT NULL DEFAULT 1;
UPDATE webhook_events SET livemode = 0 WHERE json_extract(body, '$.data.livemode') = 0;

-- Signing secrets per mode. Existing secrets are live ones; an existing account's test
-- secret is created when first needed (a test-mode webhook, or a rotation with a test
-- key, which returns it). `rotation` marks secrets issued by a rotation: at most 5 an
-- hour per account and mode.
ALTER TABLE webhook_secrets ADD COLUMN livemode INTEGER NOT NULL DEFAULT 1;
ALTER TABLE webhook_secrets ADD COLUMN rotation INTEGER NOT NULL DEFAULT 0;
DROP INDEX webhook_secrets_account;
CREATE INDEX webhook_secrets_account_mode ON webhook_secrets(account_id, livemode, id DESC);

-- Idempotency keys per mode: the same key sent with a live and a test key names two
-- different requests. Rows live 24 hours; existing ones take their pause's mode.
CREATE TABLE idempotency_keys_by_mode (
  account_id    TEXT NOT NULL,
  livemode      INTEGER NOT NULL,
  key           TEXT NOT NULL,
  pause_id      TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (account_id, livemode, key)
);
INSERT INTO idempotency_keys_by_mode (account_id, livemode, key, pause_id, request_hash, created_at)
  SELECT i.account_id, COALESCE((SELECT p.livemode FROM pauses p WHERE p.id = i.pause_id), 1),
         i.key, i.pause_id, i.request_hash, i.created_at
  FROM idempotency_keys i;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_by_mode RENAME TO idempotency_keys;
