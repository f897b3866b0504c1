//! Request guards that say who may call a route. Handlers never re-check authentication by hand.

use std::marker::PhantomData;
use std::net::{IpAddr, Ipv4Addr};

use rocket::http::Method;
use rocket::request::{FromRequest, Outcome, Request};
use rocket_db_pools::Database;

use super::cookie::COOKIE;
use super::token::Tokens;
use crate::config::CookieSecure;
use crate::db::audit::Event;
use crate::db::{api_tokens, sessions, users::UserRow, Db};
use crate::domain::audit::Action;
use crate::domain::{ClosedSet, Permission, Scope};
use crate::error::{stash, ApiError, ApiResult};
use crate::App;

/// How often a session's `lastSeenAt` is written back (not on every request: that would turn
/// every read into a write).
const TOUCH_AFTER_SECS: i64 = 60;

fn state<'r, T: Send + Sync + 'static>(req: &'r Request<'_>) -> &'r T {
    req.rocket().state::<T>().expect("state is managed by build()")
}

/// The client's address: the peer, or what `X-Forwarded-For` says when the peer is a trusted
/// proxy (the right-most address that is not itself a trusted proxy).
pub fn client_ip(req: &Request<'_>) -> IpAddr {
    *req.local_cache(|| {
        let trusted = &state::<App>(req).config.trusted_proxies;
        let peer = req.remote().map(|r| r.ip()).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        if !trusted.contains(&peer) {
            return peer;
        }
        let hops = req.headers().get("X-Forwarded-For").flat_map(|h| h.split(','));
        let hops: Vec<IpAddr> = hops.filter_map(|h| h.trim().parse().ok()).collect();
        hops.iter().rev().find(|ip| !trusted.contains(ip)).copied().unwrap_or(peer)
    })
}

/// True when a trusted proxy says the client used HTTPS.
pub fn forwarded_https(req: &Request<'_>) -> bool {
    let peer = req.remote().map(|r| r.ip());
    peer.is_some_and(|p| state::<App>(req).config.trusted_proxies.contains(&p))
        && req.headers().get_one("X-Forwarded-Proto").is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// Who is on the other end: address, user agent, and whether the session cookie is `Secure`.
pub struct Client {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
    pub secure_cookie: bool,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Client {
    type Error = ApiError;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let secure_cookie = match state::<App>(req).config.cookie_secure {
            CookieSecure::Always => true,
            CookieSecure::Never => false,
            CookieSecure::Auto => forwarded_https(req),
        };
        let user_agent = req.headers().get_one("User-Agent").map(|ua| ua.chars().take(256).collect());
        Outcome::Success(Client { ip: client_ip(req), user_agent, secure_cookie })
    }
}

impl Client {
    /// An audit event that came from this client.
    pub fn event(&self, action: Action) -> Event {
        Event::new(action).from(self.ip.to_string(), self.user_agent.clone())
    }
}

/// Counts the request against the per-client limit on `/api/auth/*`.
pub struct AuthLimit;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AuthLimit {
    type Error = ApiError;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        match state::<App>(req).limits.hit_auth(client_ip(req)).await {
            Ok(()) => Outcome::Success(AuthLimit),
            Err(e) => Outcome::Error(stash(req, e)),
        }
    }
}

/// What an API token may do (its scopes), and which token it is.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub id: i64,
    pub scopes: Vec<Scope>,
}

/// A caller with a valid credential — a session's token or cookie, or a personal API token —
/// and an existing, active user; and, when `require_verified_email` is on, a verified email
/// (else 403 `email_unverified`). Loaded once per request. Role and permissions come from the
/// database row, never from the token.
///
/// As a guard it admits an API token on a GET only, and only with the `read` scope (else 403
/// `insufficient_scope`): routes a token may use otherwise say so with `Scoped<S>` or
/// `Perm<P>`; routes no token may use take `SessionUser`.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: UserRow,
    /// The session of the request (0 when an API token authenticated it: only the routes that
    /// take `SessionUser` read it, and those refuse tokens).
    pub session_id: i64,
    pub token: Option<TokenGrant>,
}

