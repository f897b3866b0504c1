//! Health, the OpenAPI document and the reference page.

use std::sync::OnceLock;

use rocket::http::{ContentType, Status};
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{get, State};
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::db::Db;
use crate::error::ErrorBody;
use crate::web::{self, Asset};
use crate::App;

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![health, openapi_json, docs]
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` when the database does not answer.
    status: &'static str,
    version: &'static str,
    database: &'static str,
    /// ISO 4217 code all prices are in (as integer cents).
    currency: String,
}

/// Liveness and configuration facts.
#[utoipa::path(get, path = "/api/health", tag = "meta",
    responses((status = 200, body = Health), (status = 503, description = "The database does not answer", body = Health)))]
#[get("/health")]
pub async fn health(db: &Db, app: &State<App>) -> Custom<Json<Health>> {
    let ok = sqlx::query("SELECT 1").execute(&db.read).await.is_ok();
    let body = Health {
        status: if ok { "ok" } else { "degraded" },
        version: env!("CARGO_PKG_VERSION"),
        database: if ok { "ok" } else { "unavailable" },
        currency: app.config.currency.clone(),
    };
    Custom(if ok { Status::Ok } else { Status::ServiceUnavailable }, Json(body))
}

/// This document (OpenAPI 3.1).
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
#[get("/openapi.json")]
pub fn openapi_json() -> (ContentType, &'static str) {
    static DOC: OnceLock<String> = OnceLock::new();
    let doc = DOC.get_or_init(|| ApiDoc::openapi().to_json().expect("the OpenAPI document serializes"));
    (ContentType::JSON, doc)
}

/// A readable reference page for this API, rendered from `/api/openapi.json`.
#[utoipa::path(get, path = "/api/docs", tag = "meta",
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
#[get("/docs")]
pub fn docs() -> Option<Asset> {
    web::asset("api-docs.html")
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Stockroom API", description = "Accounts, a store and a markets desk behind one login. \
        JSON in and out, camelCase fields, money in integer cents, timestamps RFC 3339 UTC with \
        milliseconds. Every error is `{\"error\": {\"code\", \"message\", \"fields\", \"requestId\"}}`. \
        Authenticate with `Authorization: Bearer <token>` or the `stockroom_token` cookie; cookie \
        requests that change state need a same-origin `Origin` or `X-Requested-With: stockroom`. \
        When both a bearer token and a cookie are sent, only the bearer token counts."),
    paths(
        health, openapi_json, docs,
        crate::api::auth::signup, crate::api::auth::login, crate::api::auth::logout,
        crate::api::auth::logout_all, crate::api::auth::refresh, crate::api::auth::list_sessions,
        crate::api::auth::revoke_session,
        crate::api::users::me, crate::api::users::profile, crate::api::users::update_me,
        crate::api::users::change_password, crate::api::users::delete_me, crate::api::users::list,
        crate::api::users::get_user, crate::api::users::update_user, crate::api::users::delete_user,
        crate::api::catalog::list_categories, crate::api::catalog::get_category,
        crate::api::catalog::create_category, crate::api::catalog::update_category,
        crate::api::catalog::delete_category, crate::api::catalog::list_products,
        crate::api::catalog::get_product, crate::api::catalog::create_product,
        crate::api::catalog::replace_product, crate::api::catalog::patch_product,
        crate::api::catalog::delete_product,
        crate::api::cart::get_cart, crate::api::cart::add_to_cart, crate::api::cart::set_quantity,
        crate::api::cart::remove_line, crate::api::cart::clear_cart,
        crate::api::orders::place_order, crate::api::orders::place_order_alias,
        crate::api::orders::get_order, crate::api::orders::get_order_alias, crate::api::orders::my_orders,
        crate::api::orders::list_orders, crate::api::orders::update_status, crate::api::orders::cancel_order,
        crate::api::assets::list, crate::api::assets::get_asset, crate::api::assets::create,
        crate::api::assets::update, crate::api::assets::remove, crate::api::assets::update_prices,
        crate::api::watchlist::list, crate::api::watchlist::add, crate::api::watchlist::remove,
        crate::api::portfolio::get_portfolio, crate::api::portfolio::get_holding,
        crate::api::portfolio::create, crate::api::portfolio::update, crate::api::portfolio::remove,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Sign up, sign in, sessions"),
        (name = "users", description = "Your account, and user management (users:manage)"),
        (name = "catalog", description = "Categories and products (public); changes need catalog:write"),
        (name = "cart", description = "The signed-in user's persistent cart"),
        (name = "orders", description = "Placing orders from the cart, order history, status changes (orders:manage)"),
        (name = "markets", description = "The asset screener (public) and asset management (assets:write)"),
        (name = "watchlist", description = "Assets the signed-in user follows"),
        (name = "portfolio", description = "The signed-in user's holdings, valued at current prices"),
        (name = "meta", description = "Health and this documentation"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("stockroom_token"))),
        );
    }
}
