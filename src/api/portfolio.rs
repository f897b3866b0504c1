//! `/api/portfolio*`: the signed-in user's holdings, derived at read time from their
//! transactions and current prices (`domain::ledger`), the value over time, and the first
//! design's holding routes, which now write transactions (§12).

use std::collections::HashMap;

use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::Body;
use super::query::Query;
use super::views::Asset;
use crate::auth::{Markets, Scoped};
use crate::cache::Book;
use crate::db::ledger::{self, HoldingRow, TxValues};
use crate::db::{Db, Tx};
use crate::domain::ledger::{daily, figures, sum, value, Entry, Figures, Kind, Position, Refused, Timeline};
use crate::domain::portfolio::{cost_basis, quantity};
use crate::domain::Fields;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::App;

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![get_portfolio, history, get_holding, create, update, remove]
}

/// One position: the units held and what they cost by average cost, valued at the current
/// price; and what its sales realized and its dividends paid.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Holding {
    id: i64,
    asset: Asset,
    /// Units held now (0 for a position sold out that realized a profit or paid dividends).
    quantity: i64,
    /// What the units held cost, cents.
    cost_basis: i64,
    /// `quantity × asset.price`, cents.
    market_value: i64,
    /// Unrealized: `marketValue − costBasis`, cents.
    profit: i64,
    /// `profit / costBasis × 100`, 2 decimals; null when `costBasis` is 0.
    percentage: Option<f64>,
    /// Cents.
    realized_profit: i64,
    /// Cents.
    dividends: i64,
    /// `profit + realizedProfit + dividends`, cents.
    total_return: i64,
}

impl Holding {
    fn new(row: HoldingRow, entries: &[Entry]) -> ApiResult<Holding> {
        let (p, f) = value(entries, row.asset.price).map_err(refused)?;
        Ok(Holding::of(row, &p, &f))
    }

    fn of(row: HoldingRow, p: &Position, f: &Figures) -> Holding {
        Holding {
            id: row.holding_id,
            asset: row.asset.into(),
            quantity: p.quantity,
            cost_basis: f.cost_basis,
            market_value: f.market_value,
            profit: f.profit,
            percentage: f.percentage,
            realized_profit: f.realized_profit,
            dividends: f.dividends,
            total_return: f.total_return,
        }
    }
}