impl AuthUser {
    pub fn id(&self) -> i64 {
        self.user.id
    }
}

/// The credential, verified or not, once per request.
async fn credential(req: &Request<'_>) -> ApiResult<AuthUser> {
    req.local_cache_async(authenticate(req)).await.clone()
}

fn verified(req: &Request<'_>, auth: &AuthUser) -> ApiResult<()> {
    if state::<App>(req).config.require_verified_email && !auth.user.email_verified {
        return Err(ApiError::EmailUnverified);
    }
    Ok(())
}

/// An API token needs `scope` — or, on a GET, `read`. Sessions may do all their user may.
fn covered(req: &Request<'_>, auth: &AuthUser, scope: Option<Scope>) -> ApiResult<()> {
    let Some(grant) = &auth.token else { return Ok(()) };
    let read = req.method() == Method::Get && grant.scopes.contains(&Scope::Read);
    if read || scope.is_some_and(|s| grant.scopes.contains(&s)) {
        Ok(())
    } else {
        Err(ApiError::InsufficientScope)
    }
}

fn outcome<T>(req: &Request<'_>, result: ApiResult<T>) -> Outcome<T, ApiError> {
    match result {
        Ok(v) => Outcome::Success(v),
        Err(e) => Outcome::Error(stash(req, e)),
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AuthUser {
    type Error = ApiError;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let result = async {
            let auth = credential(req).await?;
            verified(req, &auth)?;
            covered(req, &auth, None)?;
            Ok(auth)
        };
        outcome(req, result.await)
    }
}

/// Any signed-in user, verified or not: for the routes `require_verified_email` leaves open
/// (`/api/auth/*`, reading one's own account), so a mistyped address can be corrected. An API
/// token passes on a GET with `read`, as for `AuthUser`.
#[derive(Debug, Clone)]
pub struct SignedIn(pub AuthUser);

impl std::ops::Deref for SignedIn {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.0
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SignedIn {
    type Error = ApiError;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let result = async {
            let auth = credential(req).await?;
            covered(req, &auth, None)?;
            Ok(SignedIn(auth))
        };
        outcome(req, result.await)
    }
}

/// A signed-in session, never an API token (403 `insufficient_scope`): for what no token may
/// touch — tokens, two-factor sign-in, the password, the profile, the email, sessions, deleting
/// the account. `V` says whether an unverified email is let through (`AnyEmail`, for the routes
/// §9 leaves open) or not (`Verified`, the default).
#[derive(Debug, Clone)]
pub struct SessionUser<V = Verified>(pub AuthUser, PhantomData<V>);

/// `SessionUser` requires a verified email when `require_verified_email` is on.
#[derive(Debug, Clone)]
pub struct Verified;
/// `SessionUser<AnyEmail>` lets an unverified user through.
#[derive(Debug, Clone)]
pub struct AnyEmail;

pub trait EmailRule: Send + Sync + 'static {
    const VERIFIED: bool;
}
impl EmailRule for Verified {
    const VERIFIED: bool = true;
}
impl EmailRule for AnyEmail {
    const VERIFIED: bool = false;
}

impl<V> std::ops::Deref for SessionUser<V> {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.0
    }
}

#[rocket::async_trait]
impl<'r, V: EmailRule> FromRequest<'r> for SessionUser<V> {
    type Error = ApiError;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let result = async {
            let auth = credential(req).await?;
            if auth.token.is_some() {
                return Err(ApiError::InsufficientScope);
            }
            if V::VERIFIED {
                verified(req, &auth)?;
            }
            Ok(SessionUser(auth, PhantomData))
        };
        outcome(req, result.await)
    }
}

