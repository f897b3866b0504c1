//! Queries on `orders` and `order_items`: placing an order from the cart, the status machine,
//! and restocking on cancel. Stock only ever changes through conditional updates.

use sqlx::{SqliteConnection, SqliteExecutor};

use super::timestamp;
use super::users::UserRow;

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
    /// The customer, while their account exists.
    pub customer_username: Option<String>,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub order_id: i64,
    pub product_id: i64,
    pub name: String,
    pub unit_price: i64,
    pub quantity: i64,
}

/// An order with its customer: `FROM ORDER_SOURCE` aliases orders as `o` and users as `u`.
const ORDER_COLUMNS: &str = "o.id, o.user_id, o.total_price, o.status, o.created_at, o.updated_at,
    o.shipped_at, u.username AS customer_username, u.name AS customer_name, u.email AS customer_email";
const ORDER_SOURCE: &str = "orders o LEFT JOIN users u ON u.id = o.user_id";

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
    /// A new order, with its lines; commit the transaction.
    Placed(OrderRow, Vec<ItemRow>),
    /// The user already placed an order with this idempotency key; roll back (nothing is kept).
    Existing(i64),
    CartEmpty,
    /// Nothing may be kept: roll the transaction back.
    Shortfall(Vec<Shortfall>),
    /// The total does not fit in an i64 of cents; roll back.
    TooLarge,
}

/// Places an order from the user's whole cart inside the caller's write transaction. Its first
/// statement empties the cart (taking the write lock up front and reading the lines at once);
/// stock is taken with conditional updates that also return the name and price taken at. Every
/// write round-trips to SQLite's single writer, so the statements are few: for a one-line cart,
/// four between BEGIN and COMMIT. On anything but `Placed` the caller must roll back, which also
/// puts the cart back.
pub async fn place(
    tx: &mut SqliteConnection,
    customer: &UserRow,
    idempotency_key: Option<&str>,
) -> Result<Placement, sqlx::Error> {
    let user_id = customer.id;
    #[derive(sqlx::FromRow)]
    struct CartLine {
        product_id: i64,
        quantity: i64,
        added_at: String,
    }
    let mut lines: Vec<CartLine> =
        sqlx::query_as("DELETE FROM cart_items WHERE user_id = ? RETURNING product_id, quantity, added_at")
            .bind(user_id)
            .fetch_all(&mut *tx)
            .await?;
    if let Some(key) = idempotency_key {
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM orders WHERE user_id = ? AND idempotency_key = ?")
                .bind(user_id)
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(id) = existing {
            return Ok(Placement::Existing(id));
        }
    }
    if lines.is_empty() {
        return Ok(Placement::CartEmpty);
    }
    // RETURNING order is unspecified; an order lists its lines as the cart did.
    lines.sort_by(|a, b| (&a.added_at, a.product_id).cmp(&(&b.added_at, b.product_id)));

    let now = timestamp();
    let mut items = Vec::with_capacity(lines.len());
    let mut short = Vec::new();
    for l in &lines {
        let taken: Option<(String, i64)> = super::returning_optional(
            sqlx::query_as(
                "UPDATE products SET quantity = quantity - ?1, updated_at = ?2
                 WHERE id = ?3 AND quantity >= ?1 RETURNING name, price",
            )
            .bind(l.quantity)
            .bind(now.clone())
            .bind(l.product_id),
            &mut *tx,
        )
        .await?;
        match taken {
            Some((name, unit_price)) => items.push(ItemRow {
                order_id: 0,
                product_id: l.product_id,
                name,
                unit_price,
                quantity: l.quantity,
            }),
            None => {
                let (name, available): (String, i64) =
                    sqlx::query_as("SELECT name, quantity FROM products WHERE id = ?")
                        .bind(l.product_id)
                        .fetch_one(&mut *tx)
                        .await?;
                short.push(Shortfall { product_id: l.product_id, name, requested: l.quantity, available });
            }
        }
    }
    if !short.is_empty() {
        return Ok(Placement::Shortfall(short));
    }
    let total = items.iter().try_fold(0i64, |sum, i| i.unit_price.checked_mul(i.quantity)?.checked_add(sum));
    let Some(total) = total else { return Ok(Placement::TooLarge) };

    let inserted = sqlx::query(
        "INSERT INTO orders (user_id, idempotency_key, total_price, status, created_at, updated_at)
         VALUES (?, ?, ?, 'pending', ?, ?)
         ON CONFLICT (user_id, idempotency_key) DO NOTHING",
    )
    .bind(user_id)
    .bind(idempotency_key)
    .bind(total)
    .bind(&now)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        // Only another process could have used the key since the check above.
        let id = sqlx::query_scalar("SELECT id FROM orders WHERE user_id = ? AND idempotency_key = ?")
            .bind(user_id)
            .bind(idempotency_key)
            .fetch_one(&mut *tx)
            .await?;
        return Ok(Placement::Existing(id));
    }
    let order_id = inserted.last_insert_rowid();

    let values = vec!["(?, ?, ?, ?, ?)"; items.len()].join(", ");
    let sql =
        format!("INSERT INTO order_items (order_id, product_id, name, unit_price, quantity) VALUES {values}");
    let mut insert = sqlx::query(&sql);
    for i in &mut items {
        i.order_id = order_id;
        insert =
            insert.bind(order_id).bind(i.product_id).bind(i.name.clone()).bind(i.unit_price).bind(i.quantity);
    }
    insert.execute(&mut *tx).await?;

    let order = OrderRow {
        id: order_id,
        user_id: Some(user_id),
        total_price: total,
        status: "pending".into(),
        created_at: now.clone(),
        updated_at: now,
        shipped_at: None,
        customer_username: customer.username.clone(),
        customer_name: Some(customer.name.clone()),
        customer_email: Some(customer.email.clone()),
    };
    Ok(Placement::Placed(order, items))
}

pub async fn order(db: impl SqliteExecutor<'_>, id: i64) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM {ORDER_SOURCE} WHERE o.id = ?"))
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

/// Filters of the order lists; all optional.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub user_id: Option<i64>,
    pub status: Option<OrderStatus>,
    /// A substring of the customer's email, username or name.
    pub customer: Option<String>,
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
        conditions.push("o.user_id = ?");
    }
    if f.status.is_some() {
        conditions.push("o.status = ?");
    }
    let pattern = f.customer.as_deref().map(|q| format!("%{}%", super::users::escape_like(q)));
    let customer;
    if pattern.is_some() {
        let n = usize::from(f.user_id.is_some()) + usize::from(f.status.is_some()) + 1;
        customer = format!(
            "(u.email LIKE ?{n} ESCAPE '\\' OR u.username LIKE ?{n} ESCAPE '\\' OR u.name LIKE ?{n} ESCAPE '\\')"
        );
        conditions.push(&customer);
    }
    let filter =
        if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };

    let mut args = super::Binds::default();
    if let Some(u) = f.user_id {
        args.push(u);
    }
    if let Some(s) = f.status {
        args.push(s.as_str());
    }
    if let Some(p) = pattern {
        args.push(p);
    }
    let count_sql = format!("SELECT count(*) FROM {ORDER_SOURCE} {filter}");
    let list_sql = format!("SELECT {ORDER_COLUMNS} FROM {ORDER_SOURCE} {filter} ORDER BY o.id DESC");
    super::page_of(db, &count_sql, &list_sql, args, limit, offset).await
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
