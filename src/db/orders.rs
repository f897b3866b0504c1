//! Queries on `orders` and `order_items`: placing an order from the cart, the status machine,
//! and restocking on cancel. Stock only ever changes through conditional updates.

use super::audit::Event;
use super::engine::{with_conn, Ex, Kind, Pool, Tx};
use super::query::{contains_pattern, page_of, returning_optional, timestamp, Filter, Listing};
use super::users::UserRow;
use crate::domain::audit::{Details, TargetType};
use crate::domain::orders::{IdempotencyKey, OrderFilter, OrderStatus};
use crate::domain::ClosedSet;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: i64,
    pub user_id: Option<i64>,
    pub total_price: i64,
    pub status: OrderStatus,
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
    /// A new order, with its lines: committed.
    Placed(OrderRow, Vec<ItemRow>),
    /// The user already placed an order with this idempotency key: nothing changed.
    Existing(i64),
    /// Nothing changed.
    CartEmpty,
    /// Nothing changed.
    Shortfall(Vec<Shortfall>),
    /// The total does not fit in an i64 of cents; nothing changed.
    TooLarge,
}

/// Places an order from the user's whole cart in one write transaction of its own, committed
/// only when the order is placed; any other outcome, or an error, rolls everything back (which
/// also puts the cart back).
/// `event` (`order.placed`, from the request) is recorded with the order it placed, in the same
/// transaction.
pub async fn place(
    db: &Pool,
    customer: &UserRow,
    idempotency_key: Option<&IdempotencyKey>,
    event: Event,
) -> Result<Placement, sqlx::Error> {
    let mut tx = db.begin().await?;
    let placement = place_in(&mut tx, customer, idempotency_key.map(IdempotencyKey::as_str)).await?;
    match &placement {
        Placement::Placed(order, items) => {
            let details = Details::new().with("total", order.total_price).with("items", items.len());
            super::audit::record(&mut tx, event.on(TargetType::Order, order.id).details(details)).await?;
            tx.commit().await?
        }
        _ => tx.rollback().await?,
    }
    Ok(placement)
}

