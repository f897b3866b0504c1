//! `/api/users/me/tokens*`: personal API tokens for scripts. A token (`stk_…`) is shown once, at
//! creation; the database keeps its SHA-256. What a token may do is checked on every request by
//! the guards (`Scoped`, `Perm`, `SessionUser`); no token may use these routes.

use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{delete, get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::Body;
use crate::auth::guards::API_TOKEN_PREFIX;
use crate::auth::secrets::{random_hex, sha256_hex};
use crate::auth::{Client, SessionUser};
use crate::db::api_tokens::{self, NewToken, TokenRow};
use crate::db::{audit, Db};
use crate::domain::audit::{Action, Details, TargetType};
use crate::domain::{ClosedSet, Fields, Scope};
use crate::error::{ApiError, ApiResult, ErrorBody};

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![create, list, revoke, revoke_all]
}

const MAX_DAYS: i64 = 3650;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewApiToken {
    /// What the token is for, 1–100 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100)]
    name: Option<String>,
    /// `read`, `store`, `markets`, and any permission the user holds.
    #[schema(value_type = Vec<Scope>, required = true, min_items = 1)]
    scopes: Option<Vec<String>>,
    /// 1–3650; absent: the token never expires.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 3650)]
    expires_in_days: Option<i64>,
}

/// A personal API token, without its secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    id: i64,
    name: String,
    scopes: Vec<Scope>,
    /// The first characters of the token, to tell tokens apart.
    prefix: String,
    created_at: String,
    /// Null: never expires.
    expires_at: Option<String>,
    /// To the minute; null: never used.
    last_used_at: Option<String>,
}

/// A token just created: the only answer that carries `token`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiToken {
    id: i64,
    name: String,
    scopes: Vec<Scope>,
    /// `stk_…`: send it as `Authorization: Bearer stk_…`. Shown only here.
    token: String,
    prefix: String,
    created_at: String,
    expires_at: Option<String>,
    last_used_at: Option<String>,
}

fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).unwrap_or_default().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

impl From<TokenRow> for ApiToken {
    fn from(t: TokenRow) -> ApiToken {
        ApiToken {
            id: t.id,
            name: t.name,
            scopes: Scope::parse_list(&t.scopes),
            prefix: t.prefix,
            created_at: t.created_at,
            expires_at: t.expires_at.map(rfc3339),
            last_used_at: t.last_used_at.map(|t| format!("{}:00.000Z", &t[..16.min(t.len())])),
        }
    }
}

/// Create a token with some of what this user may do. A permission scope the user does not
/// hold is refused (403); the token never does more than its user may at the time of a request.
#[utoipa::path(post, path = "/api/users/me/tokens", tag = "users", request_body = NewApiToken,
    responses((status = 201, body = CreatedApiToken), (status = 400, body = ErrorBody),
        (status = 403, description = "`forbidden`: a permission scope the user lacks; `insufficient_scope`: an API token asked", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/users/me/tokens", data = "<body>")]
pub async fn create(
    auth: SessionUser,
    client: Client,
    db: &Db,
    body: Body<NewApiToken>,
) -> ApiResult<Custom<Json<CreatedApiToken>>> {
    let b = body.0;
    let mut f = Fields::default();
    let name = f.require("name", b.name, |n: String| {
        let n = n.trim().to_owned();
        match n.chars().count() {
            0 => Err("is required".to_owned()),
            1..=100 => Ok(n),
            _ => Err("must be at most 100 characters".to_owned()),
        }
    });
    let scopes = f.require("scopes", b.scopes, |s: Vec<String>| Scope::parse_names(&s));
    let days = b.expires_in_days.and_then(|d| {
        f.check(
            "expiresInDays",
            if (1..=MAX_DAYS).contains(&d) {
                Ok(d)
            } else {
                Err(format!("must be between 1 and {MAX_DAYS}"))
            },
        )
    });
    f.finish()?;
    let (Some(name), Some(scopes)) = (name, scopes) else { unreachable!("checked by finish") };
    if scopes.iter().filter_map(|s| s.permission()).any(|p| !auth.user.can(p)) {
        return Err(ApiError::Forbidden("A token may only have permissions you hold."));
    }
    let token = format!("{API_TOKEN_PREFIX}{}", random_hex());
    let prefix = token[..API_TOKEN_PREFIX.len() + 8].to_owned();
    let expires_at = days.map(|d| chrono::Utc::now().timestamp() + d * 86_400);
    let mut tx = db.write.begin().await?;
    let row = api_tokens::insert(
        &mut tx,
        &NewToken {
            user_id: auth.id(),
            name: &name,
            token_hash: &sha256_hex(&token),
            prefix: &prefix,
            scopes: &Scope::join(&scopes),
            expires_at,
        },
    )
    .await?;
    let details = Details::new().with("name", &row.name).with("scopes", &scopes);
    audit::record(
        &mut tx,
        client.event(Action::TokenCreated).by(&auth.user).on(TargetType::Token, row.id).details(details),
    )
    .await?;
    tx.commit().await?;
    let t = ApiToken::from(row);
    let created = CreatedApiToken {
        id: t.id,
        name: t.name,
        scopes: t.scopes,
        token,
        prefix: t.prefix,
        created_at: t.created_at,
        expires_at: t.expires_at,
        last_used_at: t.last_used_at,
    };
    Ok(Custom(Status::Created, Json(created)))
}

/// This user's tokens, newest first, without their secrets.
#[utoipa::path(get, path = "/api/users/me/tokens", tag = "users",
    responses((status = 200, body = Vec<ApiToken>), (status = 403, description = "`insufficient_scope`: an API token asked", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/users/me/tokens")]
pub async fn list(auth: SessionUser, db: &Db) -> ApiResult<Json<Vec<ApiToken>>> {
    let rows = api_tokens::for_user(&db.read, auth.id()).await?;
    Ok(Json(rows.into_iter().map(ApiToken::from).collect()))
}

/// Revoke one token (another user's is 404); it is refused from the next request on.
#[utoipa::path(delete, path = "/api/users/me/tokens/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/users/me/tokens/<id>")]
pub async fn revoke(auth: SessionUser, client: Client, db: &Db, id: i64) -> ApiResult<Status> {
    let mut tx = db.write.begin().await?;
    if !api_tokens::revoke(&mut tx, auth.id(), id).await? {
        return Err(ApiError::NotFound("Token"));
    }
    audit::record(&mut tx, client.event(Action::TokenRevoked).by(&auth.user).on(TargetType::Token, id))
        .await?;
    tx.commit().await?;
    Ok(Status::NoContent)
}

/// Revoke every token of this user.
#[utoipa::path(delete, path = "/api/users/me/tokens", tag = "users",
    responses((status = 204)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/users/me/tokens")]
pub async fn revoke_all(auth: SessionUser, client: Client, db: &Db) -> ApiResult<Status> {
    let mut tx = db.write.begin().await?;
    let count = api_tokens::revoke_all(&mut tx, auth.id()).await?;
    if count > 0 {
        let details = Details::new().with("all", true).with("count", count);
        audit::record(&mut tx, client.event(Action::TokenRevoked).by(&auth.user).details(details)).await?;
    }
    tx.commit().await?;
    Ok(Status::NoContent)
}
