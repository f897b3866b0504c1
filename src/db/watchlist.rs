//! Queries on `watchlist`: the assets a user follows, each with its asset (current price) joined
//! in and whether the user holds it.

use super::assets::AssetRow;
use super::engine::{with_conn, Ex};
use super::query::timestamp;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WatchRow {
    pub added_at: String,
    /// Derived: the user holds this asset.
    pub invested: bool,
    #[sqlx(flatten)]
    pub asset: AssetRow,
}

const WATCH: &str = "SELECT w.added_at,
    EXISTS (SELECT 1 FROM holdings h WHERE h.user_id = w.user_id AND h.asset_id = w.asset_id
        AND (SELECT coalesce(sum(CASE t.type WHEN 'buy' THEN t.quantity WHEN 'sell' THEN -t.quantity ELSE 0 END), 0)
             FROM transactions t WHERE t.holding_id = h.id) > 0) AS invested,
    a.id, a.symbol, a.name, a.price, a.market_cap, a.rating, a.sector, a.updated_at
    FROM watchlist w JOIN assets a ON a.id = w.asset_id";

/// The user's watchlist in the order it was built (oldest first).
pub async fn watchlist(db: impl Into<Ex<'_>>, user_id: i64) -> Result<Vec<WatchRow>, sqlx::Error> {
    let sql = format!("{WATCH} WHERE w.user_id = $1 ORDER BY w.added_at, w.rowid");
    with_conn!(db, |c| sqlx::query_as(&sql).bind(user_id).fetch_all(c).await)
}

pub async fn watch_entry(
    db: impl Into<Ex<'_>>,
    user_id: i64,
    asset_id: i64,
) -> Result<Option<WatchRow>, sqlx::Error> {
    let sql = format!("{WATCH} WHERE w.user_id = $1 AND w.asset_id = $2");
    with_conn!(db, |c| sqlx::query_as(&sql).bind(user_id).bind(asset_id).fetch_optional(c).await)
}

/// Adds an existing asset to the watchlist: false when there is no such asset. Adding it twice is
/// a unique violation on the primary key.
pub async fn watch(db: impl Into<Ex<'_>>, user_id: i64, asset_id: i64) -> Result<bool, sqlx::Error> {
    let done = with_conn!(db, |c| sqlx::query(
        "INSERT INTO watchlist (user_id, asset_id, added_at) SELECT $1, id, $2 FROM assets WHERE id = $3",
    )
    .bind(user_id)
    .bind(timestamp())
    .bind(asset_id)
    .execute(c)
    .await
    .map(|d| d.rows_affected()))?;
    Ok(done == 1)
}

/// False when the asset was not on the user's watchlist.
pub async fn unwatch(db: impl Into<Ex<'_>>, user_id: i64, asset_id: i64) -> Result<bool, sqlx::Error> {
    let done = with_conn!(db, |c| sqlx::query("DELETE FROM watchlist WHERE user_id = $1 AND asset_id = $2")
        .bind(user_id)
        .bind(asset_id)
        .execute(c)
        .await
        .map(|d| d.rows_affected()))?;
    Ok(done == 1)
}
