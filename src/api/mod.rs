//! The JSON API under `/api`: one file per area, each with its `routes()`.

pub mod assets;
pub mod auth;
pub mod body;
pub mod cart;
pub mod catalog;
pub mod meta;
pub mod orders;
pub mod portfolio;
pub mod query;
pub mod schema;
pub mod users;
pub mod watchlist;

use serde::Serialize;
use utoipa::ToSchema;

pub fn routes() -> Vec<rocket::Route> {
    [
        auth::routes(),
        users::routes(),
        meta::routes(),
        catalog::routes(),
        cart::routes(),
        orders::routes(),
        assets::routes(),
        watchlist::routes(),
        portfolio::routes(),
    ]
    .concat()
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