/// The statements of `place`. The first empties the cart (taking the write lock up front and
/// reading the lines at once); stock is taken with conditional updates that also return the name
/// and price taken at. Every write round-trips to SQLite's single writer, so the statements are
/// few: for a one-line cart, four between BEGIN and COMMIT.
///
/// On Postgres (READ COMMITTED) a conditional update that meets a row another checkout is
/// changing waits for it and then re-checks `quantity >= n` on the row as committed, so stock
/// is never oversold there either; rows are taken in product-id order, so two checkouts of the
/// same products can't deadlock.
async fn place_in(
    tx: &mut Tx,
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
    let now = timestamp();
    with_conn!(tx, |c| {
        let mut lines: Vec<CartLine> = sqlx::query_as(
            "DELETE FROM cart_items WHERE user_id = $1 RETURNING product_id, quantity, added_at",
        )
        .bind(user_id)
        .fetch_all(&mut *c)
        .await?;
        if let Some(key) = idempotency_key {
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT id FROM orders WHERE user_id = $1 AND idempotency_key = $2")
                    .bind(user_id)
                    .bind(key)
                    .fetch_optional(&mut *c)
                    .await?;
            if let Some(id) = existing {
                return Ok(Placement::Existing(id));
            }
        }
        if lines.is_empty() {
            return Ok(Placement::CartEmpty);
        }
        lines.sort_by_key(|l| l.product_id);

        let mut taken_lines = Vec::with_capacity(lines.len());
        let mut short = Vec::new();
        for l in &lines {
            let taken: Option<(String, i64)> = returning_optional(
                sqlx::query_as(
                    "UPDATE products SET quantity = quantity - $1, updated_at = $2
                     WHERE id = $3 AND quantity >= $1 RETURNING name, price",
                )
                .bind(l.quantity)
                .bind(&now)
                .bind(l.product_id),
                &mut *c,
            )
            .await?;
            match taken {
                Some((name, unit_price)) => taken_lines.push((
                    &l.added_at,
                    ItemRow { order_id: 0, product_id: l.product_id, name, unit_price, quantity: l.quantity },
                )),
                None => {
                    let (name, available): (String, i64) =
                        sqlx::query_as("SELECT name, quantity FROM products WHERE id = $1")
                            .bind(l.product_id)
                            .fetch_one(&mut *c)
                            .await?;
                    short.push(Shortfall {
                        product_id: l.product_id,
                        name,
                        requested: l.quantity,
                        available,
                    });
                }
            }
        }
        if !short.is_empty() {
            return Ok(Placement::Shortfall(short));
        }
        // An order lists its lines as the cart did.
        taken_lines.sort_by(|a, b| (a.0, a.1.product_id).cmp(&(b.0, b.1.product_id)));
        let mut items: Vec<ItemRow> = taken_lines.into_iter().map(|(_, i)| i).collect();
        let total =
            items.iter().try_fold(0i64, |sum, i| i.unit_price.checked_mul(i.quantity)?.checked_add(sum));
        let Some(total) = total else { return Ok(Placement::TooLarge) };

        let inserted: Option<(i64,)> = returning_optional(
            sqlx::query_as(
                "INSERT INTO orders (user_id, idempotency_key, total_price, status, created_at, updated_at)
                 VALUES ($1, $2, $3, 'pending', $4, $4)
                 ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id",
            )
            .bind(user_id)
            .bind(idempotency_key)
            .bind(total)
            .bind(&now),
            &mut *c,
        )
        .await?;
        let Some((order_id,)) = inserted else {
            // Another request (another process, on SQLite) used the key since the check above.
            let id = sqlx::query_scalar("SELECT id FROM orders WHERE user_id = $1 AND idempotency_key = $2")
                .bind(user_id)
                .bind(idempotency_key)
                .fetch_one(&mut *c)
                .await?;
            return Ok(Placement::Existing(id));
        };

        let values: Vec<String> = (0..items.len())
            .map(|i| {
                let n = i * 5;
                format!("(${}, ${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4, n + 5)
            })
            .collect();
        let sql = format!(
            "INSERT INTO order_items (order_id, product_id, name, unit_price, quantity) VALUES {}",
            values.join(", ")
        );
        let mut insert = sqlx::query(&sql);
        for i in &mut items {
            i.order_id = order_id;
            insert = insert
                .bind(order_id)
                .bind(i.product_id)
                .bind(i.name.clone())
                .bind(i.unit_price)
                .bind(i.quantity);
        }
        insert.execute(&mut *c).await?;

        let order = OrderRow {
            id: order_id,
            user_id: Some(user_id),
            total_price: total,
            status: OrderStatus::Pending,
            created_at: now.clone(),
            updated_at: now.clone(),
            shipped_at: None,
            customer_username: customer.username.clone(),
            customer_name: Some(customer.name.clone()),
            customer_email: Some(customer.email.clone()),
        };
        Ok(Placement::Placed(order, items))
    })
}

pub async fn order(db: impl Into<Ex<'_>>, id: i64) -> Result<Option<OrderRow>, sqlx::Error> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM {ORDER_SOURCE} WHERE o.id = $1");
    with_conn!(db, |c| sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

/// The lines of these orders, in the order they were placed.
pub async fn items(db: impl Into<Ex<'_>>, order_ids: &[i64]) -> Result<Vec<ItemRow>, sqlx::Error> {
    let ids = serde_json::to_string(order_ids).unwrap_or_else(|_| "[]".into());
    let db = db.into();
    let sql = format!(
        "SELECT order_id, product_id, name, unit_price, quantity FROM order_items
         WHERE order_id IN ({}) ORDER BY order_id, rowid",
        json_list(db.kind(), "$1", "bigint")
    );
    with_conn!(db, |c| sqlx::query_as(&sql).bind(&ids).fetch_all(c).await)
}

/// A page of orders, newest first, and the number of matches. The `(user_id, id)` and
/// `(status, id)` indexes serve the filters.
pub async fn page(
    db: &Pool,
    f: &OrderFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<OrderRow>, i64), sqlx::Error> {
    let like = db.kind().ilike();
    let mut filter = Filter::default();
    filter.when("o.user_id = ?", f.user_id).when("o.status = ?", f.status.map(ClosedSet::as_str)).when(
        &format!("(u.email {like} ? ESCAPE '\\' OR u.username {like} ? ESCAPE '\\' OR u.name {like} ? ESCAPE '\\')"),
        f.customer.as_deref().map(contains_pattern),
    );
    let listing = Listing { columns: ORDER_COLUMNS, from: ORDER_SOURCE, order_by: "o.id DESC" };
    page_of(db, &listing, filter, limit, offset).await
}

/// Moves the order to `to` only if its status is still one of `from` (and, with `owner`, only if
/// it belongs to that user): the check and the change are one statement, so of two racing
/// changes exactly one wins. Sets `shipped_at` when shipping. False when nothing changed.
/// The order's status, its row locked for the rest of the transaction (Postgres).
pub async fn lock_status(tx: &mut Tx, id: i64) -> Result<Option<OrderStatus>, sqlx::Error> {
    let sql = format!("SELECT status FROM orders WHERE id = $1{}", tx.kind().for_update());
    with_conn!(tx, |c| sqlx::query_scalar(&sql).bind(id).fetch_optional(c).await)
}

pub async fn change_status(
    db: impl Into<Ex<'_>>,
    id: i64,
    to: OrderStatus,
    from: &[OrderStatus],
    owner: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let from = serde_json::to_string(&from).unwrap_or_else(|_| "[]".into());
    let now = timestamp();
    let db = db.into();
    let sql = format!(
        "UPDATE orders SET status = $1, updated_at = $2,
            shipped_at = CASE WHEN $1 = 'shipped' THEN $2 ELSE shipped_at END
         WHERE id = $3 AND status IN ({}) AND ($5 IS NULL OR user_id = $5)",
        json_list(db.kind(), "$4", "text")
    );
    let done = with_conn!(db, |c| sqlx::query(&sql)
        .bind(to.as_str())
        .bind(&now)
        .bind(id)
        .bind(&from)
        .bind(owner)
        .execute(c)
        .await
        .map(|d| d.rows_affected()))?;
    Ok(done == 1)
}

/// Puts back exactly what the order took (products deleted since are skipped). Call it in the
/// same transaction as the status change to `cancelled`, and only when that changed a row.
///
/// On Postgres the products are locked first, in id order as `place` takes them, so a cancel and
/// a checkout of the same products can't deadlock.
pub async fn restock(tx: &mut Tx, order_id: i64) -> Result<(), sqlx::Error> {
    let lock = (tx.kind() == Kind::Postgres).then_some(
        "SELECT id FROM products WHERE id IN (SELECT product_id FROM order_items WHERE order_id = $1)
         ORDER BY id FOR UPDATE",
    );
    with_conn!(tx, |c| {
        if let Some(lock) = lock {
            sqlx::query(lock).bind(order_id).execute(&mut *c).await?;
        }
        sqlx::query(
            "UPDATE products SET quantity = products.quantity + oi.quantity, updated_at = $1
             FROM order_items oi WHERE oi.order_id = $2 AND oi.product_id = products.id",
        )
        .bind(timestamp())
        .bind(order_id)
        .execute(c)
        .await
        .map(|_| ())
    })
}

/// The members of the JSON array bound at `param`, as a subquery of `sql_type` values.
fn json_list(kind: Kind, param: &str, sql_type: &str) -> String {
    match kind {
        Kind::Sqlite => format!("SELECT value FROM json_each({param})"),
        Kind::Postgres => format!("SELECT value::{sql_type} FROM json_array_elements_text({param}::json)"),
    }
}
