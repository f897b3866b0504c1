//! The routes mail makes possible: verifying an email, resetting a forgotten password, and the
//! outbox for user managers (`/api/auth/verify-email*`, `/api/auth/password-reset*`,
//! `/api/admin/mail`). What is mailed and how is in `crate::mail`.

use std::time::{Duration, Instant};

use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::Body;
use super::query::{Page, Paging, Query};
use super::schema;
use super::views::Message;
use crate::auth::guards::UsersManage;
use crate::auth::password::check_new_password;
use crate::auth::{AuthLimit, Client, Perm, SignedIn};
use crate::db::mail::{self as outbox, OutboxRow, Purpose};
use crate::db::{audit, sessions, users, Db};
use crate::domain::audit::{Action, TargetType};
use crate::domain::mail::MailStatus;
use crate::domain::{Email, Fields};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::mail::{hash_token, wait_left, Template};
use crate::App;

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![verify_email, resend_verification, password_reset, password_reset_confirm, list_mail]
}

/// A reset request answers no sooner than this, whether it found an account or not, so its
/// timing does not tell (finding one adds a write of a few milliseconds).
const RESET_ANSWER_AFTER: Duration = Duration::from_millis(200);

const RESET_ACCEPTED: &str =
    "If that address belongs to an account, a link to reset its password is on its way.";

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// The token from the link's fragment (`#token=…`).
    #[schema(value_type = String, required = true)]
    token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetRequest {
    #[schema(schema_with = schema::email, required = true)]
    email: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResetConfirmation {
    /// The token from the link's fragment (`#token=…`).
    #[schema(value_type = String, required = true)]
    token: Option<String>,
    /// `min_password_length` (default 8) to 128 characters, and not too easy to guess
    /// (`min_password_score`).
    #[schema(value_type = String, required = true, min_length = 8, max_length = 128)]
    new_password: Option<String>,
}

/// One mail in the outbox: never its body or its link.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutboxMail {
    id: i64,
    to: String,
    /// `verify_email`, `password_reset`, `email_changed` or `password_changed`.
    template: String,
    status: MailStatus,
    attempts: i64,
    /// The last attempt's failure, if any.
    last_error: Option<String>,
    created_at: String,
    sent_at: Option<String>,
}

impl From<OutboxRow> for OutboxMail {
    fn from(m: OutboxRow) -> OutboxMail {
        OutboxMail {
            id: m.id,
            to: m.recipient,
            template: m.template,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: m.created_at,
            sent_at: m.sent_at,
        }
    }
}

fn token_field(f: &mut Fields, token: Option<String>) -> Option<String> {
    f.require("token", token, |t: String| {
        let t = t.trim().to_owned();
        if t.is_empty() {
            Err("is required".to_owned())
        } else {
            Ok(t)
        }
    })
}

/// Confirm an email address with the token from a verification link. Needs no sign-in: the
/// link may be opened on another device.
#[utoipa::path(post, path = "/api/auth/verify-email", tag = "auth", request_body = TokenRequest,
    responses((status = 200, body = Message),
        (status = 400, description = "`invalid_token`: bad, used or expired, or for an address the account no longer has", body = ErrorBody)))]
#[post("/auth/verify-email", data = "<body>")]
pub async fn verify_email(_limit: AuthLimit, db: &Db, body: Body<TokenRequest>) -> ApiResult<Json<Message>> {
    let mut f = Fields::default();
    let token = token_field(&mut f, body.0.token);
    f.finish()?;
    let hash = hash_token(&token.unwrap_or_default());
    let mut tx = db.write.begin().await?;
    let now = chrono::Utc::now().timestamp();
    let taken =
        outbox::take_token(&mut tx, Purpose::VerifyEmail, &hash, now).await?.ok_or(ApiError::InvalidToken)?;
    let user = users::lock(&mut tx, taken.user_id).await?.ok_or(ApiError::InvalidToken)?;
    if user.email != taken.email {
        return Err(ApiError::InvalidToken);
    }
    users::set_verified(&mut tx, user.id).await?;
    tx.commit().await?;
    Ok(Json(Message::new("Your email address is verified.")))
}

/// Mail a new verification link to the signed-in user's address: at most one mail per 60 s.
#[utoipa::path(post, path = "/api/auth/verify-email/resend", tag = "auth",
    responses((status = 202, description = "Queued (or nothing to do: the address is verified already)", body = Message),
        (status = 429, description = "`rate_limited`: a verification mail went out less than 60 s ago; see `Retry-After`", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/auth/verify-email/resend")]
pub async fn resend_verification(
    _limit: AuthLimit,
    auth: SignedIn,
    db: &Db,
    app: &State<App>,
) -> ApiResult<Custom<Json<Message>>> {
    let mut tx = db.write.begin().await?;
    // Locked, so two concurrent requests can't both pass the throttle.
    let user = users::lock(&mut tx, auth.id()).await?.ok_or(ApiError::Unauthorized)?;
    if user.email_verified {
        return Ok(Custom(Status::Accepted, Json(Message::new("Your email address is verified already."))));
    }
    let left = wait_left(&mut tx, user.id, Template::VerifyEmail).await?;
    if left > 0 {
        return Err(ApiError::RateLimited(left));
    }
    app.mailer.verify_email(&mut tx, &user).await?;
    tx.commit().await?;
    app.mailer.wake();
    Ok(Custom(Status::Accepted, Json(Message::new("A new verification link is on its way."))))
}

/// Ask for a password-reset link. Always the same 202, in about the same time, whether or not
/// the address belongs to an active account; at most one mail per account per 60 s.
#[utoipa::path(post, path = "/api/auth/password-reset", tag = "auth", request_body = ResetRequest,
    responses((status = 202, body = Message)))]
