//! `/api/assets*`: the public screener and single assets, asset management and the bulk price
//! update (assets:write).

use std::collections::HashMap;

use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, post, put};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::body::Body;
use super::query::{Page, PageParams, Query};
use super::schema;
use crate::auth::guards::AssetsWrite;
use crate::auth::Perm;
use crate::db::assets::{self, AssetRow, AssetValues, Deleted, Screen, Sort};
use crate::db::Db;
use crate::domain::{text, Fields};
use crate::error::{ApiError, ApiResult, ErrorBody, FieldErrors};

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![list, get_asset, create, update, remove, update_prices]
}

/// Highest accepted price: 10,000,000.00 per unit. With `MAX_QUANTITY` this keeps every
/// holding's market value within `i64`.
pub const MAX_PRICE: i64 = 1_000_000_000;
/// Highest accepted market capitalisation, in whole currency units (a quadrillion).
pub const MAX_MARKET_CAP: i64 = 1_000_000_000_000_000;
pub const MAX_NAME: usize = 100;
pub const MAX_SECTOR: usize = 50;

/// An asset symbol: 1–10 of A–Z, 0–9, `.` and `-`, stored uppercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol(String);

impl Symbol {
    pub fn parse(raw: &str) -> Result<Symbol, String> {
        let s = raw.trim().to_ascii_uppercase();
        let ok = (1..=10).contains(&s.len())
            && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '.' || c == '-');
        if ok {
            Ok(Symbol(s))
        } else {
            Err("must be 1 to 10 characters of A-Z, 0-9, . and -".into())
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A rating such as `AAA`, `BB+` or `BUY`: 1–5 of A–Z, 0–9, `+` and `-`, stored uppercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating(String);

impl Rating {
    pub fn parse(raw: &str) -> Result<Rating, String> {
        let r = raw.trim().to_ascii_uppercase();
        let ok = (1..=5).contains(&r.len())
            && r.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '+' || c == '-');
        if ok {
            Ok(Rating(r))
        } else {
            Err("must be 1 to 5 characters of A-Z, 0-9, + and -".into())
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A whole number in `0..=max`.
pub fn bounded(v: i64, max: i64) -> Result<i64, String> {
    if (0..=max).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be between 0 and {max}"))
    }
}

/// Optional text: blank means none.
fn optional_text(raw: &str, max: usize) -> Result<Option<String>, String> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        text(raw, max).map(Some)
    }
}

fn optional_rating(raw: &str) -> Result<Option<String>, String> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        Rating::parse(raw).map(|r| Some(r.into_inner()))
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Asset {
    id: i64,
    /// Uppercase, unique.
    symbol: String,
    name: String,
    /// Cents.
    price: i64,
    /// Whole currency units.
    market_cap: i64,
    /// Uppercase, e.g. `AAA`, `BB+`, `BUY`.
    rating: Option<String>,
    sector: Option<String>,
    /// When anything about the asset (including its price) last changed.
    updated_at: String,
}

impl From<AssetRow> for Asset {
    fn from(a: AssetRow) -> Asset {
        Asset {
            id: a.id,
            symbol: a.symbol,
            name: a.name,
            price: a.price,
            market_cap: a.market_cap,
            rating: a.rating,
            sector: a.sector,
            updated_at: a.updated_at,
        }
    }
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

fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
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

/// The screener's filters (paging is documented separately).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ScreenerParams {
    /// Substring of the symbol or name, case-insensitive (at most 100 characters).
    #[param(max_length = 100)]
    q: Option<String>,
    /// Lowest price in cents (inclusive).
    #[param(minimum = 0, rename = "minPrice")]
    min_price: Option<i64>,
    /// Highest price in cents (inclusive).
    #[param(minimum = 0, rename = "maxPrice")]
    max_price: Option<i64>,
    /// Lowest market cap (inclusive); `maxPrice` below `minPrice`, or `maxMarketCap` below
    /// `minMarketCap`, is a 400.
    #[param(minimum = 0, rename = "minMarketCap")]
    min_market_cap: Option<i64>,
    /// Highest market cap (inclusive).
    #[param(minimum = 0, rename = "maxMarketCap")]
    max_market_cap: Option<i64>,
    /// Comma-separated ratings, any of which matches (case-insensitive), e.g. `A,AA`.
    #[param(example = "A,AA", schema_with = schema::rating_filter)]
    rating: Option<String>,
    /// Exact sector, case-insensitive (at most 50 characters).
    #[param(max_length = 50)]
    sector: Option<String>,
    /// One of `symbol` (default), `price`, `-price`, `marketCap`, `-marketCap`, `rating`
    /// (credit scale best first: AAA, AA+, AA ... D, then BUY, HOLD, SELL, then other ratings
    /// alphabetically, then unrated). Ties are broken by symbol.
    #[param(value_type = Option<AssetSortName>)]
    sort: Option<String>,
}

/// The screener's sort orders (documentation only).
#[derive(Serialize, ToSchema)]
pub enum AssetSortName {
    #[serde(rename = "symbol")]
    Symbol,
    #[serde(rename = "price")]
    Price,
    #[serde(rename = "-price")]
    PriceDesc,
    #[serde(rename = "marketCap")]
    MarketCap,
    #[serde(rename = "-marketCap")]
    MarketCapDesc,
    #[serde(rename = "rating")]
    Rating,
}

const MAX_RATINGS_FILTER: usize = 30;

/// Screener parameters; problems the `Query` helpers do not check are returned.
fn screen_params(q: &mut Query) -> (Screen, Sort, FieldErrors) {
    let mut s = Screen {
        q: q.text("q"),
        min_price: q.int("minPrice", 0),
        max_price: q.int("maxPrice", 0),
        min_market_cap: q.int("minMarketCap", 0),
        max_market_cap: q.int("maxMarketCap", 0),
        ratings: None,
        sector: q.text("sector"),
    };
    let mut problems: Vec<(&str, String)> = Vec::new();
    if s.q.as_ref().is_some_and(|t| t.chars().count() > 100) {
        problems.push(("q", "must be at most 100 characters".into()));
    }
    if s.sector.as_ref().is_some_and(|t| t.chars().count() > MAX_SECTOR) {
        problems.push(("sector", format!("must be at most {MAX_SECTOR} characters")));
    }
    if let (Some(lo), Some(hi)) = (s.min_price, s.max_price) {
        if lo > hi {
            problems.push(("maxPrice", "must not be below minPrice".into()));
        }
    }
    if let (Some(lo), Some(hi)) = (s.min_market_cap, s.max_market_cap) {
        if lo > hi {
            problems.push(("maxMarketCap", "must not be below minMarketCap".into()));
        }
    }
    if let Some(raw) = q.text("rating") {
        let parsed: Result<Vec<String>, String> = raw
            .split(',')
            .map(|r| Rating::parse(r).map(Rating::into_inner))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("each comma-separated rating {e}"));
        match parsed {
            Ok(list) if list.len() > MAX_RATINGS_FILTER => {
                problems.push(("rating", format!("may list at most {MAX_RATINGS_FILTER} ratings")))
            }
            Ok(list) => s.ratings = Some(list),
            Err(e) => problems.push(("rating", e)),
        }
    }
    let sort = q.one_of("sort", Sort::NAMES).and_then(Sort::from_name).unwrap_or(Sort::Symbol);
    let problems = problems.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    (s, sort, problems)
}

