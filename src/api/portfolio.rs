//! `/api/portfolio*`: the signed-in user's holdings, valued at read time from current prices
//! with the checked arithmetic of `domain::portfolio`.

use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::Body;
use super::views::Asset;
use crate::auth::{Markets, Scoped};
use crate::db::portfolio::{self, HoldingRow};
use crate::db::Db;
use crate::domain::portfolio::{cost_basis, quantity, totals, valuation, Overflow, Valuation};
use crate::domain::Fields;
use crate::error::{ApiError, ApiResult, ErrorBody};

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![get_portfolio, get_holding, create, update, remove]
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Holding {
    id: i64,
    asset: Asset,
    quantity: i64,
    /// Total paid, cents.
    cost_basis: i64,
    /// `quantity × asset.price`, cents, at the current price.
    market_value: i64,
    /// `marketValue − costBasis`, cents.
    profit: i64,
    /// `profit / costBasis × 100`, 2 decimals; null when `costBasis` is 0.
    percentage: Option<f64>,
}

fn holding(row: HoldingRow) -> Result<Holding, Overflow> {
    let v = valuation(row.quantity, row.asset.price, row.cost_basis)?;
    Ok(Holding {
        id: row.holding_id,
        asset: row.asset.into(),
        quantity: row.quantity,
        cost_basis: v.cost_basis,
        market_value: v.market_value,
        profit: v.profit,
        percentage: v.percentage,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Portfolio {
    /// By asset symbol.
    holdings: Vec<Holding>,
    totals: Valuation,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewHolding {
    /// An asset's id (unknown: 404).
    #[schema(value_type = i64, required = true)]
    asset_id: Option<i64>,
    /// Units held, 1 to 1,000,000,000.
    #[schema(value_type = i64, required = true, minimum = 1, maximum = 1_000_000_000)]
    quantity: Option<i64>,
    /// Total paid in cents, 0 to 10^18.
    #[schema(value_type = i64, required = true, minimum = 0, maximum = 1_000_000_000_000_000_000_i64)]
    cost_basis: Option<i64>,
}

/// Absent (or null) fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HoldingPatch {
    /// Units held, 1 to 1,000,000,000.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    quantity: Option<i64>,
    /// Total paid in cents, 0 to 10^18.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_000_i64)]
    cost_basis: Option<i64>,
}

fn not_found() -> ApiError {
    ApiError::NotFound("Holding")
}

/// The signed-in user's holdings and totals, valued at current prices.
#[utoipa::path(get, path = "/api/portfolio", tag = "portfolio",
    responses((status = 200, body = Portfolio), (status = 401, body = ErrorBody),
        (status = 500, description = "Totals beyond 64-bit cents", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/portfolio")]
pub async fn get_portfolio(auth: Scoped<Markets>, db: &Db) -> ApiResult<Json<Portfolio>> {
    let rows = portfolio::holdings(&db.read, auth.id()).await?;
    let holdings = rows.into_iter().map(holding).collect::<Result<Vec<_>, _>>()?;
    let totals = totals(holdings.iter().map(|h| Valuation {
        cost_basis: h.cost_basis,
        market_value: h.market_value,
        profit: h.profit,
        percentage: h.percentage,
    }))?;
    Ok(Json(Portfolio { holdings, totals }))
}

/// One of the signed-in user's holdings; anyone else's is 404.
#[utoipa::path(get, path = "/api/portfolio/{id}", tag = "portfolio", params(("id" = i64, Path)),
    responses((status = 200, body = Holding), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/portfolio/<id>")]
pub async fn get_holding(auth: Scoped<Markets>, db: &Db, id: i64) -> ApiResult<Json<Holding>> {
    let row = portfolio::holding(&db.read, auth.id(), id).await?.ok_or_else(not_found)?;
    Ok(Json(holding(row)?))
}

/// Add a holding: one per asset per user.
#[utoipa::path(post, path = "/api/portfolio", tag = "portfolio", request_body = NewHolding,
    responses((status = 201, body = Holding), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "No such asset", body = ErrorBody),
        (status = 409, description = "`already_exists`: the user already holds this asset", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/portfolio", data = "<body>")]
pub async fn create(
    auth: Scoped<Markets>,
    db: &Db,
    body: Body<NewHolding>,
) -> ApiResult<Custom<Json<Holding>>> {
    let b = body.0;
    let mut f = Fields::default();
    let asset_id = f.require("assetId", b.asset_id, Ok);
    let qty = f.require("quantity", b.quantity, quantity);
    let cost = f.require("costBasis", b.cost_basis, cost_basis);
    f.finish()?;
    let (Some(asset_id), Some(qty), Some(cost)) = (asset_id, qty, cost) else {
        unreachable!("checked by finish")
    };
    let mut tx = db.write.begin().await?;
    let id = portfolio::insert_holding(&mut tx, auth.id(), asset_id, qty, cost)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => ApiError::conflict(
                "already_exists",
                "You already hold this asset; change that holding instead.",
            ),
            _ => e.into(),
        })?
        .ok_or(ApiError::NotFound("Asset"))?;
    let row = portfolio::holding(&mut tx, auth.id(), id).await?.ok_or_else(not_found)?;
    tx.commit().await?;
    Ok(Custom(Status::Created, Json(holding(row)?)))
}

/// Change the quantity or cost basis of one of the signed-in user's holdings.
#[utoipa::path(patch, path = "/api/portfolio/{id}", tag = "portfolio", params(("id" = i64, Path)),
    request_body(content = Option<HoldingPatch>, description = "Only the fields sent change; no body changes nothing"),
    responses((status = 200, body = Holding), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "No such holding, or another user's", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[patch("/portfolio/<id>", data = "<body>")]
pub async fn update(
    auth: Scoped<Markets>,
    db: &Db,
    id: i64,
    body: Body<HoldingPatch>,
) -> ApiResult<Json<Holding>> {
    let p = body.0;
    let mut f = Fields::default();
    let qty = p.quantity.and_then(|q| f.check("quantity", quantity(q)));
    let cost = p.cost_basis.and_then(|c| f.check("costBasis", cost_basis(c)));
    f.finish()?;
    let mut tx = db.write.begin().await?;
    if !portfolio::update_holding(&mut tx, auth.id(), id, qty, cost).await? {
        return Err(not_found());
    }
    let row = portfolio::holding(&mut tx, auth.id(), id).await?.ok_or_else(not_found)?;
    tx.commit().await?;
    Ok(Json(holding(row)?))
}

/// Remove one of the signed-in user's holdings.
#[utoipa::path(delete, path = "/api/portfolio/{id}", tag = "portfolio", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 404, description = "No such holding, or another user's", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/portfolio/<id>")]
pub async fn remove(auth: Scoped<Markets>, db: &Db, id: i64) -> ApiResult<Status> {
    if portfolio::delete_holding(&db.write, auth.id(), id).await? {
        Ok(Status::NoContent)
    } else {
        Err(not_found())
    }
}
