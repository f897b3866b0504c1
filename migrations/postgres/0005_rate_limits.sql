-- Rate-limit counters shared by every instance on this database: failed logins per (client,
-- account) and requests per client on /api/auth/*. Postgres only: on SQLite one process serves
-- the file and keeps them in memory. `key` names the limiter and its subject; `window_start` is
-- unix milliseconds.
CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count        BIGINT NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
