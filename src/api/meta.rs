//! Health, the OpenAPI document and the reference page.

use std::sync::OnceLock;

use rocket::http::{ContentType, Status};
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{get, State};
use serde::Serialize;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{AllOf, AnyOf, ArrayItems, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::db::Db;
use crate::error::ErrorBody;
use crate::web::{self, Asset};
use crate::App;

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![health, openapi_json, docs]
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `ok`, or `degraded` when the database does not answer.
    status: &'static str,
    version: &'static str,
    database: &'static str,
    /// Which engine serves the data: `sqlite` or `postgres`.
    #[schema(example = "sqlite")]
    database_kind: &'static str,
    /// ISO 4217 code all prices are in (as integer cents).
    currency: String,
}

/// Liveness and configuration facts.
#[utoipa::path(get, path = "/api/health", tag = "meta",
    responses((status = 200, body = Health), (status = 503, description = "The database does not answer", body = Health)))]
#[get("/health")]
pub async fn health(db: &Db, app: &State<App>) -> Custom<Json<Health>> {
    let ok = crate::db::ping(&db.read).await;
    let body = Health {
        status: if ok { "ok" } else { "degraded" },
        version: env!("CARGO_PKG_VERSION"),
        database: if ok { "ok" } else { "unavailable" },
        database_kind: db.kind().as_str(),
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
        crate::api::auth::revoke_session, crate::api::auth::session,
        crate::api::mail::verify_email, crate::api::mail::resend_verification,
        crate::api::mail::password_reset, crate::api::mail::password_reset_confirm,
        crate::api::mail::list_mail,
        crate::api::auth::login_2fa, crate::api::two_factor::setup, crate::api::two_factor::enable,
        crate::api::two_factor::disable, crate::api::users::reset_2fa, crate::api::tokens::create,
        crate::api::tokens::list, crate::api::tokens::revoke, crate::api::tokens::revoke_all,
        crate::api::audit::list, crate::api::audit::activity,
        crate::api::users::me, crate::api::users::profile, crate::api::users::update_me,
        crate::api::users::change_password, crate::api::users::delete_me, crate::api::users::list,
        crate::api::users::get_user, crate::api::users::update_user, crate::api::users::delete_user,
        crate::api::categories::list_categories, crate::api::categories::get_category,
        crate::api::categories::create_category, crate::api::categories::update_category,
        crate::api::categories::delete_category, crate::api::products::list_products,
        crate::api::products::get_product, crate::api::products::create_product,
        crate::api::products::replace_product, crate::api::products::patch_product,
        crate::api::products::delete_product,
        crate::api::cart::get_cart, crate::api::cart::add_to_cart, crate::api::cart::set_quantity,
        crate::api::cart::remove_line, crate::api::cart::clear_cart,
        crate::api::orders::place_order, crate::api::orders::place_order_alias,
        crate::api::orders::get_order, crate::api::orders::get_order_alias, crate::api::orders::my_orders,
        crate::api::orders::list_orders, crate::api::orders::update_status, crate::api::orders::cancel_order,
        crate::api::screener::list, crate::api::assets::get_asset, crate::api::assets::create,
        crate::api::assets::update, crate::api::assets::remove, crate::api::assets::update_prices,
        crate::api::watchlist::list, crate::api::watchlist::add, crate::api::watchlist::remove,
        crate::api::portfolio::get_portfolio, crate::api::portfolio::get_holding,
        crate::api::portfolio::create, crate::api::portfolio::update, crate::api::portfolio::remove,
        crate::api::portfolio::history, crate::api::transactions::list, crate::api::transactions::get_one,
        crate::api::transactions::create, crate::api::transactions::update, crate::api::transactions::remove,
        crate::api::transactions::import, crate::api::transactions::export, crate::api::assets::prices,
        crate::api::assets::import_prices,
    ),
    components(schemas(
        ErrorBody, crate::domain::catalog::ProductSort, crate::domain::assets::AssetSort,
        crate::domain::orders::OrderStatus, crate::domain::mail::MailStatus, crate::domain::audit::Action, crate::domain::audit::TargetType, crate::domain::ledger::Kind, crate::domain::Role, crate::domain::Scope, crate::domain::Permission,
    )),
    modifiers(&Security, &Complete),
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
        components.add_security_scheme(
            "apiToken",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("stk_…")
                    .description(Some(
                        "A personal API token (`POST /api/users/me/tokens`) as `Authorization: Bearer stk_…`. \
                         Each request needs a scope that covers it: `read` every GET, `store` the cart and \
                         orders, `markets` the watchlist and portfolio, a permission's name what that \
                         permission allows; else 403 `insufficient_scope`. No token may manage tokens, \
                         two-factor sign-in, the password, the profile, the email or sessions, nor delete \
                         the account.",
                    ))
                    .build(),
            ),
        );
        // Every signed-in route but those no token may use also takes an API token.
        each_operation(doc, |path, method, op| {
            if let Some(security) = op.security.as_mut() {
                if takes_api_tokens(path, method) && !security.is_empty() {
                    security.push(SecurityRequirement::new("apiToken", Vec::<String>::new()));
                }
            }
        });
    }
}

