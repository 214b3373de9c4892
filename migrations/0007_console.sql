-- The console (issue 17): team members, their sessions and the magic links that sign
-- them up, in and onto a team. Session and link tokens are stored only as SHA-256
-- hashes; the token itself is in the member's cookie or email, nowhere else.

-- One address belongs to at most one team: a magic link names a member unambiguously.
CREATE TABLE members (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  email       TEXT NOT NULL UNIQUE,
  role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
  created_at  INTEGER NOT NULL
);
CREATE INDEX members_account ON members(account_id, created_at);

-- A signed-in browser. csrf_secret keys the HMAC every state-changing form carries.
CREATE TABLE console_sessions (
  token_hash   TEXT PRIMARY KEY,
  member_id    TEXT NOT NULL,
  csrf_secret  TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
);
CREATE INDEX console_sessions_member ON console_sessions(member_id);

-- Magic links: single use (used_at), short-lived (expires_at). An invite is a link
-- with purpose 'invite' that carries the team and role; a team's pending invites are
-- its unused, unexpired invite links.
CREATE TABLE magic_links (
  token_hash  TEXT PRIMARY KEY,
  email       TEXT NOT NULL,
  purpose     TEXT NOT NULL CHECK (purpose IN ('sign_up', 'sign_in', 'invite')),
  team_name   TEXT,
  account_id  TEXT,
  role        TEXT CHECK (role IS NULL OR role IN ('admin', 'viewer')),
  invited_by  TEXT,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER
);
CREATE INDEX magic_links_invites ON magic_links(account_id, purpose, expires_at);
