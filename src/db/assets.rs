//! Queries on `assets`: the screener, single assets and price updates.

use sqlx::query::QueryAs;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Sqlite, SqliteConnection, SqliteExecutor, SqlitePool};

use super::users::escape_like;
use super::{returning, returning_optional, timestamp};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssetRow {
    pub id: i64,
    pub symbol: String,
    pub name: String,
    pub price: i64,
    pub market_cap: i64,
    pub rating: Option<String>,
    pub sector: Option<String>,
    pub updated_at: String,
}

/// The values of an asset as written (validated by the API layer).
#[derive(Debug, Clone)]
pub struct AssetValues {
    pub symbol: String,
    pub name: String,
    pub price: i64,
    pub market_cap: i64,
    pub rating: Option<String>,
    pub sector: Option<String>,
}

impl From<AssetRow> for AssetValues {
    fn from(a: AssetRow) -> AssetValues {
        AssetValues {
            symbol: a.symbol,
            name: a.name,
            price: a.price,
            market_cap: a.market_cap,
            rating: a.rating,
            sector: a.sector,
        }
    }
}

/// Credit ratings, best first; `sort=rating` follows this scale.
const CREDIT_SCALE: &[&str] = &[
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B+", "B", "B-",
    "CCC+", "CCC", "CCC-", "CC", "C", "D",
];
/// Analyst ratings, best first, ranked after the credit scale.
const ANALYST_SCALE: &[&str] = &["BUY", "HOLD", "SELL"];
const UNKNOWN_RANK: i64 = 1_000;
const NO_RATING_RANK: i64 = 10_000;

/// Where a rating sorts under `sort=rating`: the credit scale best first (AAA, AA+ ... D), then
/// BUY, HOLD, SELL, then any other rating (alphabetically, by the secondary sort key), then none.
pub fn rating_rank(rating: Option<&str>) -> i64 {
    let Some(r) = rating else { return NO_RATING_RANK };
    let position = |scale: &[&str]| scale.iter().position(|s| *s == r);
    if let Some(i) = position(CREDIT_SCALE) {
        return i as i64;
    }
    if let Some(i) = position(ANALYST_SCALE) {
        return 100 + i as i64;
    }
    UNKNOWN_RANK
}

const COLUMNS: &str = "id, symbol, name, price, market_cap, rating, sector, updated_at";

pub async fn insert(db: impl SqliteExecutor<'_>, a: &AssetValues) -> Result<AssetRow, sqlx::Error> {
    let sql = format!(
        "INSERT INTO assets (symbol, name, price, market_cap, rating, rating_rank, sector, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
    );
    returning(bind_values(sqlx::query_as(&sql), a), db).await
}

/// Binds the eight editable columns, in the order `insert` and `update` list them.
fn bind_values<'q>(
    query: QueryAs<'q, Sqlite, AssetRow, SqliteArguments<'q>>,
    a: &'q AssetValues,
) -> QueryAs<'q, Sqlite, AssetRow, SqliteArguments<'q>> {
    query
        .bind(&a.symbol)
        .bind(&a.name)
        .bind(a.price)
        .bind(a.market_cap)
        .bind(&a.rating)
        .bind(rating_rank(a.rating.as_deref()))
        .bind(&a.sector)
        .bind(timestamp())
}

pub async fn by_id(db: impl SqliteExecutor<'_>, id: i64) -> Result<Option<AssetRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM assets WHERE id = ?")).bind(id).fetch_optional(db).await
}

pub async fn id_of(db: impl SqliteExecutor<'_>, symbol: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM assets WHERE symbol = ?").bind(symbol).fetch_optional(db).await
}

/// Every column at once; callers start from the current row. `None` when the asset is gone.
pub async fn update(
    db: impl SqliteExecutor<'_>,
    id: i64,
    a: &AssetValues,
) -> Result<Option<AssetRow>, sqlx::Error> {
    let sql = format!(
        "UPDATE assets SET symbol = ?, name = ?, price = ?, market_cap = ?, rating = ?, rating_rank = ?,
         sector = ?, updated_at = ? WHERE id = ? RETURNING {COLUMNS}"
    );
    returning_optional(bind_values(sqlx::query_as(&sql), a).bind(id), db).await
}

