-- The audit log (§11): who did what, to what, from where. `actor_username` is the actor's
-- username (or email) as it was, so the log still names someone whose account is gone; neither
-- actor nor target is a foreign key, for the same reason. `details` is a JSON object.
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT NOT NULL,
    actor_id       INTEGER,
    actor_username TEXT,
    action         TEXT NOT NULL,
    target_type    TEXT,
    target_id      INTEGER,
    ip             TEXT,
    user_agent     TEXT,
    details        TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, at);
CREATE INDEX audit_log_action ON audit_log (action, at);
