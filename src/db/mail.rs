//! Queries on `mail_tokens` (one-time tokens sent by mail, stored as hashes) and `mail_outbox`
//! (every mail, written in the transaction of its cause, delivered by `mail::worker`).

use super::engine::{with_conn, Ex, Pool, Tx};
use super::query::{page_of, returning, timestamp, Filter, Listing};
use crate::domain::mail::MailStatus;
use crate::domain::ClosedSet;

/// What a mailed token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    PasswordReset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::PasswordReset => "password_reset",
        }
    }
}

/// A live token: whose, and the address it was sent to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub user_id: i64,
    pub email: String,
}

pub async fn insert_token(
    tx: &mut Tx,
    user_id: i64,
    purpose: Purpose,
    email: &str,
    token_hash: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(tx, |c| sqlx::query(
        "INSERT INTO mail_tokens (user_id, purpose, token_hash, email, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(token_hash)
    .bind(email)
    .bind(expires_at)
    .bind(timestamp())
    .execute(c)
    .await
    .map(drop))
}

/// Voids every token of this purpose the user holds (pass `None` for every purpose).
pub async fn void_tokens(
    db: impl Into<Ex<'_>>,
    user_id: i64,
    purpose: Option<Purpose>,
) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query(
        "DELETE FROM mail_tokens WHERE user_id = $1 AND ($2 IS NULL OR purpose = $2)"
    )
    .bind(user_id)
    .bind(purpose.map(Purpose::as_str))
    .execute(c)
    .await
    .map(drop))
}

/// The live token with this hash, without using it up.
pub async fn peek_token(
    db: impl Into<Ex<'_>>,
    purpose: Purpose,
    token_hash: &str,
    now_unix: i64,
) -> Result<Option<TokenRow>, sqlx::Error> {
    with_conn!(db, |c| sqlx::query_as(
        "SELECT user_id, email FROM mail_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3"
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now_unix)
    .fetch_optional(c)
    .await)
}

/// Uses the live token with this hash up: of two concurrent uses, one gets it.
pub async fn take_token(
    tx: &mut Tx,
    purpose: Purpose,
    token_hash: &str,
    now_unix: i64,
) -> Result<Option<TokenRow>, sqlx::Error> {
    with_conn!(tx, |c| {
        let query = sqlx::query_as(
            "DELETE FROM mail_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3
             RETURNING user_id, email",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(now_unix);
        super::query::returning_optional(query, c).await
    })
}

/// Expired tokens are dead already; this only keeps the table small.
pub async fn purge_expired_tokens(db: &Pool, now_unix: i64) -> Result<u64, sqlx::Error> {
    super::purge_round(
        db,
        super::Job::MailTokenPurge,
        "DELETE FROM mail_tokens WHERE expires_at <= $1",
        now_unix,
    )
    .await
}

/// A rendered mail, as queued.
pub struct NewMail<'a> {
    pub user_id: Option<i64>,
    pub recipient: &'a str,
    pub template: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub link: Option<&'a str>,
    pub message_id: &'a str,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub user_id: Option<i64>,
    pub recipient: String,
    pub template: String,
    pub subject: String,
    pub body_text: Option<String>,
    pub body_html: Option<String>,
    pub link: Option<String>,
    pub status: MailStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: i64,
    pub message_id: String,
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// Queues a mail in the caller's transaction, due at once.
pub async fn queue(tx: &mut Tx, m: &NewMail<'_>) -> Result<i64, sqlx::Error> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    with_conn!(tx, |c| {
        let query = sqlx::query_as(
            "INSERT INTO mail_outbox (user_id, recipient, template, subject, body_text, body_html, link,
                                      next_attempt_at, message_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(m.user_id)
        .bind(m.recipient)
        .bind(m.template)
        .bind(m.subject)
        .bind(m.body_text)
        .bind(m.body_html)
        .bind(m.link)
        .bind(now_ms)
        .bind(m.message_id)
        .bind(timestamp());
        returning(query, c).await.map(|(id,): (i64,)| id)
    })
}

/// When the latest mail from `template` to this user was queued, if any.
pub async fn last_queued(tx: &mut Tx, user_id: i64, template: &str) -> Result<Option<String>, sqlx::Error> {
    with_conn!(tx, |c| sqlx::query_scalar(
        "SELECT max(created_at) FROM mail_outbox WHERE user_id = $1 AND template = $2"
    )
    .bind(user_id)
    .bind(template)
    .fetch_one(c)
    .await)
}

/// Takes the next due mail for one attempt: its `next_attempt_at` moves to `lease_until`, so
/// no other worker takes it meanwhile, and a worker that dies mid-attempt only delays it. On
/// Postgres `SKIP LOCKED` lets several instances claim different mails at once.
pub async fn claim(db: &Pool, now_ms: i64, lease_until: i64) -> Result<Option<OutboxRow>, sqlx::Error> {
    let sql = format!(
        "UPDATE mail_outbox SET next_attempt_at = $1, attempts = attempts + 1
         WHERE id = (SELECT id FROM mail_outbox WHERE status = 'queued' AND next_attempt_at <= $2
                     ORDER BY next_attempt_at, id LIMIT 1{})
           AND status = 'queued' AND next_attempt_at <= $2
         RETURNING *",
        db.kind().pick("", " FOR UPDATE SKIP LOCKED")
    );
    with_conn!(db, |c| {
        let query = sqlx::query_as(&sql).bind(lease_until).bind(now_ms);
        super::query::returning_optional(query, c).await
    })
}

/// Delivered: the body and the link are erased.
pub async fn mark_sent(db: &Pool, id: i64) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| {
        sqlx::query(
        "UPDATE mail_outbox SET status = 'sent', sent_at = $1, body_text = NULL, body_html = NULL, link = NULL
         WHERE id = $2"
    )
    .bind(timestamp())
    .bind(id)
    .execute(c)
    .await
    .map(drop)
    })
}

/// Failed this time: tried again at `next_at` (unix ms).
pub async fn mark_retry(db: &Pool, id: i64, next_at: i64, error: &str) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query(
        "UPDATE mail_outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3"
    )
    .bind(next_at)
    .bind(error)
    .bind(id)
    .execute(c)
    .await
    .map(drop))
}

/// Failed for good: the body and the link are erased.
pub async fn mark_failed(db: &Pool, id: i64, error: &str) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query(
        "UPDATE mail_outbox SET status = 'failed', last_error = $1, body_text = NULL, body_html = NULL,
         link = NULL WHERE id = $2"
    )
    .bind(error)
    .bind(id)
    .execute(c)
    .await
    .map(drop))
}

/// The outbox, newest first, optionally of one status.
/// How many mails the outbox holds in each status.
pub async fn count_by_status(db: impl Into<Ex<'_>>) -> Result<Vec<(MailStatus, i64)>, sqlx::Error> {
    with_conn!(db, |c| sqlx::query_as("SELECT status, count(*) FROM mail_outbox GROUP BY status")
        .fetch_all(c)
        .await)
}

pub async fn page(
    db: &Pool,
    status: Option<MailStatus>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<OutboxRow>, i64), sqlx::Error> {
    let mut filter = Filter::default();
    filter.when("status = ?", status.map(MailStatus::as_str));
    page_of(db, &Listing { columns: "*", from: "mail_outbox", order_by: "id DESC" }, filter, limit, offset)
        .await
}
