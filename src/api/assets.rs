//! `/api/assets*` but the screener: one asset, and its changes (assets:write), including bulk
//! price updates.

use std::collections::HashMap;

use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, post, put};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::body::{Body, Csv};
use super::patch::present;
use super::query::{instant, past_instant, Query};
use super::schema;
use super::views::Asset;
use crate::auth::guards::AssetsWrite;
use crate::auth::{Client, Perm};
use crate::db::assets::{self, AssetValues, Deleted};
use crate::db::{audit, ledger, Db};
use crate::domain::assets::{Rating, Symbol, MAX_MARKET_CAP, MAX_NAME, MAX_PRICE, MAX_SECTOR};
use crate::domain::audit::{Action, Details, TargetType};
use crate::domain::csv::cents;
use crate::domain::money::bounded;
use crate::domain::text::{optional_text, text};
use crate::domain::Fields;
use crate::error::{ApiError, ApiResult, ErrorBody};

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![get_asset, create, update, remove, update_prices, prices, import_prices]
}

/// A new asset. `symbol`, `name`, `price` and `marketCap` are required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewAsset {
    /// 1–10 of A–Z, 0–9, `.` and `-` (stored uppercase; unique).
    #[schema(schema_with = schema::symbol, required = true)]
    symbol: Option<String>,
    /// 1–100 characters.
    #[schema(schema_with = schema::asset_name, required = true)]
    name: Option<String>,
    /// Cents, 0 to 1,000,000,000.
    #[schema(value_type = i64, required = true, minimum = 0, maximum = 1_000_000_000)]
    price: Option<i64>,
    /// Whole currency units, 0 to 10^15.
    #[schema(value_type = i64, required = true, minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    market_cap: Option<i64>,
    /// 1–5 of A–Z, 0–9, `+`, `-` (stored uppercase); null or blank for none.
    #[schema(schema_with = schema::rating_or_blank)]
    rating: Option<String>,
    /// Up to 50 characters; null or blank for none.
    #[schema(schema_with = schema::sector_or_blank)]
    sector: Option<String>,
}

/// Absent fields stay as they are; `rating` and `sector` may be set to null.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssetPatch {
    #[schema(schema_with = schema::symbol_or_null)]
    symbol: Option<String>,
    #[schema(schema_with = schema::asset_name_or_null)]
    name: Option<String>,
    /// Cents, 0 to 1,000,000,000.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    price: Option<i64>,
    /// Whole currency units, 0 to 10^15.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    market_cap: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schema::rating_or_blank)]
    rating: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schema::sector_or_blank)]
    sector: Option<Option<String>>,
}

/// One entry of a bulk price update.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PriceUpdate {
    /// An existing asset's symbol (case-insensitive), listed once.
    #[allow(dead_code)]
    #[schema(schema_with = schema::symbol, required = true)]
    symbol: String,
    /// The new price in cents, 0 to 1,000,000,000.
    #[allow(dead_code)]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    price: i64,
}

/// A bulk price update: at least one entry, each symbol once (documentation only).
pub struct PriceList;

impl utoipa::PartialSchema for PriceList {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(utoipa::openapi::Ref::from_schema_name("PriceUpdate"))
            .min_items(Some(1))
            .into()
    }
}

impl ToSchema for PriceList {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        schemas.push((PriceUpdate::name().into(), <PriceUpdate as utoipa::PartialSchema>::schema()));
    }
}

/// One asset.
#[utoipa::path(get, path = "/api/assets/{id}", tag = "markets", params(("id" = i64, Path)),
    responses((status = 200, body = Asset), (status = 404, body = ErrorBody)))]
#[get("/assets/<id>")]
pub async fn get_asset(db: &Db, id: i64) -> ApiResult<Json<Asset>> {
    let asset = assets::by_id(&db.read, id).await?.ok_or(ApiError::NotFound("Asset"))?;
    Ok(Json(asset.into()))
}

