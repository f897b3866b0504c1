//! `/api/users/me/2fa*`: turning two-factor sign-in on (setup, then enable with a code) and off.
//! The sign-in step itself is `POST /api/auth/login/2fa` (`auth`); the codes are checked by
//! `crate::auth::totp`. No API token may use these routes.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::Body;
use crate::auth::password::confirm;
use crate::auth::totp::{self, second_factor};
use crate::auth::{Client, SessionUser};
use crate::db::{audit, sessions, two_factor, users, Db};
use crate::domain::audit::{Action, Details, TargetType};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::App;

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![setup, enable, disable]
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordOnly {
    /// The account's current password.
    #[schema(value_type = String, required = true)]
    password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeOnly {
    /// The 6-digit code the authenticator app shows for the new secret.
    #[schema(value_type = String, required = true)]
    code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordAndCode {
    #[schema(value_type = String, required = true)]
    password: Option<String>,
    /// A 6-digit code, or one of the recovery codes.
    #[schema(value_type = String, required = true)]
    code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Enrolment {
    /// Base32, for typing into an authenticator app by hand.
    secret: String,
    /// `otpauth://totp/…`, what the QR code holds.
    otpauth_url: String,
    /// The QR code of `otpauthUrl`, an SVG document.
    qr_svg: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCodes {
    /// Ten one-time codes, each able to stand for a code from the app once. Shown only here.
    recovery_codes: Vec<String>,
}

fn code_problem() -> ApiError {
    ApiError::field("code", "is not the current code of the authenticator app")
}

/// Start turning two-factor sign-in on: a new secret, its `otpauth://` URL and QR code. It takes
/// effect once a code from it is confirmed (`enable`); setting up again before that replaces it.
#[utoipa::path(post, path = "/api/users/me/2fa/setup", tag = "users", request_body = PasswordOnly,
    responses((status = 200, body = Enrolment), (status = 403, description = "`wrong_password`", body = ErrorBody),
        (status = 409, description = "`already_exists`: two-factor sign-in is on already", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/users/me/2fa/setup", data = "<body>")]
pub async fn setup(
    auth: SessionUser,
    client: Client,
    db: &Db,
    app: &State<App>,
    body: Body<PasswordOnly>,
) -> ApiResult<Json<Enrolment>> {
    confirm(&app.hasher, &app.limits, client.ip, &auth.user, "password", body.0.password.as_deref()).await?;
    if auth.user.two_factor() {
        return Err(ApiError::conflict(
            "already_exists",
            "Two-factor sign-in is on already; turn it off first.",
        ));
    }
    let secret = totp::new_secret();
    two_factor::set_pending(&db.write, auth.id(), &secret).await?;
    let (otpauth_url, qr_svg) = totp::enrolment(&secret, &auth.user.email);
    Ok(Json(Enrolment { secret, otpauth_url, qr_svg }))
}

/// Turn two-factor sign-in on with a code from the new secret. Answers the ten recovery codes
/// (once), and signs out every other session; API tokens stay.
#[utoipa::path(post, path = "/api/users/me/2fa/enable", tag = "users", request_body = CodeOnly,
    responses((status = 200, body = RecoveryCodes),
        (status = 400, description = "`validation_failed` naming `code`: wrong, or no setup started", body = ErrorBody),
        (status = 409, description = "`already_exists`: two-factor sign-in is on already", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/users/me/2fa/enable", data = "<body>")]
pub async fn enable(
    auth: SessionUser,
    client: Client,
    db: &Db,
    body: Body<CodeOnly>,
) -> ApiResult<Json<RecoveryCodes>> {
    let Some(code) = body.0.code else { return Err(ApiError::field("code", "is required")) };
    let mut tx = db.write.begin().await?;
    let user = users::lock(&mut tx, auth.id()).await?.ok_or(ApiError::Unauthorized)?;
    if user.two_factor() {
        return Err(ApiError::conflict(
            "already_exists",
            "Two-factor sign-in is on already; turn it off first.",
        ));
    }
    let Some(pending) = &user.totp_pending else {
        return Err(ApiError::field("code", "has no setup to confirm: start the setup first"));
    };
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let step = totp::matching_step(pending, &code, now).ok_or_else(code_problem)?;
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|(_, h)| h.clone()).collect();
    two_factor::enable(&mut tx, user.id, step as i64, &hashes).await?;
    sessions::revoke_all(&mut tx, user.id, Some(auth.session_id)).await?;
    audit::record(&mut tx, client.event(Action::TwoFactorEnabled).by(&user).on(TargetType::User, user.id))
        .await?;
    tx.commit().await?;
    Ok(Json(RecoveryCodes { recovery_codes: codes.into_iter().map(|(c, _)| c).collect() }))
}

/// Turn two-factor sign-in off, with the password and a code (or a recovery code). Signs out
/// every other session; API tokens stay.
#[utoipa::path(delete, path = "/api/users/me/2fa", tag = "users", request_body = PasswordAndCode,
    responses((status = 204), (status = 400, description = "`validation_failed` naming `code`", body = ErrorBody),
        (status = 403, description = "`wrong_password`", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/users/me/2fa", data = "<body>")]
pub async fn disable(
    auth: SessionUser,
    client: Client,
    db: &Db,
    app: &State<App>,
    body: Body<PasswordAndCode>,
) -> ApiResult<Status> {
    let b = body.0;
    let Some(code) = b.code else { return Err(ApiError::field("code", "is required")) };
    confirm(&app.hasher, &app.limits, client.ip, &auth.user, "password", b.password.as_deref()).await?;
    if !auth.user.two_factor() {
        return Ok(Status::NoContent);
    }
    let Some(method) = second_factor(db, &auth.user, &code).await? else { return Err(code_problem()) };
    let mut tx = db.write.begin().await?;
    two_factor::disable(&mut tx, auth.id()).await?;
    sessions::revoke_all(&mut tx, auth.id(), Some(auth.session_id)).await?;
    let event = client.event(Action::TwoFactorDisabled).by(&auth.user).on(TargetType::User, auth.id());
    audit::record(&mut tx, event.details(Details::new().with("method", method))).await?;
    tx.commit().await?;
    Ok(Status::NoContent)
}
