-- Accounts and their API keys. Keys are stored only as SHA-256 hashes.
CREATE TABLE accounts (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  plan        TEXT NOT NULL DEFAULT 'free',
  created_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  key_hash    TEXT NOT NULL UNIQUE,
  mode        TEXT NOT NULL CHECK (mode IN ('live', 'test')),
  prefix      TEXT NOT NULL,
  last4       TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);
CREATE INDEX api_keys_account ON api_keys(account_id);

-- The pause index used for listing. The pause's Durable Object is the source of
-- truth; it upserts here through its outbox, newest version wins.
CREATE TABLE pauses (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL,
  status      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  version     INTEGER NOT NULL,
  doc         TEXT NOT NULL
);
CREATE INDEX pauses_account_created ON pauses(account_id, created_at DESC, id DESC);
CREATE INDEX pauses_pending_expiry ON pauses(status, expires_at);

-- Messages that would have been sent when no provider is configured (local mode).
CREATE TABLE dev_outbox (
  id          TEXT PRIMARY KEY,
  pause_id    TEXT NOT NULL,
  account_id  TEXT NOT NULL,
  channel     TEXT NOT NULL,
  recipient   TEXT NOT NULL,
  body        TEXT NOT NULL,
  link        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX dev_outbox_created ON dev_outbox(created_at DESC);
