//! `/api/auth/*`: signup, login, logout, refresh and the session list.

use rocket::http::{CookieJar, Status};
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{delete, get, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::Body;
use super::schema;
use super::views::{Message, User};
use crate::auth::cookie::{self, COOKIE};
use crate::auth::limits::Subject;
use crate::auth::password::check_policy;
use crate::auth::secrets::{random_hex, sha256_hex};
use crate::auth::token::Tokens;
use crate::auth::totp::second_factor;
use crate::auth::{AnyEmail, AuthLimit, AuthUser, Client, SessionUser, SignedIn};
use crate::db::{audit, sessions, two_factor, users, users::NewUser, users::UserRow, Db, Ex};
use crate::domain::audit::{Action, Details, LoginFailure, TargetType};
use crate::domain::{DisplayName, Email, Fields, Role, Username};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::App;

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        signup,
        login,
        login_2fa,
        logout,
        logout_all,
        refresh,
        list_sessions,
        revoke_session,
        session
    ]
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignupRequest {
    #[schema(schema_with = schema::email, required = true)]
    email: Option<String>,
    /// `min_password_length` (default 8) to 128 characters, and not too easy to guess
    /// (`min_password_score`).
    #[schema(value_type = String, required = true, min_length = 8, max_length = 128)]
    password: Option<String>,
    #[schema(schema_with = schema::username_or_blank)]
    username: Option<String>,
    /// Defaults to the username, else the email's local part.
    #[schema(schema_with = schema::display_name_or_blank)]
    name: Option<String>,
}

/// `login` is a username or an email; `email` or `username` are accepted in its place (the
/// first one present is used).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    #[schema(schema_with = schema::login)]
    login: Option<String>,
    #[schema(schema_with = schema::login)]
    email: Option<String>,
    #[schema(schema_with = schema::login)]
    username: Option<String>,
    #[schema(value_type = String, required = true)]
    password: Option<String>,
}

/// The second step of a two-factor sign-in: a code is due (`POST /api/auth/login/2fa`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MfaChallenge {
    /// Always true.
    mfa_required: bool,
    /// Valid for `mfa_token_ttl` seconds (300), for one successful code or five wrong ones.
    mfa_token: String,
}

/// A login: signed in, or (two-factor sign-in on) a code is due.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginAnswer {
    SignedIn(AuthResponse),
    CodeDue(MfaChallenge),
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecondStep {
    #[schema(value_type = String, required = true)]
    mfa_token: Option<String>,
    /// The 6-digit code from the authenticator app, or one of the recovery codes.
    #[schema(value_type = String, required = true)]
    code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthResponse {
    message: &'static str,
    token: String,
    user: User,
}

/// Who is signed in, if anyone.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionProbe {
    /// Null when the request carries no live session.
    user: Option<User>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    token: String,
    user: User,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    id: i64,
    created_at: String,
    last_seen_at: String,
    user_agent: Option<String>,
    ip: Option<String>,
    /// True for the session making this request.
    current: bool,
}

/// Creates a session row (revoking the oldest beyond `MAX_SESSIONS`), signs its token and sets
/// the cookie. Answers the token and the session's id.
async fn start_session(
    db: impl Into<Ex<'_>>,
    tokens: &Tokens,
    client: &Client,
    cookies: &CookieJar<'_>,
    user: &UserRow,
) -> ApiResult<(String, i64)> {
    let now = chrono::Utc::now().timestamp();
    let ip = client.ip.to_string();
    // The `sessions_cap` trigger (migration 0004) revokes the oldest beyond `MAX_SESSIONS`.
    let session =
        sessions::insert(db, user.id, now + tokens.ttl, client.user_agent.as_deref(), Some(&ip)).await?;
    let token = tokens.issue(user, session.id, now);
    cookie::set(cookies, token.clone(), client.secure_cookie, tokens.ttl);
    Ok((token, session.id))
}

