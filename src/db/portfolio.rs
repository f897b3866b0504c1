//! Queries on `holdings`: a user's positions, each with its asset (current price) joined in.

use sqlx::{SqliteConnection, SqliteExecutor};

use super::assets::AssetRow;
use super::query::{returning_optional, timestamp};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HoldingRow {
    pub holding_id: i64,
    pub quantity: i64,
    pub cost_basis: i64,
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
