//! Request guards that say who may call a route. Handlers never re-check authentication by hand.

use std::marker::PhantomData;
use std::net::{IpAddr, Ipv4Addr};

use rocket::http::Method;
use rocket::outcome::try_outcome;
use rocket::request::{FromRequest, Outcome, Request};
use rocket_db_pools::Database;

use super::cookie::COOKIE;
use super::token::Tokens;
use crate::config::CookieSecure;
use crate::db::{sessions, users::UserRow, Db};
use crate::domain::Permission;
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

/// A caller with a valid token, a live session and an existing, active user — and, when
/// `require_verified_email` is on, a verified email (else 403 `email_unverified`): loaded once
/// per request. Role and permissions come from the database row, never from the token. The
/// few routes an unverified user may use take `SignedIn` instead.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: UserRow,
    pub session_id: i64,
}

impl AuthUser {
    pub fn id(&self) -> i64 {
        self.user.id
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AuthUser {
    type Error = ApiError;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let SignedIn(auth) = try_outcome!(req.guard::<SignedIn>().await);
        if state::<App>(req).config.require_verified_email && !auth.user.email_verified {
            return Outcome::Error(stash(req, ApiError::EmailUnverified));
        }
        Outcome::Success(auth)
    }
}

/// Any signed-in user, verified or not: for the routes `require_verified_email` leaves open
/// (`/api/auth/*`, reading, fixing or deleting one's own account, changing its password), so a
/// mistyped address can be corrected.
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
        match req.local_cache_async(authenticate(req)).await {
            Ok(user) => Outcome::Success(SignedIn(user.clone())),
            Err(e) => Outcome::Error(stash(req, e.clone())),
        }
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
    let claims = state::<Tokens>(req).verify(token).ok_or(ApiError::Unauthorized)?;
    let db = Db::fetch(req.rocket()).ok_or_else(|| ApiError::internal("no database"))?;
    let now = chrono::Utc::now();
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
    let stale =
        (now - chrono::Duration::seconds(TOUCH_AFTER_SECS)).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    if last_seen < stale {
        // Best effort: a busy writer must not fail an otherwise good request.
        if let Err(e) = sessions::touch(&db.write, claims.sid).await {
            tracing::warn!(error = %e, "could not record session activity");
        }
    }
    Ok(AuthUser { user, session_id: claims.sid })
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

macro_rules! required {
    ($($variant:ident),* $(,)?) => {
        $(
            #[doc = concat!("Requires `Permission::", stringify!($variant), "`.")]
            pub struct $variant;
            impl Required for $variant {
                const PERMISSION: Permission = Permission::$variant;
            }
        )*
    };
}

required!(CatalogWrite, OrdersManage, AssetsWrite, UsersManage);

/// An authenticated caller holding permission `P` (else 403 `forbidden`).
pub struct Perm<P: Required>(pub AuthUser, PhantomData<P>);

#[rocket::async_trait]
impl<'r, P: Required> FromRequest<'r> for Perm<P> {
    type Error = ApiError;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let auth = try_outcome!(req.guard::<AuthUser>().await);
        if auth.user.can(P::PERMISSION) {
            Outcome::Success(Perm(auth, PhantomData))
        } else {
            Outcome::Error(stash(req, ApiError::Forbidden("You do not have permission to do that.")))
        }
    }
}

/// An authenticated caller whose role is `admin` (else 403 `forbidden`). Routes that only some
/// callers may use fully take it as `Option<Admin>`.
pub struct Admin(pub AuthUser);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Admin {
    type Error = ApiError;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let auth = try_outcome!(req.guard::<AuthUser>().await);
        if auth.user.is_admin() {
            Outcome::Success(Admin(auth))
        } else {
            Outcome::Error(stash(req, ApiError::Forbidden("Only an admin may do that.")))
        }
    }
}