/// A failed sign-in, recorded for the account it was aimed at (when the login names one). The
/// login text itself is never kept: people type passwords into it.
async fn failed(
    db: &Db,
    app: &App,
    client: &Client,
    user: Option<&UserRow>,
    reason: LoginFailure,
) -> ApiResult<()> {
    app.metrics.login_failed(reason);
    let mut event = client.event(Action::LoginFailed).details(Details::new().with("reason", reason));
    if let Some(user) = user {
        event = event.on(TargetType::User, user.id);
    }
    audit::record(&db.write, event).await?;
    Ok(())
}

/// Create an account (role `user`) and sign in.
#[utoipa::path(post, path = "/api/auth/signup", tag = "auth", request_body = SignupRequest,
    responses(
        (status = 201, description = "Created and signed in; also sets the `stockroom_token` cookie", body = AuthResponse),
        (status = 400, description = "Invalid fields", body = ErrorBody),
        (status = 409, description = "`email_taken` or `username_taken`", body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/auth/signup", data = "<body>")]
pub async fn signup(
    _limit: AuthLimit,
    client: Client,
    db: &Db,
    app: &State<App>,
    tokens: &State<Tokens>,
    cookies: &CookieJar<'_>,
    body: Body<SignupRequest>,
) -> ApiResult<Custom<Json<AuthResponse>>> {
    let b = body.0;
    let mut f = Fields::default();
    let email = f.require("email", b.email.as_deref(), Email::parse);
    let username = b
        .username
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .and_then(|u| f.check("username", Username::parse(u)));
    let name = b
        .name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .and_then(|n| f.check("name", DisplayName::parse(n)));
    let password = f.require("password", b.password, Ok);
    if let Some(password) = &password {
        let related = [
            email.as_ref().map_or("", |e| e.as_str()),
            username.as_ref().map_or("", |u| u.as_str()),
            name.as_ref().map_or("", |n| n.as_str()),
        ];
        if let Err(problem) = check_policy(app.password_policy(), password, &related).await {
            f.add("password", problem);
        }
    }
    f.finish()?;
    let (Some(email), Some(password)) = (email, password) else { unreachable!("checked by finish") };
    let name = name.unwrap_or_else(|| match &username {
        Some(u) => DisplayName::from_username(u),
        None => DisplayName::from_email(&email),
    });

    let hash = app.hasher.hash(&password).await?;
    // The account, its verification mail and its first session commit together.
    let mut tx = db.write.begin().await?;
    let user = users::insert(
        &mut tx,
        &NewUser {
            email: &email,
            username: username.as_ref(),
            name: &name,
            password_hash: &hash,
            role: Role::User,
            email_verified: false,
        },
    )
    .await?;
    app.mailer.verify_email(&mut tx, &user).await?;
    let (token, _) = start_session(&mut tx, tokens, &client, cookies, &user).await?;
    let details = Details::new().with("via", "signup").with("role", user.role);
    audit::record(
        &mut tx,
        client.event(Action::UserCreated).by(&user).on(TargetType::User, user.id).details(details),
    )
    .await?;
    tx.commit().await?;
    app.mailer.wake();
    let body = AuthResponse { message: "User created successfully", token, user: user.into() };
    Ok(Custom(Status::Created, Json(body)))
}

/// Sign in with a username or an email.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in (also sets the `stockroom_token` cookie); or, when two-factor sign-in is on, `{mfaRequired: true, mfaToken}` with no session and no cookie", body = LoginAnswer),
        (status = 400, body = ErrorBody),
        (status = 401, description = "`invalid_credentials`: unknown login or wrong password", body = ErrorBody),
        (status = 403, description = "`account_disabled` (only after a correct password)", body = ErrorBody),
        (status = 429, description = "Too many failures for this login from this client", body = ErrorBody)))]
