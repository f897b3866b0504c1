//! `/api/watchlist*`: the assets the signed-in user follows.

use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{delete, get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::Body;
use super::views::Asset;
use crate::auth::{Markets, Scoped};
use crate::db::watchlist::{self, WatchRow};
use crate::db::Db;
use crate::domain::Fields;
use crate::error::{ApiError, ApiResult, ErrorBody};

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![list, add, remove]
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WatchEntry {
    asset: Asset,
    /// True when the user holds this asset (derived from the portfolio).
    invested: bool,
    added_at: String,
}

impl From<WatchRow> for WatchEntry {
    fn from(w: WatchRow) -> WatchEntry {
        WatchEntry { asset: w.asset.into(), invested: w.invested, added_at: w.added_at }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WatchRequest {
    /// An asset's id (unknown: 404).
    #[schema(value_type = i64, required = true)]
    asset_id: Option<i64>,
}

/// The signed-in user's watchlist, in the order it was built (oldest first).
#[utoipa::path(get, path = "/api/watchlist", tag = "watchlist",
    responses((status = 200, body = Vec<WatchEntry>), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/watchlist")]
pub async fn list(auth: Scoped<Markets>, db: &Db) -> ApiResult<Json<Vec<WatchEntry>>> {
    let rows = watchlist::watchlist(&db.read, auth.id()).await?;
    Ok(Json(rows.into_iter().map(WatchEntry::from).collect()))
}

/// Add an asset to the watchlist.
#[utoipa::path(post, path = "/api/watchlist", tag = "watchlist", request_body = WatchRequest,
    responses((status = 201, body = WatchEntry), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "No such asset", body = ErrorBody),
        (status = 409, description = "`already_exists`: already on the watchlist", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/watchlist", data = "<body>")]
pub async fn add(
    auth: Scoped<Markets>,
    db: &Db,
    body: Body<WatchRequest>,
) -> ApiResult<Custom<Json<WatchEntry>>> {
    let mut f = Fields::default();
    let asset_id = f.require("assetId", body.0.asset_id, Ok);
    f.finish()?;
    let Some(asset_id) = asset_id else { unreachable!("checked by finish") };
    let mut tx = db.write.begin().await?;
    let added = watchlist::watch(&mut tx, auth.id(), asset_id).await.map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            ApiError::conflict("already_exists", "This asset is already on your watchlist.")
        }
        _ => e.into(),
    })?;
    if !added {
        return Err(ApiError::NotFound("Asset"));
    }
    let entry =
        watchlist::watch_entry(&mut tx, auth.id(), asset_id).await?.ok_or(ApiError::NotFound("Asset"))?;
    tx.commit().await?;
    Ok(Custom(Status::Created, Json(entry.into())))
}

/// Take an asset (by its id) off the watchlist.
#[utoipa::path(delete, path = "/api/watchlist/{id}", tag = "watchlist",
    params(("id" = i64, Path, description = "The asset's id")),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 404, description = "The asset is not on the watchlist", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/watchlist/<id>")]
pub async fn remove(auth: Scoped<Markets>, db: &Db, id: i64) -> ApiResult<Status> {
    if watchlist::unwatch(&db.write, auth.id(), id).await? {
        Ok(Status::NoContent)
    } else {
        Err(ApiError::NotFound("Watchlist entry"))
    }
}
