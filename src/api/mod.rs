//! The JSON API under `/api`: one file per area, each with its `routes()`. Areas never import
//! each other: what several share lives in the plumbing beside them (`body`, `query`, `patch`,
//! `schema`, and `views` for response objects).

pub mod assets;
pub mod audit;
pub mod auth;
pub mod body;
pub mod cart;
pub mod categories;
pub mod mail;
pub mod meta;
pub mod orders;
pub mod patch;
pub mod portfolio;
pub mod products;
pub mod query;
pub mod schema;
pub mod screener;
pub mod tokens;
pub mod transactions;
pub mod two_factor;
pub mod users;
pub mod views;
pub mod watchlist;

pub fn routes() -> Vec<rocket::Route> {
    [
        auth::routes(),
        users::routes(),
        mail::routes(),
        two_factor::routes(),
        tokens::routes(),
        audit::routes(),
        meta::routes(),
        categories::routes(),
        products::routes(),
        cart::routes(),
        orders::routes(),
        screener::routes(),
        assets::routes(),
        watchlist::routes(),
        portfolio::routes(),
        transactions::routes(),
    ]
    .concat()
}