#[post("/auth/login", data = "<body>")]
pub async fn login(
    _limit: AuthLimit,
    client: Client,
    db: &Db,
    app: &State<App>,
    tokens: &State<Tokens>,
    cookies: &CookieJar<'_>,
    body: Body<LoginRequest>,
) -> ApiResult<Json<LoginAnswer>> {
    let b = body.0;
    let mut f = Fields::default();
    let login = f.require("login", b.login.or(b.email).or(b.username), |l: String| {
        if l.trim().is_empty() {
            Err("is required".to_owned())
        } else {
            Ok(l.trim().to_owned())
        }
    });
    let password = f.require("password", b.password, Ok);
    let (Some(login), Some(password)) = (login, password) else { return Err(f.finish().unwrap_err()) };

    let user = users::by_login(&db.read, &login).await?;
    let subject = Subject::of(user.as_ref().map(|u| u.id), &login);
    // Counted before verifying, so concurrent guesses can't all slip past the limit.
    app.limits.attempt(client.ip, &subject).await?;
    let verified = app.hasher.verify(&password, user.as_ref().map(|u| u.password_hash.as_str())).await?;
    let user = match user {
        Some(user) if verified.ok => user,
        user => {
            // One stable line for fail2ban; never the password.
            tracing::warn!(target: "stockroom::auth", "login failed: client={} login={:?}", client.ip, login);
            let reason =
                if user.is_some() { LoginFailure::WrongPassword } else { LoginFailure::UnknownLogin };
            failed(db, app, &client, user.as_ref(), reason).await?;
            return Err(ApiError::InvalidCredentials);
        }
    };
    if !user.is_active {
        app.limits.succeeded(client.ip, &subject).await?;
        failed(db, app, &client, Some(&user), LoginFailure::AccountDisabled).await?;
        return Err(ApiError::AccountDisabled);
    }
    if let Some(hash) = verified.rehash {
        users::set_password(&db.write, user.id, &hash).await?;
    }
    if user.two_factor() {
        // The failures counted so far stand until the code is right too.
        let mfa_token = random_hex();
        let hash = sha256_hex(&mfa_token);
        let expires_at = chrono::Utc::now().timestamp() + app.config.mfa_token_ttl as i64;
        two_factor::open_challenge(&db.write, user.id, &hash, expires_at).await?;
        return Ok(Json(LoginAnswer::CodeDue(MfaChallenge { mfa_required: true, mfa_token })));
    }
    app.limits.succeeded(client.ip, &subject).await?;
    signed_in(db, tokens, &client, cookies, user, "password").await.map(|a| Json(LoginAnswer::SignedIn(a)))
}

/// The end of every successful sign-in: `lastLogin`, a session, the cookie, the event, together.
async fn signed_in(
    db: &Db,
    tokens: &Tokens,
    client: &Client,
    cookies: &CookieJar<'_>,
    user: UserRow,
    method: &str,
) -> ApiResult<AuthResponse> {
    let mut tx = db.write.begin().await?;
    let last_login = users::touch_login(&mut tx, user.id).await?;
    let user = UserRow { last_login: Some(last_login), ..user };
    let (token, session) = start_session(&mut tx, tokens, client, cookies, &user).await?;
    let event = client.event(Action::Login).by(&user).on(TargetType::Session, session);
    audit::record(&mut tx, event.details(Details::new().with("method", method))).await?;
    tx.commit().await?;
    Ok(AuthResponse { message: "Login successful", token, user: user.into() })
}

/// Most codes one sign-in challenge takes.
const MFA_MAX_CODES: i64 = 5;

/// The second step of a sign-in with two-factor sign-in on: the `mfaToken` from the password
/// step and a code (TOTP, one step either side of now and never a step used before, or a
/// recovery code, once). Answers exactly as a login. Wrong codes count as failed logins.
#[utoipa::path(post, path = "/api/auth/login/2fa", tag = "auth", request_body = SecondStep,
    responses(
        (status = 200, description = "Signed in; also sets the `stockroom_token` cookie", body = AuthResponse),
        (status = 400, body = ErrorBody),
        (status = 401, description = "`invalid_credentials`: a wrong code, or an `mfaToken` that is unknown, expired, used, or has had five wrong codes", body = ErrorBody),
        (status = 403, description = "`account_disabled`", body = ErrorBody),
        (status = 429, description = "Too many failures for this account from this client", body = ErrorBody)))]