/// The bearer token when an `Authorization` header is sent (it then wins over any cookie),
/// else the cookie. The flag says whether the cookie was used.
fn presented_token<'r>(req: &'r Request<'_>) -> ApiResult<(&'r str, bool)> {
    if let Some(h) = req.headers().get_one("Authorization") {
        let (scheme, token) = h.split_once(' ').ok_or(ApiError::Unauthorized)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::Unauthorized);
        }
        return Ok((token.trim(), false));
    }
    let cookie = req.cookies().get(COOKIE).ok_or(ApiError::Unauthorized)?;
    Ok((cookie.value(), true))
}

async fn authenticate(req: &Request<'_>) -> ApiResult<AuthUser> {
    let (token, via_cookie) = presented_token(req)?;
    let db = Db::fetch(req.rocket()).ok_or_else(|| ApiError::internal("no database"))?;
    let now = chrono::Utc::now();
    if !via_cookie && token.starts_with(API_TOKEN_PREFIX) {
        return api_token(db, token, now).await;
    }
    let claims = state::<Tokens>(req).verify(token).ok_or(ApiError::Unauthorized)?;
    let (last_seen, user) = sessions::live_with_user(&db.read, claims.sid, claims.user_id, now.timestamp())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if !user.is_active {
        return Err(ApiError::Unauthorized);
    }
    // Only a live session can be misused cross-site; a dead one is plainly unauthorized.
    if via_cookie && changes_state(req.method()) {
        check_csrf(req)?;
    }
    if last_seen < stale(now) {
        // Best effort: a busy writer must not fail an otherwise good request.
        if let Err(e) = sessions::touch(&db.write, claims.sid).await {
            tracing::warn!(error = %e, "could not record session activity");
        }
    }
    Ok(AuthUser { user, session_id: claims.sid, token: None })
}

/// What every personal API token starts with.
pub const API_TOKEN_PREFIX: &str = "stk_";

/// A personal API token: live (not revoked, not expired) and its user active. A bearer
/// credential, so the CSRF rule does not apply.
async fn api_token(db: &Db, token: &str, now: chrono::DateTime<chrono::Utc>) -> ApiResult<AuthUser> {
    let hash = super::secrets::sha256_hex(token);
    let (row, user) =
        api_tokens::live_with_user(&db.read, &hash, now.timestamp()).await?.ok_or(ApiError::Unauthorized)?;
    if !user.is_active {
        return Err(ApiError::Unauthorized);
    }
    if row.last_used_at.as_deref().is_none_or(|t| t < stale(now).as_str()) {
        if let Err(e) = api_tokens::touch(&db.write, row.id).await {
            tracing::warn!(error = %e, "could not record token use");
        }
    }
    Ok(AuthUser {
        user,
        session_id: 0,
        token: Some(TokenGrant { id: row.id, scopes: Scope::parse_list(&row.scopes) }),
    })
}

/// Activity older than this is written back (at most once a minute per session or token).
fn stale(now: chrono::DateTime<chrono::Utc>) -> String {
    (now - chrono::Duration::seconds(TOUCH_AFTER_SECS)).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn changes_state(method: Method) -> bool {
    matches!(method, Method::Post | Method::Put | Method::Patch | Method::Delete)
}

/// Cookie-authenticated writes must come from our own pages: a same-origin `Origin` (scheme,
/// host and port all compared), or, when no `Origin` is sent, `X-Requested-With: stockroom`
/// (which a cross-site form cannot set).
fn check_csrf(req: &Request<'_>) -> ApiResult<()> {
    let Some(origin) = req.headers().get_one("Origin") else {
        return match req.headers().get_one("X-Requested-With") {
            Some(v) if v.eq_ignore_ascii_case("stockroom") => Ok(()),
            _ => Err(ApiError::CsrfRejected),
        };
    };
    match own_origin(req) {
        Some(own) if origin.trim_end_matches('/').eq_ignore_ascii_case(&own) => Ok(()),
        _ => Err(ApiError::CsrfRejected),
    }
}

/// This server's origin as the browser sees it: `https` when a trusted proxy says the client
/// used it (or the cookie is always `Secure`, which only an HTTPS deployment sets), the host a
/// trusted proxy forwarded, else the `Host` header.
fn own_origin(req: &Request<'_>) -> Option<String> {
    let https = forwarded_https(req) || state::<App>(req).config.cookie_secure == CookieSecure::Always;
    let forwarded_host = forwarded_https(req).then(|| req.headers().get_one("X-Forwarded-Host")).flatten();
    let host = forwarded_host.or_else(|| req.headers().get_one("Host"))?;
    Some(format!("{}://{host}", if https { "https" } else { "http" }))
}

/// A permission a route requires, as a type so that routes name it in their signatures.
pub trait Required: Send + Sync + 'static {
    const PERMISSION: Permission;
}

