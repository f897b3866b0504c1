-- Two-factor sign-in and personal API tokens (§10).
-- users: the confirmed TOTP secret (base32; set = two-factor sign-in is on), a pending one from a
-- setup not yet confirmed, and the last 30-second step accepted (a step is never accepted twice).
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

-- One-time recovery codes, as SHA-256 hashes; a used one is deleted.
CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX recovery_codes_hash ON recovery_codes (user_id, code_hash);

-- The second step of a sign-in: the right password was given; a code is due. `token_hash` is the
-- SHA-256 of the mfaToken handed out; `attempts` counts codes tried (at most 5).
CREATE TABLE mfa_challenges (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL, -- unix seconds
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX mfa_challenges_hash ON mfa_challenges (token_hash);

-- Personal API tokens: `stk_…` is known only to its holder; here is its SHA-256. `scopes` is a
-- comma-separated list (read, store, markets, and permission names).
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   INTEGER,       -- unix seconds; null never expires
    last_used_at TEXT
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