#[post("/auth/login/2fa", data = "<body>")]
pub async fn login_2fa(
    _limit: AuthLimit,
    client: Client,
    db: &Db,
    app: &State<App>,
    tokens: &State<Tokens>,
    cookies: &CookieJar<'_>,
    body: Body<SecondStep>,
) -> ApiResult<Json<AuthResponse>> {
    let b = body.0;
    let mut f = Fields::default();
    let mfa_token = f.require("mfaToken", b.mfa_token, Ok);
    let code = f.require("code", b.code, Ok);
    f.finish()?;
    let (Some(mfa_token), Some(code)) = (mfa_token, code) else { unreachable!("checked by finish") };
    let now = chrono::Utc::now().timestamp();
    // Counted before the code is checked, so concurrent guesses can't exceed five.
    let (challenge, user_id) =
        two_factor::attempt_challenge(&db.write, &sha256_hex(&mfa_token), now, MFA_MAX_CODES)
            .await?
            .ok_or(ApiError::InvalidCredentials)?;
    let subject = Subject::Account(user_id);
    app.limits.attempt(client.ip, &subject).await?;
    let user = users::by_id(&db.read, user_id).await?.ok_or(ApiError::InvalidCredentials)?;
    if !user.is_active {
        failed(db, app, &client, Some(&user), LoginFailure::AccountDisabled).await?;
        return Err(ApiError::AccountDisabled);
    }
    let Some(method) = second_factor(db, &user, &code).await? else {
        tracing::warn!(target: "stockroom::auth", "login failed: client={} login={:?} (wrong code)", client.ip, user.email);
        failed(db, app, &client, Some(&user), LoginFailure::WrongCode).await?;
        return Err(ApiError::InvalidCredentials);
    };
    if !two_factor::close_challenge(&db.write, challenge).await? {
        return Err(ApiError::InvalidCredentials);
    }
    app.limits.succeeded(client.ip, &subject).await?;
    signed_in(db, tokens, &client, cookies, user, method).await.map(Json)
}

/// Revoke this token's session and clear the cookie. Always succeeds: without a token, or with
/// an expired or revoked one, there is nothing to revoke and the cookie is still cleared.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 200, body = Message), (status = 403, description = "`csrf_rejected`", body = ErrorBody)),
    security((), ("bearer" = []), ("cookie" = [])))]
#[post("/auth/logout")]
pub async fn logout(
    _limit: AuthLimit,
    auth: Result<SessionUser<AnyEmail>, ApiError>,
    client: Client,
    db: &Db,
    cookies: &CookieJar<'_>,
) -> ApiResult<Json<Message>> {
    match auth {
        Ok(auth) => {
            ended(db, &client, &auth, Some(auth.session_id), Details::new()).await?;
        }
        // A live session behind a cross-site request stays: that is the one refusal.
        Err(ApiError::CsrfRejected) => return Err(ApiError::CsrfRejected),
        // Missing, expired or revoked: there is nothing to end, and signing out still works.
        Err(_) => {}
    }
    cookie::clear(cookies);
    Ok(Json(Message::new("Logged out")))
}

