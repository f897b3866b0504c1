//! Queries on `assets`: the screener, single assets and price updates.

use super::engine::{with_conn, Ex, Pool, Tx};
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

/// Binds the eight editable columns ($1-$8), in the order `insert` and `update` list them.
macro_rules! bind_values {
    ($query:expr, $a:expr) => {
        $query
            .bind(&$a.symbol)
            .bind(&$a.name)
            .bind($a.price)
            .bind($a.market_cap)
            .bind(&$a.rating)
            .bind(rating_rank($a.rating.as_deref()))
            .bind(&$a.sector)
            .bind(timestamp())
    };
}

pub async fn insert(db: impl Into<Ex<'_>>, a: &AssetValues) -> Result<AssetRow, sqlx::Error> {
    let sql = format!(
        "INSERT INTO assets (symbol, name, price, market_cap, rating, rating_rank, sector, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    );
    with_conn!(db, |c| returning(bind_values!(sqlx::query_as(&sql), a), c).await)
}

pub async fn by_id(db: impl Into<Ex<'_>>, id: i64) -> Result<Option<AssetRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM assets WHERE id = $1");
    with_conn!(db, |c| sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

/// As `by_id`, in a write transaction that will change the row (see `users::lock`).
pub async fn lock(tx: &mut Tx, id: i64) -> Result<Option<AssetRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM assets WHERE id = $1{}", tx.kind().for_update());
    with_conn!(tx, |c| sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

pub async fn id_of(db: impl Into<Ex<'_>>, symbol: &str) -> Result<Option<i64>, sqlx::Error> {
    with_conn!(db, |c| sqlx::query_scalar("SELECT id FROM assets WHERE symbol = $1")
        .bind(symbol)
        .fetch_optional(c)
        .await)
}

/// Every column at once; callers start from the current row. `None` when the asset is gone.
pub async fn update(
    db: impl Into<Ex<'_>>,
    id: i64,
    a: &AssetValues,
) -> Result<Option<AssetRow>, sqlx::Error> {
    let sql = format!(
        "UPDATE assets SET symbol = $1, name = $2, price = $3, market_cap = $4, rating = $5, rating_rank = $6,
         sector = $7, updated_at = $8 WHERE id = $9 RETURNING {COLUMNS}"
    );
    with_conn!(db, |c| returning_optional(bind_values!(sqlx::query_as(&sql), a).bind(id), c).await)
}

/// Sets the price of the asset with this (uppercase) symbol; `None` when there is no such asset.
pub async fn set_price(
    db: impl Into<Ex<'_>>,
    symbol: &str,
    price: i64,
) -> Result<Option<AssetRow>, sqlx::Error> {
    let sql = format!("UPDATE assets SET price = $1, updated_at = $2 WHERE symbol = $3 RETURNING {COLUMNS}");
    with_conn!(db, |c| {
        let query = sqlx::query_as(&sql).bind(price).bind(timestamp()).bind(symbol);
        returning_optional(query, c).await
    })
}

/// Sets the asset's current price as of `at` (its `updated_at`); the `assets_price_changed`
/// trigger records the change in `price_history` when the price differs.
pub async fn set_current_price(
    db: impl Into<Ex<'_>>,
    id: i64,
    price: i64,
    at: &str,
) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query("UPDATE assets SET price = $1, updated_at = $2 WHERE id = $3")
        .bind(price)
        .bind(at)
        .bind(id)
        .execute(c)
        .await
        .map(drop))
}

pub enum Deleted {
    Yes,
    InUse,
    NotFound,
}

/// Deletes the asset unless someone holds it (watchlist rows go with it). The first statement
/// writes, so the transaction holds the write lock from the start.
/// On Postgres a holding inserted meanwhile by another transaction makes the delete fail on the
/// foreign key instead (`ON DELETE RESTRICT`), which the API also answers with 409.
pub async fn delete_unless_held(tx: &mut Tx, id: i64) -> Result<Deleted, sqlx::Error> {
    with_conn!(tx, |c| {
        let done = sqlx::query(
            "DELETE FROM assets WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM holdings WHERE asset_id = $1)",
        )
        .bind(id)
        .execute(&mut *c)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(Deleted::Yes);
        }
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM assets WHERE id = $1)")
            .bind(id)
            .fetch_one(c)
            .await?;
        Ok(if exists { Deleted::InUse } else { Deleted::NotFound })
    })
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
    db: &Pool,
    f: &Screen,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AssetRow>, i64), sqlx::Error> {
    let ratings = f.ratings.as_ref().map(|r| serde_json::Value::from(r.clone()).to_string());
    let kind = db.kind();
    let like = kind.ilike();
    let rating_in = kind.pick(
        "rating IN (SELECT value FROM json_each(?))",
        "rating IN (SELECT value FROM json_array_elements_text(?::json))",
    );
    let mut filter = Filter::default();
    filter
        .when(
            &format!("(symbol {like} ? ESCAPE '\\' OR name {like} ? ESCAPE '\\')"),
            f.q.as_deref().map(contains_pattern),
        )
        .when("price >= ?", f.min_price)
        .when("price <= ?", f.max_price)
        .when("market_cap >= ?", f.min_market_cap)
        .when("market_cap <= ?", f.max_market_cap)
        .when(rating_in, ratings)
        .when("sector = ? COLLATE NOCASE", f.sector.clone());
    let listing = Listing { columns: COLUMNS, from: "assets", order_by: order_by(f.sort) };
    page_of(db, &listing, filter, limit, offset).await
}
