-- Mail (§9): whether a user's email is known to be theirs, the one-time tokens sent by mail,
-- and the outbox a background worker delivers from. Users from before this version start
-- unverified; `admin create` users and users who reset their password are verified.
ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1));

-- A token is known only to the mailbox it was sent to: here is its SHA-256 (hex). Single use
-- (the row is deleted when used), voided by a change of address (`email` no longer matches).
CREATE TABLE mail_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    token_hash TEXT NOT NULL,
    email      TEXT NOT NULL,
    expires_at INTEGER NOT NULL, -- unix seconds
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX mail_tokens_hash ON mail_tokens (token_hash);
CREATE INDEX mail_tokens_user ON mail_tokens (user_id, purpose);

-- Each mail is written here in the transaction of the change that causes it. The rendered
-- bodies and the link are erased once it is sent or has failed for good; the rest stays.
-- `next_attempt_at` (unix ms) is when a worker may next take it: a worker that claims it moves
-- it past the attempt's lease, so a crash mid-attempt only delays it.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER REFERENCES users (id) ON DELETE SET NULL,
    recipient       TEXT NOT NULL,
    template        TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT,
    body_html       TEXT,
    link            TEXT,
    status          TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at INTEGER NOT NULL,
    message_id      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_user ON mail_outbox (user_id, template, created_at);
