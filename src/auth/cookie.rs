//! The session cookie: its name and flags, set at sign-in and cleared at sign-out.

use rocket::http::{Cookie, CookieJar, SameSite};
use rocket::time::Duration;

pub const COOKIE: &str = "stockroom_token";

/// HttpOnly, SameSite=Lax, Path=/ (Rocket sets neither HttpOnly nor Lax by itself).
fn cookie(value: String, max_age: Duration) -> Cookie<'static> {
    Cookie::build((COOKIE, value)).http_only(true).same_site(SameSite::Lax).path("/").max_age(max_age).build()
}

/// Sets the session cookie for `token`, living as long as the token.
pub fn set(cookies: &CookieJar<'_>, token: String, secure: bool, ttl_secs: i64) {
    let mut c = cookie(token, Duration::seconds(ttl_secs));
    c.set_secure(secure);
    cookies.add(c);
}

/// An expired cookie, sent whether or not this request came with one (a bearer logout still
/// clears a browser's cookie for the same session).
pub fn clear(cookies: &CookieJar<'_>) {
    cookies.add(cookie(String::new(), Duration::ZERO));
}