/// Sets the price of the asset with this (uppercase) symbol; `None` when there is no such asset.
pub async fn set_price(
    conn: &mut SqliteConnection,
    symbol: &str,
    price: i64,
) -> Result<Option<AssetRow>, sqlx::Error> {
    let sql = format!("UPDATE assets SET price = ?, updated_at = ? WHERE symbol = ? RETURNING {COLUMNS}");
    let query = sqlx::query_as(&sql).bind(price).bind(timestamp()).bind(symbol);
    returning_optional(query, conn).await
}

pub enum Deleted {
    Yes,
    InUse,
    NotFound,
}

/// Deletes the asset unless someone holds it (watchlist rows go with it). The first statement
/// writes, so the transaction holds the write lock from the start.
pub async fn delete_unless_held(conn: &mut SqliteConnection, id: i64) -> Result<Deleted, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM assets WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM holdings WHERE asset_id = ?1)",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(Deleted::Yes);
    }
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM assets WHERE id = ?)")
        .bind(id)
        .fetch_one(conn)
        .await?;
    Ok(if exists { Deleted::InUse } else { Deleted::NotFound })
}

/// The screener's sort orders; the SQL comes from this list, never from the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Symbol,
    Price,
    PriceDesc,
    MarketCap,
    MarketCapDesc,
    Rating,
}

impl Sort {
    pub const NAMES: &'static [&'static str] =
        &["symbol", "price", "-price", "marketCap", "-marketCap", "rating"];

    pub fn from_name(name: &str) -> Option<Sort> {
        Some(match name {
            "symbol" => Sort::Symbol,
            "price" => Sort::Price,
            "-price" => Sort::PriceDesc,
            "marketCap" => Sort::MarketCap,
            "-marketCap" => Sort::MarketCapDesc,
            "rating" => Sort::Rating,
            _ => return None,
        })
    }

    fn order_by(self) -> &'static str {
        match self {
            Sort::Symbol => "symbol",
            Sort::Price => "price, symbol",
            Sort::PriceDesc => "price DESC, symbol",
            Sort::MarketCap => "market_cap, symbol",
            Sort::MarketCapDesc => "market_cap DESC, symbol",
            Sort::Rating => "rating_rank, rating, symbol",
        }
    }
}

/// Screener filters; every one optional, all combined with AND. Bounds are inclusive.
#[derive(Debug, Clone, Default)]
pub struct Screen {
    pub q: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub min_market_cap: Option<i64>,
    pub max_market_cap: Option<i64>,
    /// Any of these (uppercase) ratings.
    pub ratings: Option<Vec<String>>,
    /// Exact sector, case-insensitively.
    pub sector: Option<String>,
}

pub async fn screen(
    db: &SqlitePool,
    f: &Screen,
    sort: Sort,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AssetRow>, i64), sqlx::Error> {
    let pattern = f.q.as_deref().map(|q| format!("%{}%", escape_like(q)));
    let ratings = f.ratings.as_ref().map(|r| serde_json::Value::from(r.clone()).to_string());
    let filter = "(?1 IS NULL OR symbol LIKE ?1 ESCAPE '\\' OR name LIKE ?1 ESCAPE '\\')
        AND (?2 IS NULL OR price >= ?2) AND (?3 IS NULL OR price <= ?3)
        AND (?4 IS NULL OR market_cap >= ?4) AND (?5 IS NULL OR market_cap <= ?5)
        AND (?6 IS NULL OR rating IN (SELECT value FROM json_each(?6)))
        AND (?7 IS NULL OR sector = ?7 COLLATE NOCASE)";
    let mut args = super::Binds::default();
    args.push(pattern);
    args.push(f.min_price);
    args.push(f.max_price);
    args.push(f.min_market_cap);
    args.push(f.max_market_cap);
    args.push(ratings);
    args.push(f.sector.as_deref());
    let count_sql = format!("SELECT count(*) FROM assets WHERE {filter}");
    let list_sql = format!("SELECT {COLUMNS} FROM assets WHERE {filter} ORDER BY {}", sort.order_by());
    super::page_of(db, &count_sql, &list_sql, args, limit, offset).await
}
