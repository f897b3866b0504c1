//! Queries on `sessions`: a token is honoured only while its row exists.

use super::engine::{with_conn, Ex};
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
    db: impl Into<Ex<'_>>,
    user_id: i64,
    expires_at: i64,
    user_agent: Option<&str>,
    ip: Option<&str>,
) -> Result<SessionRow, sqlx::Error> {
    let now = timestamp();
    with_conn!(db, |c| {
        let query = sqlx::query_as(
            "INSERT INTO sessions (user_id, created_at, last_seen_at, expires_at, user_agent, ip)
             VALUES ($1, $2, $2, $3, $4, $5) RETURNING *",
        )
        .bind(user_id)
        .bind(&now)
        .bind(expires_at)
        .bind(user_agent)
        .bind(ip);
        returning(query, c).await
    })
}

/// The live session `sid` of `user_id` with its user, in one query.
pub async fn live_with_user(
    db: impl Into<Ex<'_>>,
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
    let row: Option<Row> = with_conn!(db, |c| sqlx::query_as(
        "SELECT s.last_seen_at, u.* FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id = $1 AND s.user_id = $2 AND s.expires_at > $3",
    )
    .bind(sid)
    .bind(user_id)
    .bind(now_unix)
    .fetch_optional(c)
    .await)?;
    Ok(row.map(|r| (r.last_seen_at, r.user)))
}

pub async fn touch(db: impl Into<Ex<'_>>, sid: i64) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(timestamp())
        .bind(sid)
        .execute(c)
        .await
        .map(|_| ()))
}

pub async fn for_user(
    db: impl Into<Ex<'_>>,
    user_id: i64,
    now_unix: i64,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    with_conn!(db, |c| sqlx::query_as(
        "SELECT * FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY id DESC"
    )
    .bind(user_id)
    .bind(now_unix)
    .fetch_all(c)
    .await)
}

/// Deletes one session of this user; false when there was none (someone else's, or gone).
pub async fn revoke(db: impl Into<Ex<'_>>, user_id: i64, sid: i64) -> Result<bool, sqlx::Error> {
    let done = with_conn!(db, |c| sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
        .bind(sid)
        .bind(user_id)
        .execute(c)
        .await
        .map(|d| d.rows_affected()))?;
    Ok(done == 1)
}

/// Revokes every session of the user except `keep` (pass `None` for all); answers how many.
pub async fn revoke_all(db: impl Into<Ex<'_>>, user_id: i64, keep: Option<i64>) -> Result<u64, sqlx::Error> {
    with_conn!(db, |c| sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2")
        .bind(user_id)
        .bind(keep)
        .execute(c)
        .await
        .map(|d| d.rows_affected()))
}

/// One instance at a time runs it (`claim_round`); the others skip the round.
pub async fn purge_expired(db: &super::Pool, now_unix: i64) -> Result<u64, sqlx::Error> {
    super::purge_round(db, super::Job::SessionPurge, "DELETE FROM sessions WHERE expires_at <= $1", now_unix)
        .await
}