/// Revoke every session of this user, on every device.
#[utoipa::path(post, path = "/api/auth/logout-all", tag = "auth",
    responses((status = 200, body = Message), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/auth/logout-all")]
pub async fn logout_all(
    _limit: AuthLimit,
    auth: SessionUser<AnyEmail>,
    client: Client,
    db: &Db,
    cookies: &CookieJar<'_>,
) -> ApiResult<Json<Message>> {
    ended(db, &client, &auth, None, Details::new().with("everywhere", true)).await?;
    cookie::clear(cookies);
    Ok(Json(Message::new("Logged out everywhere")))
}

/// Exchange this token for a new session; the presented one is revoked.
#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth",
    responses((status = 200, body = TokenResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/auth/refresh")]
pub async fn refresh(
    _limit: AuthLimit,
    auth: SessionUser<AnyEmail>,
    client: Client,
    db: &Db,
    tokens: &State<Tokens>,
    cookies: &CookieJar<'_>,
) -> ApiResult<Json<TokenResponse>> {
    // Revoke first: of two concurrent refreshes with one token, only one gets a new session.
    if !sessions::revoke(&db.write, auth.id(), auth.session_id).await? {
        return Err(ApiError::Unauthorized);
    }
    let (token, _) = start_session(&db.write, tokens, &client, cookies, &auth.user).await?;
    Ok(Json(TokenResponse { token, user: auth.0.user.into() }))
}

/// This user's live sessions, newest first.
#[utoipa::path(get, path = "/api/auth/sessions", tag = "auth",
    responses((status = 200, body = Vec<Session>), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/auth/sessions")]
pub async fn list_sessions(
    _limit: AuthLimit,
    auth: SessionUser<AnyEmail>,
    db: &Db,
) -> ApiResult<Json<Vec<Session>>> {
    let now = chrono::Utc::now().timestamp();
    let rows = sessions::for_user(&db.read, auth.id(), now).await?;
    let list = rows
        .into_iter()
        .map(|s| Session {
            current: s.id == auth.session_id,
            id: s.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            user_agent: s.user_agent,
            ip: s.ip,
        })
        .collect();
    Ok(Json(list))
}

/// Revoke one of this user's sessions (another user's is 404).
#[utoipa::path(delete, path = "/api/auth/sessions/{id}", tag = "auth",
    params(("id" = i64, Path, description = "Session id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/auth/sessions/<id>")]
pub async fn revoke_session(
    _limit: AuthLimit,
    auth: SessionUser<AnyEmail>,
    client: Client,
    db: &Db,
    id: i64,
) -> ApiResult<Status> {
    if ended(db, &client, &auth, Some(id), Details::new().with("current", id == auth.session_id)).await? {
        Ok(Status::NoContent)
    } else {
        Err(ApiError::NotFound("Session"))
    }
}

/// Ends one session of the user (`Some(id)`) or all of them, with its `auth.logout` event.
/// False when there was no such live session (and nothing is recorded).
async fn ended(
    db: &Db,
    client: &Client,
    auth: &AuthUser,
    session: Option<i64>,
    details: Details,
) -> ApiResult<bool> {
    let mut tx = db.write.begin().await?;
    let ended = match session {
        Some(id) => sessions::revoke(&mut tx, auth.id(), id).await?,
        None => sessions::revoke_all(&mut tx, auth.id(), None).await? > 0,
    };
    if !ended {
        return Ok(false);
    }
    let mut event = client.event(Action::Logout).by(&auth.user).details(details);
    if let Some(id) = session {
        event = event.on(TargetType::Session, id);
    }
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(true)
}

/// Who is signed in: always 200, with `user` null when nobody is, so that a signed-out page load
/// is not an error. A cookie whose session is dead is cleared. Outside `/api/auth/` so that the
/// web app's probe on every page load does not count against the sign-in rate limit.
#[utoipa::path(get, path = "/api/session", tag = "auth",
    responses((status = 200, body = SessionProbe)),
    security((), ("bearer" = []), ("cookie" = [])))]
#[get("/session")]
pub async fn session(auth: Result<SignedIn, ApiError>, cookies: &CookieJar<'_>) -> Json<SessionProbe> {
    match auth {
        Ok(auth) => Json(SessionProbe { user: Some(auth.0.user.into()) }),
        Err(_) => {
            if cookies.get(COOKIE).is_some() {
                cookie::clear(cookies);
            }
            Json(SessionProbe { user: None })
        }
    }
}
