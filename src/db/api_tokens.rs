//! Queries on `api_tokens`: personal tokens for scripts, stored as SHA-256 hashes.

use super::engine::{with_conn, Ex};
use super::query::{returning, timestamp};
use super::users::UserRow;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub token_hash: String,
    pub prefix: String,
    /// Comma-separated `Scope` names.
    pub scopes: String,
    pub created_at: String,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<String>,
}

pub struct NewToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub prefix: &'a str,
    pub scopes: &'a str,
    pub expires_at: Option<i64>,
}

pub async fn insert(db: impl Into<Ex<'_>>, t: &NewToken<'_>) -> Result<TokenRow, sqlx::Error> {
    with_conn!(db, |c| {
        let query = sqlx::query_as(
            "INSERT INTO api_tokens (user_id, name, token_hash, prefix, scopes, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(t.user_id)
        .bind(t.name)
        .bind(t.token_hash)
        .bind(t.prefix)
        .bind(t.scopes)
        .bind(timestamp())
        .bind(t.expires_at);
        returning(query, c).await
    })
}

/// The live token with this hash and its user, in one query.
pub async fn live_with_user(
    db: impl Into<Ex<'_>>,
    token_hash: &str,
    now_unix: i64,
) -> Result<Option<(TokenRow, UserRow)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        t_id: i64,
        t_name: String,
        t_prefix: String,
        t_scopes: String,
        t_created_at: String,
        t_expires_at: Option<i64>,
        t_last_used_at: Option<String>,
        #[sqlx(flatten)]
        user: UserRow,
    }
    let row: Option<Row> = with_conn!(db, |c| {
        sqlx::query_as(
        "SELECT t.id AS t_id, t.name AS t_name, t.prefix AS t_prefix, t.scopes AS t_scopes,
                t.created_at AS t_created_at, t.expires_at AS t_expires_at, t.last_used_at AS t_last_used_at, u.*
         FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1 AND (t.expires_at IS NULL OR t.expires_at > $2)",
    )
    .bind(token_hash)
    .bind(now_unix)
    .fetch_optional(c)
    .await
    })?;
    Ok(row.map(|r| {
        let token = TokenRow {
            id: r.t_id,
            user_id: r.user.id,
            name: r.t_name,
            token_hash: token_hash.to_owned(),
            prefix: r.t_prefix,
            scopes: r.t_scopes,
            created_at: r.t_created_at,
            expires_at: r.t_expires_at,
            last_used_at: r.t_last_used_at,
        };
        (token, r.user)
    }))
}

pub async fn touch(db: impl Into<Ex<'_>>, id: i64) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(timestamp())
        .bind(id)
        .execute(c)
        .await
        .map(drop))
}

pub async fn for_user(db: impl Into<Ex<'_>>, user_id: i64) -> Result<Vec<TokenRow>, sqlx::Error> {
    with_conn!(db, |c| sqlx::query_as("SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY id DESC")
        .bind(user_id)
        .fetch_all(c)
        .await)
}

/// Revokes one token of this user; false when there was none.
pub async fn revoke(db: impl Into<Ex<'_>>, user_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    let n = with_conn!(db, |c| sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Answers how many there were.
pub async fn revoke_all(db: impl Into<Ex<'_>>, user_id: i64) -> Result<u64, sqlx::Error> {
    with_conn!(db, |c| sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
        .bind(user_id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
}
