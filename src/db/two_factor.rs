//! Queries for two-factor sign-in: the TOTP columns of `users`, `recovery_codes` and
//! `mfa_challenges` (the second step of a sign-in). Every "use once" is one atomic statement,
//! so of two concurrent uses exactly one wins.

use super::engine::{with_conn, Ex, Tx};
use super::query::timestamp;

/// Keeps a setup's secret until a code confirms it (replacing any earlier pending one).
pub async fn set_pending(db: impl Into<Ex<'_>>, user_id: i64, secret: &str) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2")
        .bind(secret)
        .bind(user_id)
        .execute(c)
        .await
        .map(drop))
}

/// Turns two-factor sign-in on with the pending secret; `step` (the confirming code's) counts
/// as used. Replaces the recovery codes with `code_hashes`.
pub async fn enable(tx: &mut Tx, user_id: i64, step: i64, code_hashes: &[String]) -> Result<(), sqlx::Error> {
    with_conn!(&mut *tx, |c| {
        sqlx::query(
        "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $1, updated_at = $2
         WHERE id = $3"
    )
    .bind(step)
    .bind(timestamp())
    .bind(user_id)
    .execute(c)
    .await
    .map(drop)
    })?;
    with_conn!(&mut *tx, |c| sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(c)
        .await
        .map(drop))?;
    let now = timestamp();
    for hash in code_hashes {
        with_conn!(&mut *tx, |c| sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)"
        )
        .bind(user_id)
        .bind(hash)
        .bind(&now)
        .execute(c)
        .await
        .map(drop))?;
    }
    Ok(())
}

/// Turns two-factor sign-in off: secret, pending secret, recovery codes and open challenges go.
pub async fn disable(tx: &mut Tx, user_id: i64) -> Result<(), sqlx::Error> {
    with_conn!(&mut *tx, |c| sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL, updated_at = $1
         WHERE id = $2"
    )
    .bind(timestamp())
    .bind(user_id)
    .execute(c)
    .await
    .map(drop))?;
    for sql in
        ["DELETE FROM recovery_codes WHERE user_id = $1", "DELETE FROM mfa_challenges WHERE user_id = $1"]
    {
        with_conn!(&mut *tx, |c| sqlx::query(sql).bind(user_id).execute(c).await.map(drop))?;
    }
    Ok(())
}

/// Marks `step` used, unless it (or a later one) was used already: false is a replay.
pub async fn use_step(db: impl Into<Ex<'_>>, user_id: i64, step: i64) -> Result<bool, sqlx::Error> {
    let n = with_conn!(db, |c| sqlx::query(
        "UPDATE users SET totp_last_step = $1
         WHERE id = $2 AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $1)"
    )
    .bind(step)
    .bind(user_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Uses a recovery code up: false when the user has no such (unused) code.
pub async fn use_recovery_code(
    db: impl Into<Ex<'_>>,
    user_id: i64,
    code_hash: &str,
) -> Result<bool, sqlx::Error> {
    let n =
        with_conn!(db, |c| sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2")
            .bind(user_id)
            .bind(code_hash)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn recovery_codes_left(db: impl Into<Ex<'_>>, user_id: i64) -> Result<i64, sqlx::Error> {
    with_conn!(db, |c| sqlx::query_scalar("SELECT count(*) FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(c)
        .await)
}

pub async fn open_challenge(
    db: impl Into<Ex<'_>>,
    user_id: i64,
    token_hash: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query(
        "INSERT INTO mfa_challenges (user_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4)"
    )
    .bind(user_id)
    .bind(token_hash)
    .bind(expires_at)
    .bind(timestamp())
    .execute(c)
    .await
    .map(drop))
}

/// Counts one code against a live challenge before the code is checked, so concurrent guesses
/// can't exceed `max`: the challenge's (id, user), or none when it is unknown, expired or used up.
pub async fn attempt_challenge(
    db: impl Into<Ex<'_>>,
    token_hash: &str,
    now_unix: i64,
    max: i64,
) -> Result<Option<(i64, i64)>, sqlx::Error> {
    with_conn!(db, |c| {
        let query = sqlx::query_as(
            "UPDATE mfa_challenges SET attempts = attempts + 1
             WHERE token_hash = $1 AND expires_at > $2 AND attempts < $3 RETURNING id, user_id",
        )
        .bind(token_hash)
        .bind(now_unix)
        .bind(max);
        super::query::returning_optional(query, c).await
    })
}

/// Ends a challenge after its success: false when a concurrent success ended it first.
pub async fn close_challenge(db: impl Into<Ex<'_>>, id: i64) -> Result<bool, sqlx::Error> {
    let n = with_conn!(db, |c| sqlx::query("DELETE FROM mfa_challenges WHERE id = $1")
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Expired challenges are dead already; this only keeps the table small.
pub async fn purge_expired(db: &super::Pool, now_unix: i64) -> Result<u64, sqlx::Error> {
    super::purge_round(
        db,
        super::Job::ChallengePurge,
        "DELETE FROM mfa_challenges WHERE expires_at <= $1",
        now_unix,
    )
    .await
}