/// A ledger that cannot be valued (never written: every change is replayed before it commits).
pub fn refused(r: Refused) -> ApiError {
    match r {
        Refused::Oversold { id } => ApiError::internal(format!("transaction {id} oversells its holding")),
        Refused::Overflow => ApiError::internal("portfolio amounts exceed the range of 64-bit cents"),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Portfolio {
    /// By asset symbol; a position sold out stays while it has realized profit or dividends.
    holdings: Vec<Holding>,
    totals: Figures,
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

/// The value of the portfolio at the end of one day (UTC).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayValue {
    /// `YYYY-MM-DD`.
    date: String,
    /// Units held at the end of the day × each asset's price then, cents.
    market_value: i64,
    /// Cost basis at the end of the day, cents.
    cost_basis: i64,
}

fn not_found() -> ApiError {
    ApiError::NotFound("Holding")
}

/// The signed-in user's holdings and totals: the ledger as last replayed (if it has not changed
/// since), valued at the current prices.
async fn portfolio_of(db: &Db, app: &App, user_id: i64) -> ApiResult<Portfolio> {
    let ledger = app.ledgers.of(&db.read, user_id).await?;
    let rows = ledger::holdings(&db.read, user_id).await?;
    let mut holdings = Vec::with_capacity(rows.len());
    let mut all = Vec::with_capacity(rows.len());
    for row in rows {
        let position = match ledger.holdings.get(&row.holding_id) {
            Some(book) => book.position.map_err(refused)?,
            // Opened after the ledger was read: nothing in it yet.
            None => Position::default(),
        };
        let f = figures(&position, row.asset.price)?;
        if position.quantity > 0 || position.realized != 0 || position.dividends != 0 {
            holdings.push(Holding::of(row, &position, &f));
            all.push(f);
        }
    }
    Ok(Portfolio { holdings, totals: sum(all)? })
}

/// The signed-in user's holdings and totals: quantity, cost basis (average cost), market value at
/// current prices, unrealized profit, realized profit, dividends and total return.
#[utoipa::path(get, path = "/api/portfolio", tag = "portfolio",
    responses((status = 200, body = Portfolio), (status = 401, body = ErrorBody),
        (status = 500, description = "Totals beyond 64-bit cents", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/portfolio")]
pub async fn get_portfolio(auth: Scoped<Markets>, db: &Db, app: &State<App>) -> ApiResult<Json<Portfolio>> {
    portfolio_of(db, app, auth.id()).await.map(Json)
}

/// Longest span `GET /api/portfolio/history` answers, in days.
const MAX_DAYS: i64 = 3_660;

/// The portfolio's market value and cost basis at the end of each UTC day from `from` to `to`
/// (inclusive; by default the last 365 days, today included), from the transactions and the
/// price each asset had at the end of that day (before an asset's first recorded price, that
/// first price).
#[utoipa::path(get, path = "/api/portfolio/history", tag = "portfolio",
    params(("from" = Option<String>, Query, format = Date, description = "YYYY-MM-DD (default: 364 days before `to`)"),
        ("to" = Option<String>, Query, format = Date, description = "YYYY-MM-DD (default: today, UTC)")),
    responses((status = 200, body = Vec<DayValue>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/portfolio/history")]
pub async fn history(
    auth: Scoped<Markets>,
    mut q: Query,
    db: &Db,
    app: &State<App>,
) -> ApiResult<Json<Vec<DayValue>>> {
    let date = |raw: &str| {
        chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| "must be a date such as 2026-01-31".to_owned())
    };
    let to = q.check_sent("to", date).unwrap_or_else(|| chrono::Utc::now().date_naive());
    let from = q.check_sent("from", date).unwrap_or_else(|| to - chrono::Duration::days(364));
    if from > to {
        q.problem("from", "must not be after `to`");
    } else if (to - from).num_days() >= MAX_DAYS {
        q.problem("from", &format!("must be at most {MAX_DAYS} days before `to`"));
    }
    q.finish()?;
    let days: Vec<chrono::NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
    let ends: Vec<String> = days
        .iter()
        .map(|d| format!("{}T00:00:00.000Z", (*d + chrono::Duration::days(1)).format("%Y-%m-%d")))
        .collect();
    let end = ends.last().cloned().unwrap_or_default();
    let ledger = app.ledgers.of(&db.read, auth.id()).await?;
    let prices = ledger::prices_held_by(&db.read, auth.id(), &end).await?;
    let books: Vec<&Book> = ledger.holdings.values().collect();
    let entries: Vec<Vec<Entry>> =
        books.iter().map(|b| b.entries.iter().take_while(|e| e.at < end).cloned().collect()).collect();
    let by_asset: HashMap<i64, Vec<(String, i64)>> = prices.into_iter().collect();
    let none = Vec::new();
    let timelines: Vec<Timeline<'_>> = books
        .iter()
        .zip(&entries)
        .map(|(b, e)| Timeline { entries: e, prices: by_asset.get(&b.asset_id).unwrap_or(&none) })
        .collect();
    let values = daily(&timelines, &ends).map_err(refused)?;
    let points = days
        .iter()
        .zip(values)
        .map(|(d, (market_value, cost_basis))| DayValue {
            date: d.format("%Y-%m-%d").to_string(),
            market_value,
            cost_basis,
        })
        .collect();
    Ok(Json(points))
}

async fn one_holding(db: &Db, tx: Option<&mut Tx>, user_id: i64, id: i64) -> ApiResult<Holding> {
    let (row, entries) = match tx {
        Some(tx) => {
            let row = ledger::holding(&mut *tx, user_id, id).await?.ok_or_else(not_found)?;
            (row, ledger::entries(&mut *tx, id).await?)
        }
        None => {
            let row = ledger::holding(&db.read, user_id, id).await?.ok_or_else(not_found)?;
            (row, ledger::entries(&db.read, id).await?)
        }
    };
    Holding::new(row, &entries)
}

/// One of the signed-in user's holdings; anyone else's is 404.
#[utoipa::path(get, path = "/api/portfolio/{id}", tag = "portfolio", params(("id" = i64, Path)),
    responses((status = 200, body = Holding), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/portfolio/<id>")]
pub async fn get_holding(auth: Scoped<Markets>, db: &Db, id: i64) -> ApiResult<Json<Holding>> {
    one_holding(db, None, auth.id(), id).await.map(Json)
}

/// One buy of `quantity` whose cost is exactly `cost`: the unit price `cost ÷ quantity`, the
/// remainder as its fee.
fn exact_buy(quantity: i64, cost: i64, at: String) -> TxValues {
    TxValues {
        kind: Kind::Buy,
        quantity: Some(quantity),
        price: Some(cost / quantity),
        fee: Some(cost % quantity),
        amount: None,
        at,
        note: None,
    }
}

/// Add a holding, as the first design had it: recorded as one buy, now, whose cost basis is
/// exactly `costBasis`. One holding per asset per user (409 `already_exists`: record further
/// trades as transactions).
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
    if ledger::holds(&mut tx, auth.id(), asset_id).await? {
        return Err(ApiError::conflict(
            "already_exists",
            "You already hold this asset; record a transaction or change that holding instead.",
        ));
    }
    let holding =
        ledger::open_holding(&mut tx, auth.id(), asset_id).await?.ok_or(ApiError::NotFound("Asset"))?;
    ledger::insert(&mut tx, holding, &exact_buy(qty, cost, crate::db::query::timestamp())).await?;
    let h = one_holding(db, Some(&mut tx), auth.id(), holding).await?;
    tx.commit().await?;
    Ok(Custom(Status::Created, Json(h)))
}

/// Set the quantity or cost basis of a holding, as the first design had it: its transactions
/// are replaced by one buy (at the time of its first transaction) with exactly that quantity and
/// cost basis, so realized profit and dividends recorded on it are gone.
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
    if !ledger::lock_holding(&mut tx, auth.id(), id).await? {
        return Err(not_found());
    }
    let current = one_holding(db, Some(&mut tx), auth.id(), id).await?;
    if qty.is_none() && cost.is_none() {
        tx.rollback().await?;
        return Ok(Json(current));
    }
    let qty = qty.unwrap_or(current.quantity);
    if qty == 0 {
        return Err(ApiError::field("quantity", "is required: this holding is sold out"));
    }
    let first = ledger::entries(&mut tx, id).await?.into_iter().map(|e| e.at).min();
    let at = first.unwrap_or_else(crate::db::query::timestamp);
    ledger::clear(&mut tx, id).await?;
    ledger::insert(&mut tx, id, &exact_buy(qty, cost.unwrap_or(current.cost_basis), at)).await?;
    let h = one_holding(db, Some(&mut tx), auth.id(), id).await?;
    tx.commit().await?;
    Ok(Json(h))
}

/// Remove one of the signed-in user's holdings, with all its transactions.
#[utoipa::path(delete, path = "/api/portfolio/{id}", tag = "portfolio", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 404, description = "No such holding, or another user's", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/portfolio/<id>")]
pub async fn remove(auth: Scoped<Markets>, db: &Db, id: i64) -> ApiResult<Status> {
    let mut tx = db.write.begin().await?;
    if !ledger::lock_holding(&mut tx, auth.id(), id).await? {
        return Err(not_found());
    }
    ledger::clear(&mut tx, id).await?;
    ledger::close_if_empty(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Status::NoContent)
}
