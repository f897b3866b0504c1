//! Queries on `orders` and `order_items`: placing an order from the cart, the status machine,
//! and restocking on cancel. Stock only ever changes through conditional updates.

use sqlx::{Sqlite, SqliteConnection, SqliteExecutor};

use super::timestamp;

/// The order lifecycle: pending → confirmed → shipped → delivered, and pending or confirmed →
/// cancelled. Nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Shipped,
    Delivered,
    Cancelled,
}

impl OrderStatus {
    pub const NAMES: &'static [&'static str] = &["pending", "confirmed", "shipped", "delivered", "cancelled"];

    pub fn parse(s: &str) -> Option<OrderStatus> {
        Some(match s {
            "pending" => OrderStatus::Pending,
            "confirmed" => OrderStatus::Confirmed,
            "shipped" => OrderStatus::Shipped,
            "delivered" => OrderStatus::Delivered,
            "cancelled" => OrderStatus::Cancelled,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// The statuses an order may move to `self` from.
    pub fn allowed_from(self) -> &'static [OrderStatus] {
        match self {
            OrderStatus::Pending => &[],
            OrderStatus::Confirmed => &[OrderStatus::Pending],
            OrderStatus::Shipped => &[OrderStatus::Confirmed],
            OrderStatus::Delivered => &[OrderStatus::Shipped],
            OrderStatus::Cancelled => &[OrderStatus::Pending, OrderStatus::Confirmed],
        }
    }

    pub fn can_become(self, to: OrderStatus) -> bool {
        to.allowed_from().contains(&self)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: i64,
    pub user_id: Option<i64>,
    pub total_price: i64,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub shipped_at: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub order_id: i64,
    pub product_id: i64,
    pub name: String,
    pub unit_price: i64,
    pub quantity: i64,
}

const ORDER_COLUMNS: &str = "id, user_id, total_price, status, created_at, updated_at, shipped_at";

/// A cart line the stock could not cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub product_id: i64,
    pub name: String,
    pub requested: i64,
    pub available: i64,
}

#[derive(Debug)]
pub enum Placement {
    /// A new order; commit the transaction.
    Placed(i64),
    /// The user already placed an order with this idempotency key: nothing was written.
    Existing(i64),
    CartEmpty,
    /// Nothing may be kept: roll the transaction back.
    Shortfall(Vec<Shortfall>),
    /// The total does not fit in an i64 of cents; roll back.
    TooLarge,
}

/// Places an order from the user's whole cart inside the caller's write transaction, whose
/// first statement this is (the order row), so the write lock is taken up front. Stock is
/// taken with conditional updates; on anything but `Placed` the caller must roll back.
pub async fn place(
    tx: &mut SqliteConnection,
    user_id: i64,
    idempotency_key: Option<&str>,
) -> Result<Placement, sqlx::Error> {
    let now = timestamp();
    let inserted = sqlx::query(
        "INSERT INTO orders (user_id, idempotency_key, total_price, status, created_at, updated_at)
         VALUES (?, ?, 0, 'pending', ?, ?)
         ON CONFLICT (user_id, idempotency_key) DO NOTHING",
    )
    .bind(user_id)
    .bind(idempotency_key)
    .bind(&now)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        let existing: i64 =
            sqlx::query_scalar("SELECT id FROM orders WHERE user_id = ? AND idempotency_key = ?")
                .bind(user_id)
                .bind(idempotency_key)
                .fetch_one(&mut *tx)
                .await?;
        return Ok(Placement::Existing(existing));
    }
    let order_id = inserted.last_insert_rowid();

    // Names and prices are read under the write lock, so they are the ones the stock is taken at.
    #[derive(sqlx::FromRow)]
    struct Line {
        product_id: i64,
        quantity: i64,
        name: String,
        price: i64,
    }
    let lines: Vec<Line> = sqlx::query_as(
        "SELECT ci.product_id, ci.quantity, p.name, p.price
         FROM cart_items ci JOIN products p ON p.id = ci.product_id
         WHERE ci.user_id = ? ORDER BY ci.added_at, ci.product_id",
    )
    .bind(user_id)
    .fetch_all(&mut *tx)
    .await?;
    if lines.is_empty() {
        return Ok(Placement::CartEmpty);
    }

    let mut short = Vec::new();
    for l in &lines {
        let took = sqlx::query(
            "UPDATE products SET quantity = quantity - ?, updated_at = ? WHERE id = ? AND quantity >= ?",
        )
        .bind(l.quantity)
        .bind(&now)
        .bind(l.product_id)
        .bind(l.quantity)
        .execute(&mut *tx)
        .await?;
        if took.rows_affected() == 0 {
            let available: i64 = sqlx::query_scalar("SELECT quantity FROM products WHERE id = ?")
                .bind(l.product_id)
                .fetch_one(&mut *tx)
                .await?;
            short.push(Shortfall {
                product_id: l.product_id,
                name: l.name.clone(),
                requested: l.quantity,
                available,
            });
        }
    }
    if !short.is_empty() {
        return Ok(Placement::Shortfall(short));
    }

    let mut total: i64 = 0;
    for l in &lines {
        let Some(sum) = l.price.checked_mul(l.quantity).and_then(|line| total.checked_add(line)) else {
            return Ok(Placement::TooLarge);
        };
        total = sum;
        sqlx::query(
            "INSERT INTO order_items (order_id, product_id, name, unit_price, quantity) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(order_id)
        .bind(l.product_id)
        .bind(&l.name)
        .bind(l.price)
        .bind(l.quantity)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE orders SET total_price = ? WHERE id = ?")
        .bind(total)
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
    super::cart::clear(&mut *tx, user_id).await?;
    Ok(Placement::Placed(order_id))
}

pub async fn order(db: impl SqliteExecutor<'_>, id: i64) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The lines of these orders, in the order they were placed.
pub async fn items(db: impl SqliteExecutor<'_>, order_ids: &[i64]) -> Result<Vec<ItemRow>, sqlx::Error> {
    let ids = serde_json::to_string(order_ids).unwrap_or_else(|_| "[]".into());
    sqlx::query_as(
        "SELECT order_id, product_id, name, unit_price, quantity FROM order_items
         WHERE order_id IN (SELECT value FROM json_each(?)) ORDER BY order_id, rowid",
    )
    .bind(ids)
    .fetch_all(db)
    .await
}

/// Filters of the order lists; both optional.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub user_id: Option<i64>,
    pub status: Option<OrderStatus>,
}

/// A page of orders, newest first, and the number of matches. Only the conditions in use are in
/// the SQL, so the `(user_id, id)` and `(status, id)` indexes serve them.
pub async fn page(
    db: &sqlx::SqlitePool,
    f: &OrderFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<OrderRow>, i64), sqlx::Error> {
    let mut conditions: Vec<&str> = Vec::new();
    if f.user_id.is_some() {
        conditions.push("user_id = ?");
    }
    if f.status.is_some() {
        conditions.push("status = ?");
    }
    let filter =
        if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };

    let count_sql = format!("SELECT count(*) FROM orders {filter}");
    let mut count = sqlx::query_scalar::<Sqlite, i64>(&count_sql);
    let list_sql = format!("SELECT {ORDER_COLUMNS} FROM orders {filter} ORDER BY id DESC LIMIT ? OFFSET ?");
    let mut list = sqlx::query_as::<Sqlite, OrderRow>(&list_sql);
    if let Some(u) = f.user_id {
        count = count.bind(u);
        list = list.bind(u);
    }
    if let Some(s) = f.status {
        count = count.bind(s.as_str());
        list = list.bind(s.as_str());
    }
    let total = count.fetch_one(db).await?;
    let rows = list.bind(limit).bind(offset).fetch_all(db).await?;
    Ok((rows, total))
}

/// Moves the order to `to` only if its status is still one of `from` (and, with `owner`, only if
/// it belongs to that user): the check and the change are one statement, so of two racing
/// changes exactly one wins. Sets `shipped_at` when shipping. False when nothing changed.
pub async fn change_status(
    db: impl SqliteExecutor<'_>,
    id: i64,
    to: OrderStatus,
    from: &[OrderStatus],
    owner: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let now = timestamp();
    let done = sqlx::query(
        "UPDATE orders SET status = ?1, updated_at = ?2,
            shipped_at = CASE WHEN ?1 = 'shipped' THEN ?2 ELSE shipped_at END
         WHERE id = ?3 AND status IN (SELECT value FROM json_each(?4)) AND (?5 IS NULL OR user_id = ?5)",
    )
    .bind(to.as_str())
    .bind(&now)
    .bind(id)
    .bind(serde_json::to_string(&from).unwrap_or_else(|_| "[]".into()))
    .bind(owner)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts back exactly what the order took (products deleted since are skipped). Call it in the
/// same transaction as the status change to `cancelled`, and only when that changed a row.
pub async fn restock(db: impl SqliteExecutor<'_>, order_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE products SET quantity = products.quantity + oi.quantity, updated_at = ?
         FROM order_items oi WHERE oi.order_id = ? AND oi.product_id = products.id",
    )
    .bind(timestamp())
    .bind(order_id)
    .execute(db)
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{self, *};

    #[test]
    fn status_machine() {
        let all = [Pending, Confirmed, Shipped, Delivered, Cancelled];
        let allowed = [
            (Pending, Confirmed),
            (Confirmed, Shipped),
            (Shipped, Delivered),
            (Pending, Cancelled),
            (Confirmed, Cancelled),
        ];
        for from in all {
            for to in all {
                assert_eq!(from.can_become(to), allowed.contains(&(from, to)), "{from:?} → {to:?}");
            }
        }
    }

    #[test]
    fn status_names_round_trip() {
        for name in OrderStatus::NAMES {
            assert_eq!(OrderStatus::parse(name).unwrap().as_str(), *name);
        }
        assert_eq!(OrderStatus::parse("Pending"), None);
        assert_eq!(OrderStatus::parse("lost"), None);
    }
}