/// The screener: every filter is optional and they combine (AND); bounds are inclusive.
#[utoipa::path(get, path = "/api/assets", tag = "markets", params(ScreenerParams, PageParams),
    responses((status = 200, body = Page<Asset>),
        (status = 400, description = "A bad filter, sort or paging parameter, named in `fields`", body = ErrorBody)))]
#[get("/assets")]
pub async fn list(mut q: Query, db: &Db) -> ApiResult<Json<Page<Asset>>> {
    let paging = q.paging();
    let (filter, sort, mut problems) = screen_params(&mut q);
    // Every bad parameter at once: the `Query` helpers' findings and ours.
    match q.finish() {
        Ok(()) => {}
        Err(ApiError::Validation(found)) => problems.extend(found),
        Err(e) => return Err(e),
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let (rows, total) = assets::screen(&db.read, &filter, sort, paging.limit(), paging.offset()).await?;
    Ok(Json(Page::new(rows.into_iter().map(Asset::from).collect(), paging, total)))
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
    _who: Perm<AssetsWrite>,
    db: &Db,
    body: Body<NewAsset>,
) -> ApiResult<Custom<Json<Asset>>> {
    let b = body.0;
    let mut f = Fields::default();
    let symbol = f.require("symbol", b.symbol, |s| Symbol::parse(&s));
    let name = f.require("name", b.name, |n| text(&n, MAX_NAME));
    let price = f.require("price", b.price, |p| bounded(p, MAX_PRICE));
    let market_cap = f.require("marketCap", b.market_cap, |m| bounded(m, MAX_MARKET_CAP));
    let rating = b.rating.as_deref().map(|r| f.check("rating", optional_rating(r))).unwrap_or(Some(None));
    let sector =
        b.sector.as_deref().map(|s| f.check("sector", optional_text(s, MAX_SECTOR))).unwrap_or(Some(None));
    f.finish()?;
    let (Some(symbol), Some(name), Some(price), Some(market_cap), Some(rating), Some(sector)) =
        (symbol, name, price, market_cap, rating, sector)
    else {
        unreachable!("checked by finish")
    };
    let values = AssetValues { symbol: symbol.into_inner(), name, price, market_cap, rating, sector };
    let asset = assets::insert(&db.write, &values).await?;
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
    _who: Perm<AssetsWrite>,
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
    let rating = p.rating.map(|r| r.as_deref().map_or(Ok(None), optional_rating));
    let rating = rating.and_then(|r| f.check("rating", r));
    let sector = p.sector.map(|s| s.as_deref().map_or(Ok(None), |s| optional_text(s, MAX_SECTOR)));
    let sector = sector.and_then(|s| f.check("sector", s));
    f.finish()?;

    let mut tx = db.write.begin().await?;
    let current = assets::by_id(&mut *tx, id).await?.ok_or(ApiError::NotFound("Asset"))?;
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
    let updated = assets::update(&mut *tx, id, &v).await?.ok_or(ApiError::NotFound("Asset"))?;
    tx.commit().await?;
    Ok(Json(updated.into()))
}

/// Delete an asset (it leaves every watchlist). Refused while anyone holds it.
#[utoipa::path(delete, path = "/api/assets/{id}", tag = "markets", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`asset_in_use`: someone holds it", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/assets/<id>")]
pub async fn remove(_who: Perm<AssetsWrite>, db: &Db, id: i64) -> ApiResult<Status> {
    let mut tx = db.write.begin().await?;
    let outcome = assets::delete_unless_held(&mut tx, id).await?;
    tx.commit().await?;
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
    _who: Perm<AssetsWrite>,
    db: &Db,
    body: Body<Vec<Value>, true>,
) -> ApiResult<Json<Vec<Asset>>> {
    let mut f = Fields::default();
    let entries = parse_price_entries(&body.0, &mut f);
    let mut tx = db.write.begin().await?;
    let mut updated = Vec::with_capacity(entries.len());
    for (i, (symbol, price)) in entries.iter().enumerate() {
        let Some(symbol) = symbol else { continue };
        let found = match price {
            Some(price) => {
                assets::set_price(&mut tx, symbol, *price).await?.map(|a| updated.push(Asset::from(a)))
            }
            // The price is already reported; still say whether the symbol exists.
            None => assets::id_of(&mut *tx, symbol).await?.map(|_| ()),
        };
        if found.is_none() {
            f.add(&format!("[{i}].symbol"), format!("no asset has the symbol {symbol}"));
        }
    }
    // Dropping the transaction on error rolls every update back.
    f.finish()?;
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
    fn symbols() {
        assert_eq!(Symbol::parse(" brk.b ").unwrap().into_inner(), "BRK.B");
        assert_eq!(Symbol::parse("RDS-A").unwrap().into_inner(), "RDS-A");
        assert_eq!(Symbol::parse("ABCDEFGHIJ").unwrap().into_inner(), "ABCDEFGHIJ");
        for bad in ["", "   ", "ABCDEFGHIJK", "A B", "A_B", "ÄPL", "A/B", "$X"] {
            assert!(Symbol::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn ratings() {
        assert_eq!(Rating::parse("bb+").unwrap().into_inner(), "BB+");
        assert_eq!(Rating::parse("Buy").unwrap().into_inner(), "BUY");
        for bad in ["", "STRONG", "A A", "A*", "ÀA"] {
            assert!(Rating::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn bounds() {
        assert_eq!(bounded(0, 10), Ok(0));
        assert_eq!(bounded(10, 10), Ok(10));
        assert!(bounded(-1, 10).is_err());
        assert!(bounded(11, 10).is_err());
    }

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
