//! Queries on `holdings`: a user's positions, each with its asset (current price) joined in.

use super::assets::AssetRow;
use super::engine::{with_conn, Ex};
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
pub async fn holdings(db: impl Into<Ex<'_>>, user_id: i64) -> Result<Vec<HoldingRow>, sqlx::Error> {
    let sql = format!("{HOLDING} WHERE h.user_id = $1 ORDER BY a.symbol");
    with_conn!(db, |c| sqlx::query_as(&sql).bind(user_id).fetch_all(c).await)
}

/// One holding, only if it is this user's.
pub async fn holding(
    db: impl Into<Ex<'_>>,
    user_id: i64,
    id: i64,
) -> Result<Option<HoldingRow>, sqlx::Error> {
    let sql = format!("{HOLDING} WHERE h.id = $1 AND h.user_id = $2");
    with_conn!(db, |c| sqlx::query_as(&sql).bind(id).bind(user_id).fetch_optional(c).await)
}

/// Inserts a holding of an existing asset: `None` when there is no such asset. A second holding
/// of the same asset is a unique violation on `holdings (user_id, asset_id)`.
pub async fn insert_holding(
    db: impl Into<Ex<'_>>,
    user_id: i64,
    asset_id: i64,
    quantity: i64,
    cost_basis: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let now = timestamp();
    let row: Option<(i64,)> = with_conn!(db, |c| {
        let query = sqlx::query_as(
            "INSERT INTO holdings (user_id, asset_id, quantity, cost_basis, created_at, updated_at)
             SELECT $1, id, $2, $3, $4, $4 FROM assets WHERE id = $5 RETURNING id",
        )
        .bind(user_id)
        .bind(quantity)
        .bind(cost_basis)
        .bind(&now)
        .bind(asset_id);
        returning_optional(query, c).await
    })?;
    Ok(row.map(|(id,)| id))
}

/// Changes what is given; false when the user has no such holding.
pub async fn update_holding(
    db: impl Into<Ex<'_>>,
    user_id: i64,
    id: i64,
    quantity: Option<i64>,
    cost_basis: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let done = with_conn!(db, |c| sqlx::query(
        "UPDATE holdings SET quantity = coalesce($1, quantity), cost_basis = coalesce($2, cost_basis),
         updated_at = $3 WHERE id = $4 AND user_id = $5",
    )
    .bind(quantity)
    .bind(cost_basis)
    .bind(timestamp())
    .bind(id)
    .bind(user_id)
    .execute(c)
    .await
    .map(|d| d.rows_affected()))?;
    Ok(done == 1)
}

/// False when the user has no such holding.
pub async fn delete_holding(db: impl Into<Ex<'_>>, user_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    let done = with_conn!(db, |c| sqlx::query("DELETE FROM holdings WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(c)
        .await
        .map(|d| d.rows_affected()))?;
    Ok(done == 1)
}
