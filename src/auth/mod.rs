//! Who is calling: passwords, tokens, sessions, limits and the request guards built on them.

pub mod cookie;
pub mod guards;
pub mod limits;
pub mod password;
pub mod secrets;
pub mod token;
pub mod totp;

pub use guards::{
    Admin, AnyEmail, AuthLimit, AuthUser, Client, Markets, Perm, Scoped, SessionUser, SignedIn, Store,
};