/// List a new asset.
#[utoipa::path(post, path = "/api/assets", tag = "markets", request_body = NewAsset,
    responses((status = 201, body = Asset), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "Without assets:write", body = ErrorBody),
        (status = 409, description = "`symbol_taken`", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/assets", data = "<body>")]
pub async fn create(
    who: Perm<AssetsWrite>,
    client: Client,
    db: &Db,
    body: Body<NewAsset>,
) -> ApiResult<Custom<Json<Asset>>> {
    let b = body.0;
    let mut f = Fields::default();
    let symbol = f.require("symbol", b.symbol, |s| Symbol::parse(&s));
    let name = f.require("name", b.name, |n| text(&n, MAX_NAME));
    let price = f.require("price", b.price, |p| bounded(p, MAX_PRICE));
    let market_cap = f.require("marketCap", b.market_cap, |m| bounded(m, MAX_MARKET_CAP));
    let rating =
        b.rating.as_deref().map(|r| f.check("rating", Rating::parse_optional(r))).unwrap_or(Some(None));
    let sector =
        b.sector.as_deref().map(|s| f.check("sector", optional_text(s, MAX_SECTOR))).unwrap_or(Some(None));
    f.finish()?;
    let (Some(symbol), Some(name), Some(price), Some(market_cap), Some(rating), Some(sector)) =
        (symbol, name, price, market_cap, rating, sector)
    else {
        unreachable!("checked by finish")
    };
    let values = AssetValues { symbol: symbol.into_inner(), name, price, market_cap, rating, sector };
    let mut tx = db.write.begin().await?;
    let asset = assets::insert(&mut tx, &values).await?;
    let details =
        Details::new().with("symbol", &asset.symbol).with("name", &asset.name).with("price", asset.price);
    let event = client.event(Action::AssetCreated).by(&who.0.user).on(TargetType::Asset, asset.id);
    audit::record(&mut tx, event.details(details)).await?;
    tx.commit().await?;
    Ok(Custom(Status::Created, Json(asset.into())))
}

/// Change an asset; only the fields sent change.
#[utoipa::path(patch, path = "/api/assets/{id}", tag = "markets", params(("id" = i64, Path)),
    request_body(content = Option<AssetPatch>, description = "Only the fields sent change; no body changes nothing"),
    responses((status = 200, body = Asset), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`symbol_taken`", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[patch("/assets/<id>", data = "<body>")]
pub async fn update(
    who: Perm<AssetsWrite>,
    client: Client,
    db: &Db,
    id: i64,
    body: Body<AssetPatch>,
) -> ApiResult<Json<Asset>> {
    let p = body.0;
    let mut f = Fields::default();
    let symbol = p.symbol.as_deref().and_then(|s| f.check("symbol", Symbol::parse(s)));
    let name = p.name.as_deref().and_then(|n| f.check("name", text(n, MAX_NAME)));
    let price = p.price.and_then(|v| f.check("price", bounded(v, MAX_PRICE)));
    let market_cap = p.market_cap.and_then(|v| f.check("marketCap", bounded(v, MAX_MARKET_CAP)));
    let rating = p.rating.map(|r| r.as_deref().map_or(Ok(None), Rating::parse_optional));
    let rating = rating.and_then(|r| f.check("rating", r));
    let sector = p.sector.map(|s| s.as_deref().map_or(Ok(None), |s| optional_text(s, MAX_SECTOR)));
    let sector = sector.and_then(|s| f.check("sector", s));
    f.finish()?;

    let mut tx = db.write.begin().await?;
    let current = assets::lock(&mut tx, id).await?.ok_or(ApiError::NotFound("Asset"))?;
    let before = Asset::from(current.clone());
    let mut v = AssetValues::from(current);
    if let Some(s) = symbol {
        v.symbol = s.into_inner();
    }
    if let Some(n) = name {
        v.name = n;
    }
    if let Some(p) = price {
        v.price = p;
    }
    if let Some(m) = market_cap {
        v.market_cap = m;
    }
    if let Some(r) = rating {
        v.rating = r;
    }
    if let Some(s) = sector {
        v.sector = s;
    }
    let updated = Asset::from(assets::update(&mut tx, id, &v).await?.ok_or(ApiError::NotFound("Asset"))?);
    let details = Details::diff(&before, &updated, &["updatedAt"]);
    if !details.is_empty() {
        let event = client.event(Action::AssetUpdated).by(&who.0.user).on(TargetType::Asset, id);
        audit::record(&mut tx, event.details(details)).await?;
    }
    tx.commit().await?;
    Ok(Json(updated))
}

/// Delete an asset (it leaves every watchlist). Refused while anyone holds it.
#[utoipa::path(delete, path = "/api/assets/{id}", tag = "markets", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`asset_in_use`: someone holds it", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/assets/<id>")]
pub async fn remove(who: Perm<AssetsWrite>, client: Client, db: &Db, id: i64) -> ApiResult<Status> {
    let mut tx = db.write.begin().await?;
    let asset = assets::lock(&mut tx, id).await?.ok_or(ApiError::NotFound("Asset"))?;
    let outcome = assets::delete_unless_held(&mut tx, id).await?;
    if matches!(outcome, Deleted::Yes) {
        let event = client.event(Action::AssetDeleted).by(&who.0.user).on(TargetType::Asset, id);
        audit::record(&mut tx, event.details(Details::new().with("symbol", &asset.symbol))).await?;
        tx.commit().await?;
    }
    match outcome {
        Deleted::Yes => Ok(Status::NoContent),
        Deleted::NotFound => Err(ApiError::NotFound("Asset")),
        Deleted::InUse => Err(ApiError::conflict(
            "asset_in_use",
            "Someone holds this asset; it can be deleted once no portfolio contains it.",
        )),
    }
}

/// Set many prices at once, in one transaction: if any entry is bad (unknown symbol, a price
/// that is not a whole number of cents in range, a symbol listed twice) nothing changes and the
/// 400 names every offending entry as `[index].symbol` / `[index].price`. Answers the updated
/// assets, in the order given.
#[utoipa::path(put, path = "/api/assets/prices", tag = "markets", request_body = PriceList,
    responses((status = 200, body = Vec<Asset>),
        (status = 400, description = "Nothing changed; `fields` names each bad entry, e.g. `[1].symbol`", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[put("/assets/prices", data = "<body>")]
pub async fn update_prices(
    who: Perm<AssetsWrite>,
    client: Client,
    db: &Db,
    body: Body<Vec<Value>, true>,
) -> ApiResult<Json<Vec<Asset>>> {
    let mut f = Fields::default();
    let entries = parse_price_entries(&body.0, &mut f);
    let mut tx = db.write.begin().await?;
    let mut updated = Vec::with_capacity(entries.len());
    let mut prices = serde_json::Map::new();
    for (i, (symbol, price)) in entries.iter().enumerate() {
        let Some(symbol) = symbol else { continue };
        let found = match price {
            Some(price) => assets::set_price(&mut tx, symbol, *price).await?.map(|a| {
                prices.insert(a.symbol.clone(), Value::from(a.price));
                updated.push(Asset::from(a))
            }),
            // The price is already reported; still say whether the symbol exists.
            None => assets::id_of(&mut tx, symbol).await?.map(|_| ()),
        };
        if found.is_none() {
            f.add(&format!("[{i}].symbol"), format!("no asset has the symbol {symbol}"));
        }
    }
    // Dropping the transaction on error rolls every update back.
    f.finish()?;
    if !updated.is_empty() {
        let details = Details::new().with("count", updated.len()).with("prices", prices);
        audit::record(&mut tx, client.event(Action::AssetPricesUpdated).by(&who.0.user).details(details))
            .await?;
    }
    tx.commit().await?;
    Ok(Json(updated))
}

/// An entry's uppercase symbol and price, each `None` when bad.
type PriceEntry = (Option<String>, Option<i64>);

/// Parses every entry, adding each problem to `f` as `[index]`, `[index].symbol` or `[index].price`.
fn parse_price_entries(list: &[Value], f: &mut Fields) -> Vec<PriceEntry> {
    if list.is_empty() {
        f.add("body", "must list at least one {symbol, price}");
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    list.iter()
        .enumerate()
        .map(|(i, entry)| {
            let Some(obj) = entry.as_object() else {
                f.add(&format!("[{i}]"), "must be an object {symbol, price}");
                return (None, None);
            };
            let symbol = match obj.get("symbol") {
                None | Some(Value::Null) => Err("is required".to_owned()),
                Some(Value::String(s)) => Symbol::parse(s).map(Symbol::into_inner),
                Some(_) => Err("must be a string".to_owned()),
            };
            let symbol = symbol.and_then(|s| match seen.get(&s) {
                Some(first) => Err(format!("repeats entry [{first}]")),
                None => {
                    seen.insert(s.clone(), i);
                    Ok(s)
                }
            });
            let price = match obj.get("price") {
                None | Some(Value::Null) => Err("is required".to_owned()),
                Some(Value::Number(n)) => match n.as_i64() {
                    Some(p) => bounded(p, MAX_PRICE),
                    None if n.is_u64() => bounded(MAX_PRICE + 1, MAX_PRICE),
                    None => Err("must be an integer (cents)".to_owned()),
                },
                Some(_) => Err("must be an integer (cents)".to_owned()),
            };
            let symbol = f.check(&format!("[{i}].symbol"), symbol);
            let price = f.check(&format!("[{i}].price"), price);
            (symbol, price)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn price_entries_report_every_problem() {
        let mut f = Fields::default();
        let list = [
            json!({"symbol": "aapl", "price": 100}),
            json!({"symbol": "AAPL", "price": 1.5}),
            json!({"price": -1}),
            json!("x"),
            json!({"symbol": "B", "price": 10_000_000_000_i64}),
            json!({"symbol": "Aapl", "price": 1}),
        ];
        let parsed = parse_price_entries(&list, &mut f);
        assert_eq!(parsed[0], (Some("AAPL".to_owned()), Some(100)));
        assert_eq!(parsed[1], (None, None));
        assert_eq!(parsed[2], (None, None));
        assert_eq!(parsed[3], (None, None));
        assert_eq!(parsed[4], (Some("B".to_owned()), None));
        let Err(ApiError::Validation(fields)) = f.finish() else { panic!("no errors") };
        let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["[1].price", "[1].symbol", "[2].price", "[2].symbol", "[3]", "[4].price", "[5].symbol"]
        );
        assert_eq!(fields["[1].symbol"], "repeats entry [0]");
        assert_eq!(fields["[5].symbol"], "repeats entry [0]");
    }
}

/// A price the asset had, and since when.
#[derive(Debug, Serialize, ToSchema)]
pub struct PricePoint {
    at: String,
    /// Cents.
    price: i64,
}

/// The asset's price history, oldest first: every change (create, `PATCH`, `PUT
/// /api/assets/prices`, imports) with its time. `from`/`to` are RFC 3339, inclusive.
#[utoipa::path(get, path = "/api/assets/{id}/prices", tag = "markets",
    params(("id" = i64, Path), ("from" = Option<String>, Query, format = DateTime), ("to" = Option<String>, Query, format = DateTime)),
    responses((status = 200, body = Vec<PricePoint>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/assets/<id>/prices")]
pub async fn prices(mut q: Query, db: &Db, id: i64) -> ApiResult<Json<Vec<PricePoint>>> {
    let from = q.check_sent("from", instant);
    let to = q.check_sent("to", instant);
    q.finish()?;
    assets::by_id(&db.read, id).await?.ok_or(ApiError::NotFound("Asset"))?;
    let points = ledger::prices(&db.read, id, from.as_deref(), to.as_deref()).await?;
    Ok(Json(points.into_iter().map(|p| PricePoint { at: p.at, price: p.price }).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PricesImported {
    /// Rows recorded.
    imported: usize,
}

/// Backfill price history from CSV (`text/csv`, assets:write), all or nothing: header
/// `symbol,date,price` (a date `YYYY-MM-DD` or an RFC 3339 time, not in the future; the price in
/// currency units, `19.99`), or `symbol,price` for prices as of now. A price newer than every
/// other of its asset becomes the asset's current price. Any bad row is a 400 naming
/// `[row].column`.
#[utoipa::path(post, path = "/api/assets/prices/import", tag = "markets",
    request_body(content = String, content_type = "text/csv", description = "symbol,date,price or symbol,price"),
    responses((status = 200, body = PricesImported), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/assets/prices/import", data = "<body>")]
pub async fn import_prices(
    who: Perm<AssetsWrite>,
    client: Client,
    db: &Db,
    body: Csv,
) -> ApiResult<Json<PricesImported>> {
    let (which, rows) = body.table(&[&["symbol", "date", "price"], &["symbol", "price"]])?;
    let dated = which == 0;
    let now = crate::db::query::timestamp();
    let mut f = Fields::default();
    let mut ids: HashMap<String, Option<i64>> = HashMap::new();
    let mut parsed: Vec<(i64, String, i64)> = Vec::with_capacity(rows.len());
    for (i, cells) in rows.iter().enumerate() {
        let at = |c: &str| format!("[{}].{c}", i + 1);
        let cell = |n: usize| cells.get(n).map(String::as_str).filter(|c| !c.is_empty());
        let symbol = f.require(&at("symbol"), cell(0), |s| Ok(s.to_ascii_uppercase()));
        let asset = match symbol {
            Some(s) => {
                if !ids.contains_key(&s) {
                    ids.insert(s.clone(), assets::id_of(&db.read, &s).await?);
                }
                let found = ids[&s];
                if found.is_none() {
                    f.add(&at("symbol"), format!("no asset has the symbol {s}"));
                }
                found
            }
            None => None,
        };
        let when = if dated {
            f.require(&at("date"), cell(1), |d| past_instant(d, true))
        } else {
            Some(now.clone())
        };
        let price = f.require(&at("price"), cell(if dated { 2 } else { 1 }), |p| {
            cents(p).and_then(|c| bounded(c, MAX_PRICE))
        });
        if let (Some(asset), Some(when), Some(price)) = (asset, when, price) {
            parsed.push((asset, when, price));
        }
    }
    f.finish()?;
    let mut tx = db.write.begin().await?;
    // The newest imported price of each asset, to compare with what it had.
    let mut newest: HashMap<i64, (String, i64)> = HashMap::new();
    for (asset, when, price) in &parsed {
        let e = newest.entry(*asset).or_insert_with(|| (when.clone(), *price));
        if *when >= e.0 {
            *e = (when.clone(), *price);
        }
    }
    // A price newer than all its asset had becomes the current one: the `assets_price_changed`
    // trigger then records it, and the row is not inserted twice.
    let mut recorded = Vec::new();
    for (asset, (when, price)) in &newest {
        let before = ledger::latest_price_at(&mut tx, *asset).await?;
        let current = assets::lock(&mut tx, *asset).await?.map(|a| a.price);
        if before.as_ref().is_none_or(|b| when >= b) && current != Some(*price) {
            assets::set_current_price(&mut tx, *asset, *price, when).await?;
            recorded.push((*asset, when.clone(), *price));
        }
    }
    let changed = recorded.len();
    for (asset, when, price) in &parsed {
        if let Some(i) = recorded.iter().position(|r| r.0 == *asset && r.1 == *when && r.2 == *price) {
            recorded.swap_remove(i);
            continue;
        }
        ledger::insert_price(&mut tx, *asset, when, *price).await?;
    }
    let details = Details::new().with("imported", parsed.len()).with("currentPricesSet", changed);
    audit::record(&mut tx, client.event(Action::AssetPricesUpdated).by(&who.0.user).details(details)).await?;
    tx.commit().await?;
    Ok(Json(PricesImported { imported: parsed.len() }))
}
