//! Queries on `cart_items`: one line per (user, product). Every change is a single conditional
//! statement, so parallel requests of one user never lose an update or exceed the stock.

use sqlx::SqliteExecutor;

use super::catalog::{ProductRow, PRODUCT_COLUMNS};
use super::query::timestamp;

/// A cart line with the product as it is now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CartLineRow {
    pub cart_quantity: i64,
    #[sqlx(flatten)]
    pub product: ProductRow,
}

/// The user's cart, oldest line first.
pub async fn lines(db: impl SqliteExecutor<'_>, user_id: i64) -> Result<Vec<CartLineRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT ci.quantity AS cart_quantity, {PRODUCT_COLUMNS}
         FROM cart_items ci JOIN products p ON p.id = ci.product_id
         LEFT JOIN categories c ON c.id = p.category_id
         WHERE ci.user_id = ? ORDER BY ci.added_at, ci.product_id"
    ))
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// Adds `quantity` to the user's line for the product (creating it), only if the product exists,
/// the new line quantity stays within its stock, and the cart's total still fits in 64-bit cents
/// (a line is at most 10^17 cents, so only the sum can overflow; SQLite turns an overflowing
/// integer sum into a REAL, which then compares above the limit). One statement, so the check
/// and the change can't be separated by another request. False when nothing changed.
pub async fn add(
    db: impl SqliteExecutor<'_>,
    user_id: i64,
    product_id: i64,
    quantity: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO cart_items (user_id, product_id, quantity, added_at)
         SELECT ?1, p.id, ?3, ?4 FROM products p
         WHERE p.id = ?2 AND p.quantity >= ?3 + COALESCE(
             (SELECT quantity FROM cart_items WHERE user_id = ?1 AND product_id = ?2), 0)
           AND COALESCE((SELECT sum(ci.quantity * c.price) FROM cart_items ci
                         JOIN products c ON c.id = ci.product_id WHERE ci.user_id = ?1), 0)
               + p.price * ?3 <= 9223372036854775807
         ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = quantity + excluded.quantity",
    )
    .bind(user_id)
    .bind(product_id)
    .bind(quantity)
    .bind(timestamp())
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the quantity of an existing line, only within the product's stock and while the cart's
/// total fits in 64-bit cents (as `add`). False when nothing changed (no such line, not enough
/// stock, or too large a total).
pub async fn set(
    db: impl SqliteExecutor<'_>,
    user_id: i64,
    product_id: i64,
    quantity: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE cart_items SET quantity = ?3 WHERE user_id = ?1 AND product_id = ?2
         AND ?3 <= (SELECT quantity FROM products WHERE id = ?2)
         AND COALESCE((SELECT sum(ci.quantity * c.price) FROM cart_items ci JOIN products c
                       ON c.id = ci.product_id WHERE ci.user_id = ?1 AND ci.product_id <> ?2), 0)
             + (SELECT price FROM products WHERE id = ?2) * ?3 <= 9223372036854775807",
    )
    .bind(user_id)
    .bind(product_id)
    .bind(quantity)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// False when the product was not in the cart.
pub async fn remove(db: impl SqliteExecutor<'_>, user_id: i64, product_id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM cart_items WHERE user_id = ? AND product_id = ?")
        .bind(user_id)
        .bind(product_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn clear(db: impl SqliteExecutor<'_>, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM cart_items WHERE user_id = ?").bind(user_id).execute(db).await.map(|_| ())
}

/// The quantity of the user's line for a product, if any.
pub async fn line_quantity(
    db: impl SqliteExecutor<'_>,
    user_id: i64,
    product_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT quantity FROM cart_items WHERE user_id = ? AND product_id = ?")
        .bind(user_id)
        .bind(product_id)
        .fetch_optional(db)
        .await
}