/// Calls `f` with the path, the method and the operation, for every operation of the document.
fn each_operation(doc: &mut utoipa::openapi::OpenApi, mut f: impl FnMut(&str, &str, &mut Operation)) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            (&mut item.get, "get"),
            (&mut item.put, "put"),
            (&mut item.post, "post"),
            (&mut item.delete, "delete"),
            (&mut item.patch, "patch"),
        ];
        for (op, method) in ops {
            if let Some(op) = op {
                f(path, method, op);
            }
        }
    }
}

/// The signed-in routes an API token may use (with a scope that covers them); the others take
/// `SessionUser`.
fn takes_api_tokens(path: &str, method: &str) -> bool {
    !(path.starts_with("/api/auth/")
        || path.starts_with("/api/users/me/2fa")
        || path.starts_with("/api/users/me/tokens")
        || path == "/api/users/me/password"
        || path == "/api/users/me/activity"
        || (path == "/api/users/me" && method != "get"))
}

/// Schemas of response bodies: every field of these is always present (null when absent).
const RESPONSE_SCHEMAS: &[&str] = &[
    "Actor",
    "ApiToken",
    "Asset",
    "AuditEvent",
    "AuthResponse",
    "Cart",
    "CartItem",
    "Category",
    "CategoryRef",
    "CreatedApiToken",
    "Customer",
    "ErrorBody",
    "ErrorDetail",
    "Health",
    "Enrolment",
    "Holding",
    "MfaChallenge",
    "Message",
    "Order",
    "OutboxMail",
    "OrderItem",
    "Page_Asset",
    "Page_AuditEvent",
    "Page_Order",
    "Page_OutboxMail",
    "Page_Product",
    "Page_User",
    "Portfolio",
    "Product",
    "ProfileResponse",
    "ProfileUser",
    "RecoveryCodes",
    "Session",
    "SessionProbe",
    "Target",
    "TokenResponse",
    "User",
    "Figures",
    "Transaction",
    "AssetRef",
    "Page_Transaction",
    "DayValue",
    "PricePoint",
    "Imported",
    "PricesImported",
    "WatchEntry",
];

/// What holds for every route, stated once here rather than on each handler: the error
/// responses that guards and the body parser can give, that response fields are always
/// present, and the few constraints the derive can't express.
struct Complete;

impl Modify for Complete {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        each_operation(doc, complete_operation);
        let Some(components) = doc.components.as_mut() else { return };
        for name in RESPONSE_SCHEMAS {
            if let Some(schema) = components.schemas.get_mut(*name) {
                require_every_field(schema);
            }
        }
        // `fields`: field → problem on every 400, else null (not a `BTreeMap` component).
        components.schemas.remove("BTreeMap");
        if let Some(RefOr::T(Schema::Object(detail))) = components.schemas.get_mut("ErrorDetail") {
            let fields = ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
                .additional_properties(Some(ObjectBuilder::new().schema_type(Type::String)))
                .description(Some(
                    "Offending fields (camelCase) → problem; an object on every 400, else null.",
                ));
            detail.properties.insert("fields".into(), fields.into());
        }
        // Changing one's own email takes the current password: for PATCH /api/users/me, an
        // `email` string needs a `currentPassword` string. (Through /api/users/{id} that holds
        // only when the id is the caller's, which a schema can't tell.)
        let email_unset = ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .property("email", ObjectBuilder::new().schema_type(Type::Null));
        let password_given = ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .property("currentPassword", ObjectBuilder::new().schema_type(Type::String))
            .required("currentPassword");
        let mut either = AnyOf::new();
        either.items = vec![email_unset.into(), password_given.into()];
        let mut own = AllOf::new();
        own.items = vec![Ref::from_schema_name("UserPatch").into(), RefOr::T(Schema::AnyOf(either))];
        own.description =
            Some("A `UserPatch` of one's own account: changing the email takes `currentPassword`.".into());
        components.schemas.insert("OwnUserPatch".into(), RefOr::T(Schema::AllOf(own)));
        let own_patch = doc.paths.paths.get_mut("/api/users/me").and_then(|p| p.patch.as_mut());
        if let Some(body) = own_patch.and_then(|op| op.request_body.as_mut()) {
            for content in body.content.values_mut() {
                content.schema = Some(Ref::from_schema_name("OwnUserPatch").into());
            }
        }
        // A login needs one of `login`, `email` or `username`.
        if let Some(login) = components.schemas.get_mut("LoginRequest") {
            let one_of_them = ["login", "email", "username"]
                .map(|field| Schema::Object(ObjectBuilder::new().required(field).build()));
            let mut any = AnyOf::new();
            any.items = one_of_them.into_iter().map(RefOr::T).collect();
            let mut all = AllOf::new();
            all.items = vec![login.clone(), RefOr::T(Schema::AnyOf(any))];
            *login = RefOr::T(Schema::AllOf(all));
        }
    }
}

