//! Queries on `holdings` and `watchlist`: a user's positions and the assets they follow, each
//! with its asset (current price) joined in.

use sqlx::{SqliteConnection, SqliteExecutor};

use super::assets::AssetRow;
use super::{returning_optional, timestamp};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HoldingRow {
    pub holding_id: i64,
    pub quantity: i64,
    pub cost_basis: i64,
    #[sqlx(flatten)]
    pub asset: AssetRow,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WatchRow {
    pub added_at: String,
    /// Derived: the user holds this asset.
    pub invested: bool,
    #[sqlx(flatten)]
    pub asset: AssetRow,
}

const HOLDING: &str = "SELECT h.id AS holding_id, h.quantity, h.cost_basis, a.id, a.symbol, a.name,
    a.price, a.market_cap, a.rating, a.sector, a.updated_at
    FROM holdings h JOIN assets a ON a.id = h.asset_id";

/// The user's holdings, by symbol.
pub async fn holdings(db: impl SqliteExecutor<'_>, user_id: i64) -> Result<Vec<HoldingRow>, sqlx::Error> {
    sqlx::query_as(&format!("{HOLDING} WHERE h.user_id = ? ORDER BY a.symbol"))
        .bind(user_id)
        .fetch_all(db)
        .await
}

/// One holding, only if it is this user's.
pub async fn holding(
    db: impl SqliteExecutor<'_>,
    user_id: i64,
    id: i64,
) -> Result<Option<HoldingRow>, sqlx::Error> {
    sqlx::query_as(&format!("{HOLDING} WHERE h.id = ? AND h.user_id = ?"))
        .bind(id)
        .bind(user_id)
        .fetch_optional(db)
        .await
}

/// Inserts a holding of an existing asset: `None` when there is no such asset. A second holding
/// of the same asset is a unique violation on `holdings (user_id, asset_id)`.
pub async fn insert_holding(
    conn: &mut SqliteConnection,
    user_id: i64,
    asset_id: i64,
    quantity: i64,
    cost_basis: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let now = timestamp();
    let query = sqlx::query_as::<_, (i64,)>(
        "INSERT INTO holdings (user_id, asset_id, quantity, cost_basis, created_at, updated_at)
         SELECT ?, id, ?, ?, ?, ? FROM assets WHERE id = ? RETURNING id",
    )
    .bind(user_id)
    .bind(quantity)
    .bind(cost_basis)
    .bind(now.clone())
    .bind(now)
    .bind(asset_id);
    Ok(returning_optional(query, conn).await?.map(|(id,)| id))
}

/// Changes what is given; false when the user has no such holding.
pub async fn update_holding(
    conn: &mut SqliteConnection,
    user_id: i64,
    id: i64,
    quantity: Option<i64>,
    cost_basis: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE holdings SET quantity = coalesce(?, quantity), cost_basis = coalesce(?, cost_basis),
         updated_at = ? WHERE id = ? AND user_id = ?",
    )
    .bind(quantity)
    .bind(cost_basis)
    .bind(timestamp())
    .bind(id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// False when the user has no such holding.
pub async fn delete_holding(db: impl SqliteExecutor<'_>, user_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM holdings WHERE id = ? AND user_id = ?")
        .bind(id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

const WATCH: &str = "SELECT w.added_at,
    EXISTS (SELECT 1 FROM holdings h WHERE h.user_id = w.user_id AND h.asset_id = w.asset_id) AS invested,
    a.id, a.symbol, a.name, a.price, a.market_cap, a.rating, a.sector, a.updated_at
    FROM watchlist w JOIN assets a ON a.id = w.asset_id";

/// The user's watchlist in the order it was built (oldest first).
pub async fn watchlist(db: impl SqliteExecutor<'_>, user_id: i64) -> Result<Vec<WatchRow>, sqlx::Error> {
    sqlx::query_as(&format!("{WATCH} WHERE w.user_id = ? ORDER BY w.added_at, w.rowid"))
        .bind(user_id)
        .fetch_all(db)
        .await
}

pub async fn watch_entry(
    db: impl SqliteExecutor<'_>,
    user_id: i64,
    asset_id: i64,
) -> Result<Option<WatchRow>, sqlx::Error> {
    sqlx::query_as(&format!("{WATCH} WHERE w.user_id = ? AND w.asset_id = ?"))
        .bind(user_id)
        .bind(asset_id)
        .fetch_optional(db)
        .await
}

/// Adds an existing asset to the watchlist: false when there is no such asset. Adding it twice is
/// a unique violation on the primary key.
pub async fn watch(conn: &mut SqliteConnection, user_id: i64, asset_id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO watchlist (user_id, asset_id, added_at) SELECT ?, id, ? FROM assets WHERE id = ?",
    )
    .bind(user_id)
    .bind(timestamp())
    .bind(asset_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// False when the asset was not on the user's watchlist.
pub async fn unwatch(db: impl SqliteExecutor<'_>, user_id: i64, asset_id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM watchlist WHERE user_id = ? AND asset_id = ?")
        .bind(user_id)
        .bind(asset_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
