//! The JSON API under `/api`: one file per area, each with its `routes()`.

pub mod auth;
pub mod body;
pub mod meta;
pub mod query;
pub mod users;

use serde::Serialize;
use utoipa::ToSchema;

pub fn routes() -> Vec<rocket::Route> {
    [auth::routes(), users::routes(), meta::routes()].concat()
}

/// A plain confirmation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    message: &'static str,
}

impl Message {
    pub fn new(message: &'static str) -> Message {
        Message { message }
    }
}