fn complete_operation(path: &str, method: &str, op: &mut Operation) {
    let has = |place: ParameterIn| op.parameters.iter().flatten().any(|p| p.parameter_in == place);
    let (query, header, path_params) =
        (has(ParameterIn::Query), has(ParameterIn::Header), has(ParameterIn::Path));
    let secured = op.security.is_some();
    // A blank query value is the same as none (`Query::text`), whatever the parameter's type.
    for param in op.parameters.iter_mut().flatten().filter(|p| p.parameter_in == ParameterIn::Query) {
        let Some(schema) = param.schema.take() else { continue };
        let is_string =
            matches!(&schema, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::String));
        param.schema = Some(if is_string {
            schema
        } else {
            let mut either = AnyOf::new();
            either.items = vec![schema, crate::api::schema::blank().into()];
            RefOr::T(Schema::AnyOf(either))
        });
    }
    let mut has_body = false;
    if let Some(body) = op.request_body.as_mut() {
        has_body = true;
        // An `Option<T>` body may be left out (it reads as `{}`), but a JSON `null` is no body.
        for content in body.content.values_mut() {
            if let Some(RefOr::T(Schema::OneOf(one))) = &content.schema {
                if let [RefOr::T(Schema::Object(null)), real] = one.items.as_slice() {
                    if null.schema_type == SchemaType::Type(Type::Null) {
                        content.schema = Some(real.clone());
                    }
                }
            }
        }
    }
    let responses = &mut op.responses.responses;
    let mut add = |status: &str, description: &str| {
        if !responses.contains_key(status) {
            let response = ResponseBuilder::new()
                .description(description)
                .content("application/json", Content::new(Some(Ref::from_schema_name("ErrorBody"))));
            responses.insert(status.into(), response.build().into());
        }
    };
    if query || header {
        add("400", "A bad parameter, named in `fields`");
    }
    if has_body {
        add(
            "400",
            "Malformed JSON (`invalid_json`) or invalid fields (`validation_failed`), named in `fields`",
        );
        add("413", "`payload_too_large`: the body is over `body_limit`");
        add("415", "`unsupported_media_type`: a body that is not `application/json`");
    }
    if secured {
        add("401", "`unauthorized`: no valid token, or its session or user is gone");
        let csrf = "`csrf_rejected`: a change authenticated by the cookie alone, without a same-origin `Origin` or `X-Requested-With: stockroom`";
        let unverified =
            "`email_unverified`: `require_verified_email` is on and the caller's email is not verified";
        let scope = "`insufficient_scope`: an API token whose scopes do not cover this route";
        let mut reasons = Vec::new();
        if method != "get" {
            reasons.push(csrf);
        }
        if !open_to_unverified(path, method) {
            reasons.push(unverified);
        }
        reasons.push(scope);
        add("403", &reasons.join("; or "));
    }
    if path_params {
        add("404", "`not_found`, also for an id that is not an integer");
    }
    if path.starts_with("/api/auth/") {
        add("429", "`rate_limited`: too many requests to /api/auth/* from this client; see `Retry-After`");
    }
    if !matches!(path, "/api/openapi.json" | "/api/docs" | "/api/health") {
        add("5XX", "`internal` (500, with the `requestId` of the server's log line), or 503 when the database cannot take writes");
    }
}

/// The signed-in routes an unverified user may still use (those taking `SignedIn`, §9).
fn open_to_unverified(path: &str, method: &str) -> bool {
    path.starts_with("/api/auth/")
        || matches!(
            (path, method),
            ("/api/session", _)
                | ("/api/users/me", "get" | "patch" | "delete")
                | ("/api/users/me/password", "put")
                | ("/api/user/profile", "get")
        )
}

/// Marks every property of an object schema, and of the objects inside it, required.
fn require_every_field(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(o) => {
            o.required = o.properties.keys().cloned().collect();
            o.properties.values_mut().for_each(require_every_field);
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                require_every_field(items);
            }
        }
        Schema::OneOf(one) => one.items.iter_mut().for_each(require_every_field),
        Schema::AllOf(all) => all.items.iter_mut().for_each(require_every_field),
        Schema::AnyOf(any) => any.items.iter_mut().for_each(require_every_field),
        _ => {}
    }
}
