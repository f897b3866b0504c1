//! Queries on `rate_limits` (Postgres only): the login-failure and `/api/auth/*` burst counters,
//! shared by every instance on the database. SQLite serves one process, which keeps them in
//! memory (`auth::limits`).

use super::engine::{with_conn, Pool};

/// Counts one use of `key` in its current fixed window of `window_ms` and gives the count with
/// what is left of the window; a window that has run out starts again at 1. One statement, so
/// concurrent requests on any instance each get their own count.
pub async fn take(db: &Pool, key: &str, window_ms: i64, now_ms: i64) -> Result<(i64, i64), sqlx::Error> {
    let (start, count): (i64, i64) = with_conn!(db, |c| sqlx::query_as(
        "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1)
         ON CONFLICT (key) DO UPDATE SET
            window_start = CASE WHEN rate_limits.window_start <= $2 - $3 THEN $2
                                ELSE rate_limits.window_start END,
            count = CASE WHEN rate_limits.window_start <= $2 - $3 THEN 1 ELSE rate_limits.count + 1 END
         RETURNING window_start, count",
    )
    .bind(key)
    .bind(now_ms)
    .bind(window_ms)
    .fetch_one(c)
    .await)?;
    Ok((count, start + window_ms - now_ms))
}

pub async fn clear(db: &Pool, key: &str) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query("DELETE FROM rate_limits WHERE key = $1")
        .bind(key)
        .execute(c)
        .await
        .map(drop))
}

/// Drops counters whose window started before `before_ms`; one instance at a time runs it.
pub async fn purge(db: &Pool, before_ms: i64) -> Result<u64, sqlx::Error> {
    super::purge_round(
        db,
        super::Job::RateLimitPurge,
        "DELETE FROM rate_limits WHERE window_start < $1",
        before_ms,
    )
    .await
}
