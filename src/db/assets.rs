//! Queries on `assets`: the screener, single assets and price updates.

use sqlx::query::QueryAs;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Sqlite, SqliteConnection, SqliteExecutor, SqlitePool};

use super::query::{contains_pattern, page_of, returning, returning_optional, timestamp, Filter, Listing};
use crate::domain::assets::{rating_rank, AssetSort, Screen};

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

/// The SQL of each sort order; ties are broken by symbol.
fn order_by(sort: AssetSort) -> &'static str {
    match sort {
        AssetSort::Symbol => "symbol",
        AssetSort::Price => "price, symbol",
        AssetSort::PriceDesc => "price DESC, symbol",
        AssetSort::MarketCap => "market_cap, symbol",
        AssetSort::MarketCapDesc => "market_cap DESC, symbol",
        AssetSort::Rating => "rating_rank, rating, symbol",
    }
}

pub async fn screen(
    db: &SqlitePool,
    f: &Screen,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AssetRow>, i64), sqlx::Error> {
    let ratings = f.ratings.as_ref().map(|r| serde_json::Value::from(r.clone()).to_string());
    let mut filter = Filter::default();
    filter
        .when("(symbol LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')", f.q.as_deref().map(contains_pattern))
        .when("price >= ?", f.min_price)
        .when("price <= ?", f.max_price)
        .when("market_cap >= ?", f.min_market_cap)
        .when("market_cap <= ?", f.max_market_cap)
        .when("rating IN (SELECT value FROM json_each(?))", ratings)
        .when("sector = ? COLLATE NOCASE", f.sector.clone());
    let listing = Listing { columns: COLUMNS, from: "assets", order_by: order_by(f.sort) };
    page_of(db, &listing, filter, limit, offset).await
}
