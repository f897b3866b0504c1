//! Queries on `cart_items`: one line per (user, product). Every change is a single conditional
//! statement, so parallel requests of one user never lose an update or exceed the stock.

use super::catalog::{ProductRow, PRODUCT_COLUMNS};
use super::engine::{with_conn, Ex};
use super::query::timestamp;

/// A cart line with the product as it is now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CartLineRow {
    pub cart_quantity: i64,
    #[sqlx(flatten)]
    pub product: ProductRow,
}

/// The user's cart, oldest line first.
pub async fn lines(db: impl Into<Ex<'_>>, user_id: i64) -> Result<Vec<CartLineRow>, sqlx::Error> {
    let sql = format!(
        "SELECT ci.quantity AS cart_quantity, {PRODUCT_COLUMNS}
         FROM cart_items ci JOIN products p ON p.id = ci.product_id
         LEFT JOIN categories c ON c.id = p.category_id
         WHERE ci.user_id = $1 ORDER BY ci.added_at, ci.product_id"
    );
    with_conn!(db, |c| sqlx::query_as(&sql).bind(user_id).fetch_all(c).await)
}

/// Adds `quantity` to the user's line for the product (creating it), only if the product exists,
/// the new line quantity stays within its stock, and the cart's total still fits in 64-bit cents
/// (a line is at most 10^17 cents, so only the sum can overflow; SQLite turns an overflowing
/// integer sum into a REAL, which then compares above the limit). One statement, so the check
/// and the change can't be separated by another request; on Postgres, where a racing add of the
/// same line waits for this one's row, the stock is checked again on the row as it then is.
/// False when nothing changed.
pub async fn add(
    db: impl Into<Ex<'_>>,
    user_id: i64,
    product_id: i64,
    quantity: i64,
) -> Result<bool, sqlx::Error> {
    let done = with_conn!(db, |c| sqlx::query(
        "INSERT INTO cart_items (user_id, product_id, quantity, added_at)
         SELECT $1, p.id, $3, $4 FROM products p
         WHERE p.id = $2 AND p.quantity >= $3 + COALESCE(
             (SELECT quantity FROM cart_items WHERE user_id = $1 AND product_id = $2), 0)
           AND COALESCE((SELECT sum(ci.quantity * c.price) FROM cart_items ci
                         JOIN products c ON c.id = ci.product_id WHERE ci.user_id = $1), 0)
               + p.price * $3 <= 9223372036854775807
         ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity
         WHERE cart_items.quantity + excluded.quantity <= (SELECT quantity FROM products WHERE id = $2)",
    )
    .bind(user_id)
    .bind(product_id)
    .bind(quantity)
    .bind(timestamp())
    .execute(c)
    .await
    .map(|d| d.rows_affected()))?;
    Ok(done == 1)
}

/// Sets the quantity of an existing line, only within the product's stock and while the cart's
/// total fits in 64-bit cents (as `add`). False when nothing changed (no such line, not enough
/// stock, or too large a total).
pub async fn set(
    db: impl Into<Ex<'_>>,
    user_id: i64,
    product_id: i64,
    quantity: i64,
) -> Result<bool, sqlx::Error> {
    let done = with_conn!(db, |c| sqlx::query(
        "UPDATE cart_items SET quantity = $3 WHERE user_id = $1 AND product_id = $2
         AND $3 <= (SELECT quantity FROM products WHERE id = $2)
         AND COALESCE((SELECT sum(ci.quantity * c.price) FROM cart_items ci JOIN products c
                       ON c.id = ci.product_id WHERE ci.user_id = $1 AND ci.product_id <> $2), 0)
             + (SELECT price FROM products WHERE id = $2) * $3 <= 9223372036854775807",
    )
    .bind(user_id)
    .bind(product_id)
    .bind(quantity)
    .execute(c)
    .await
    .map(|d| d.rows_affected()))?;
    Ok(done == 1)
}

/// False when the product was not in the cart.
pub async fn remove(db: impl Into<Ex<'_>>, user_id: i64, product_id: i64) -> Result<bool, sqlx::Error> {
    let done =
        with_conn!(db, |c| sqlx::query("DELETE FROM cart_items WHERE user_id = $1 AND product_id = $2")
            .bind(user_id)
            .bind(product_id)
            .execute(c)
            .await
            .map(|d| d.rows_affected()))?;
    Ok(done == 1)
}

pub async fn clear(db: impl Into<Ex<'_>>, user_id: i64) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query("DELETE FROM cart_items WHERE user_id = $1")
        .bind(user_id)
        .execute(c)
        .await
        .map(|_| ()))
}

/// The quantity of the user's line for a product, if any.
pub async fn line_quantity(
    db: impl Into<Ex<'_>>,
    user_id: i64,
    product_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    with_conn!(db, |c| sqlx::query_scalar(
        "SELECT quantity FROM cart_items WHERE user_id = $1 AND product_id = $2"
    )
    .bind(user_id)
    .bind(product_id)
    .fetch_optional(c)
    .await)
}
