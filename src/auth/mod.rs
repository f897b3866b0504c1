//! Who is calling: passwords, tokens, sessions, limits and the request guards built on them.

pub mod cookie;
pub mod guards;
pub mod limits;
pub mod password;
pub mod token;

pub use guards::{Admin, AuthLimit, AuthUser, Client, Perm, SignedIn};