#[post("/auth/password-reset", data = "<body>")]
pub async fn password_reset(
    _limit: AuthLimit,
    db: &Db,
    app: &State<App>,
    body: Body<ResetRequest>,
) -> ApiResult<Custom<Json<Message>>> {
    let started = Instant::now();
    let mut f = Fields::default();
    let email = f.require("email", body.0.email.as_deref(), Email::parse);
    f.finish()?;
    let email = email.expect("checked by finish");
    let queued = queue_reset(db, app, &email).await;
    rocket::tokio::time::sleep(RESET_ANSWER_AFTER.saturating_sub(started.elapsed())).await;
    if queued? {
        app.mailer.wake();
    }
    Ok(Custom(Status::Accepted, Json(Message::new(RESET_ACCEPTED))))
}

/// Queues a reset mail when `email` is an active account's and none went out in the last
/// minute; whether it did is for the caller's logs only, never the answer.
async fn queue_reset(db: &Db, app: &App, email: &Email) -> ApiResult<bool> {
    let Some(found) = users::by_login(&db.read, email.as_str()).await? else { return Ok(false) };
    let mut tx = db.write.begin().await?;
    let Some(user) = users::lock(&mut tx, found.id).await? else { return Ok(false) };
    if !user.is_active || wait_left(&mut tx, user.id, Template::PasswordReset).await? > 0 {
        return Ok(false);
    }
    app.mailer.password_reset(&mut tx, &user).await?;
    tx.commit().await?;
    Ok(true)
}

/// Set a new password with the token from a reset link. Every session is revoked, every other
/// reset link dies, the email counts as verified, and a "password changed" notice is mailed. A
/// password the policy refuses (400 naming `newPassword`) leaves the token usable.
#[utoipa::path(post, path = "/api/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirmation,
    responses((status = 200, body = Message),
        (status = 400, description = "`invalid_token` (bad, used or expired), or `validation_failed` naming `newPassword`", body = ErrorBody),
        (status = 403, description = "`account_disabled`", body = ErrorBody)))]
#[post("/auth/password-reset/confirm", data = "<body>")]
pub async fn password_reset_confirm(
    _limit: AuthLimit,
    client: Client,
    db: &Db,
    app: &State<App>,
    body: Body<ResetConfirmation>,
) -> ApiResult<Json<Message>> {
    let b = body.0;
    let mut f = Fields::default();
    let token = token_field(&mut f, b.token);
    let password = f.require("newPassword", b.new_password, Ok);
    f.finish()?;
    let (Some(token), Some(password)) = (token, password) else { unreachable!("checked by finish") };
    let hash = hash_token(&token);
    let now = chrono::Utc::now().timestamp();

    // Checked without using the token up, so that a refused password can be retried.
    let held = outbox::peek_token(&db.read, Purpose::PasswordReset, &hash, now)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let user = users::by_id(&db.read, held.user_id).await?.ok_or(ApiError::InvalidToken)?;
    if user.email != held.email {
        return Err(ApiError::InvalidToken);
    }
    if !user.is_active {
        return Err(ApiError::AccountDisabled);
    }
    if let Err(problem) = check_new_password(app.password_policy(), &password, &user).await {
        return Err(ApiError::field("newPassword", problem));
    }
    let new_hash = app.hasher.hash(&password).await?;

    let mut tx = db.write.begin().await?;
    // Of two confirms with one token, one takes it; the row is re-read as it is now.
    outbox::take_token(&mut tx, Purpose::PasswordReset, &hash, now).await?.ok_or(ApiError::InvalidToken)?;
    let user = users::lock(&mut tx, held.user_id).await?.ok_or(ApiError::InvalidToken)?;
    if user.email != held.email {
        return Err(ApiError::InvalidToken);
    }
    if !user.is_active {
        return Err(ApiError::AccountDisabled);
    }
    users::set_password(&mut tx, user.id, &new_hash).await?;
    // The account may have been taken: every session and API token ends.
    sessions::revoke_all(&mut tx, user.id, None).await?;
    crate::db::api_tokens::revoke_all(&mut tx, user.id).await?;
    outbox::void_tokens(&mut tx, user.id, Some(Purpose::PasswordReset)).await?;
    users::set_verified(&mut tx, user.id).await?;
    app.mailer.password_changed(&mut tx, &user).await?;
    // The mailed link proved who they are: they are the actor.
    audit::record(&mut tx, client.event(Action::PasswordReset).by(&user).on(TargetType::User, user.id))
        .await?;
    tx.commit().await?;
    app.mailer.wake();
    Ok(Json(Message::new("Your password was changed. Sign in with the new one.")))
}

/// The outbox, newest first: who was mailed what and how delivery went — never a body or a
/// link.
#[utoipa::path(get, path = "/api/admin/mail", tag = "users",
    params(("status" = Option<MailStatus>, Query, description = "Only mails in this state"), Paging),
    responses((status = 200, body = Page<OutboxMail>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/admin/mail")]
pub async fn list_mail(_who: Perm<UsersManage>, mut q: Query, db: &Db) -> ApiResult<Json<Page<OutboxMail>>> {
    let paging = q.paging();
    let status = q.closed::<MailStatus>("status");
    q.finish()?;
    let (rows, total) = outbox::page(&db.read, status, paging.limit(), paging.offset()).await?;
    Ok(Json(Page::new(rows.into_iter().map(OutboxMail::from).collect(), paging, total)))
}