/// The scope an API token needs for a route, as a type (see `Scoped`).
pub trait Covered: Send + Sync + 'static {
    const SCOPE: Scope;
}

macro_rules! required {
    ($($variant:ident),* $(,)?) => {
        $(
            #[doc = concat!("Requires `Permission::", stringify!($variant), "` (and a token's scope of that name).")]
            pub struct $variant;
            impl Required for $variant {
                const PERMISSION: Permission = Permission::$variant;
            }
            impl Covered for $variant {
                const SCOPE: Scope = Scope::$variant;
            }
        )*
    };
}

required!(CatalogWrite, OrdersManage, AssetsWrite, UsersManage);

/// The cart and orders: an API token needs the `store` scope.
pub struct Store;
impl Covered for Store {
    const SCOPE: Scope = Scope::Store;
}

/// The watchlist and portfolio: an API token needs the `markets` scope.
pub struct Markets;
impl Covered for Markets {
    const SCOPE: Scope = Scope::Markets;
}

/// An authenticated caller; an API token needs the scope `S` (or, on a GET, `read`).
pub struct Scoped<S: Covered>(pub AuthUser, PhantomData<S>);

impl<S: Covered> std::ops::Deref for Scoped<S> {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.0
    }
}

#[rocket::async_trait]
impl<'r, S: Covered> FromRequest<'r> for Scoped<S> {
    type Error = ApiError;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let result = async {
            let auth = credential(req).await?;
            verified(req, &auth)?;
            covered(req, &auth, Some(S::SCOPE))?;
            Ok(Scoped(auth, PhantomData))
        };
        outcome(req, result.await)
    }
}

/// An authenticated caller holding permission `P` (else 403 `forbidden`); an API token also
/// needs the scope of that name (or, on a GET, `read`).
pub struct Perm<P: Required>(pub AuthUser, PhantomData<P>);

#[rocket::async_trait]
impl<'r, P: Required> FromRequest<'r> for Perm<P> {
    type Error = ApiError;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let result = async {
            let auth = credential(req).await?;
            verified(req, &auth)?;
            if !auth.user.can(P::PERMISSION) {
                return Err(ApiError::Forbidden("You do not have permission to do that."));
            }
            covered(req, &auth, Some(Scope::of(P::PERMISSION)))?;
            Ok(Perm(auth, PhantomData))
        };
        outcome(req, result.await)
    }
}

/// An authenticated caller whose role is `admin` (else 403 `forbidden`). Routes that only some
/// callers may use fully take it as `Option<Admin>`.
pub struct Admin(pub AuthUser);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Admin {
    type Error = ApiError;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let auth = match credential(req).await.and_then(|a| verified(req, &a).map(|()| a)) {
            Ok(auth) => auth,
            Err(e) => return Outcome::Error(stash(req, e)),
        };
        if auth.user.is_admin() {
            Outcome::Success(Admin(auth))
        } else {
            Outcome::Error(stash(req, ApiError::Forbidden("Only an admin may do that.")))
        }
    }
}
