//! Queries on `sessions`: a token is honoured only while its row exists.

use sqlx::SqliteExecutor;

use super::query::{returning, timestamp};
use super::users::UserRow;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: i64,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

pub async fn insert(
    db: impl SqliteExecutor<'_>,
    user_id: i64,
    expires_at: i64,
    user_agent: Option<&str>,
    ip: Option<&str>,
) -> Result<SessionRow, sqlx::Error> {
    let now = timestamp();
    let query = sqlx::query_as(
        "INSERT INTO sessions (user_id, created_at, last_seen_at, expires_at, user_agent, ip)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
    )
    .bind(user_id)
    .bind(now.clone())
    .bind(now)
    .bind(expires_at)
    .bind(user_agent.map(str::to_owned))
    .bind(ip.map(str::to_owned));
    returning(query, db).await
}

/// The live session `sid` of `user_id` with its user, in one query.
pub async fn live_with_user(
    db: impl SqliteExecutor<'_>,
    sid: i64,
    user_id: i64,
    now_unix: i64,
) -> Result<Option<(String, UserRow)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        last_seen_at: String,
        #[sqlx(flatten)]
        user: UserRow,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT s.last_seen_at, u.* FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id = ? AND s.user_id = ? AND s.expires_at > ?",
    )
    .bind(sid)
    .bind(user_id)
    .bind(now_unix)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.last_seen_at, r.user)))
}

pub async fn touch(db: impl SqliteExecutor<'_>, sid: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE id = ?")
        .bind(timestamp())
        .bind(sid)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn for_user(
    db: impl SqliteExecutor<'_>,
    user_id: i64,
    now_unix: i64,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY id DESC")
        .bind(user_id)
        .bind(now_unix)
        .fetch_all(db)
        .await
}

/// Deletes one session of this user; false when there was none (someone else's, or gone).
pub async fn revoke(db: impl SqliteExecutor<'_>, user_id: i64, sid: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE id = ? AND user_id = ?")
        .bind(sid)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every session of the user except `keep` (pass `None` for all).
pub async fn revoke_all(
    db: impl SqliteExecutor<'_>,
    user_id: i64,
    keep: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?")
        .bind(user_id)
        .bind(keep)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn purge_expired(db: impl SqliteExecutor<'_>, now_unix: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?").bind(now_unix).execute(db).await?;
    Ok(done.rows_affected())
}
