//! Queries on `categories` and `products`.

use super::engine::{with_conn, Ex, Pool};
use super::query::{contains_pattern, page_of, returning, timestamp, Filter, Listing};
use crate::domain::catalog::{ProductFilter, ProductSort};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CategoryRow {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub product_count: i64,
}

const CATEGORY_COLUMNS: &str = "c.id, c.name, c.description,
    (SELECT count(*) FROM products p WHERE p.category_id = c.id) AS product_count";

/// Every category, by name.
pub async fn categories(db: impl Into<Ex<'_>>) -> Result<Vec<CategoryRow>, sqlx::Error> {
    let sql = format!("SELECT {CATEGORY_COLUMNS} FROM categories c ORDER BY c.name COLLATE NOCASE, c.id");
    with_conn!(db, |c| sqlx::query_as(&sql).fetch_all(c).await)
}

pub async fn category(db: impl Into<Ex<'_>>, id: i64) -> Result<Option<CategoryRow>, sqlx::Error> {
    let sql = format!("SELECT {CATEGORY_COLUMNS} FROM categories c WHERE c.id = $1");
    with_conn!(db, |c| sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

/// As `category`, locked for the rest of the transaction (Postgres).
pub async fn lock_category(tx: &mut super::Tx, id: i64) -> Result<Option<CategoryRow>, sqlx::Error> {
    let sql =
        format!("SELECT {CATEGORY_COLUMNS} FROM categories c WHERE c.id = $1{}", tx.kind().for_update());
    with_conn!(tx, |c| sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

/// A unique-name clash surfaces as the `categories.name` violation (409 `name_taken`).
pub async fn insert_category(
    db: impl Into<Ex<'_>>,
    name: &str,
    description: Option<&str>,
) -> Result<i64, sqlx::Error> {
    let now = timestamp();
    with_conn!(db, |c| {
        let query = sqlx::query_as(
            "INSERT INTO categories (name, description, created_at, updated_at) VALUES ($1, $2, $3, $3)
             RETURNING id",
        )
        .bind(name)
        .bind(description)
        .bind(&now);
        returning(query, c).await.map(|(id,)| id)
    })
}

/// False when there is no such category.
pub async fn update_category(
    db: impl Into<Ex<'_>>,
    id: i64,
    name: &str,
    description: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let done = with_conn!(db, |c| sqlx::query(
        "UPDATE categories SET name = $1, description = $2, updated_at = $3 WHERE id = $4"
    )
    .bind(name)
    .bind(description)
    .bind(timestamp())
    .bind(id)
    .execute(c)
    .await
    .map(|d| d.rows_affected()))?;
    Ok(done == 1)
}

/// Its products become uncategorised (`ON DELETE SET NULL`). False when there was none.
pub async fn delete_category(db: impl Into<Ex<'_>>, id: i64) -> Result<bool, sqlx::Error> {
    let done = with_conn!(db, |c| sqlx::query("DELETE FROM categories WHERE id = $1")
        .bind(id)
        .execute(c)
        .await
        .map(|d| d.rows_affected()))?;
    Ok(done == 1)
}

/// A product with its category's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductRow {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub price: i64,
    pub quantity: i64,
    pub category_id: Option<i64>,
    pub category_name: Option<String>,
    pub image_url: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// The columns of `ProductRow`, for `products p LEFT JOIN categories c`.
pub const PRODUCT_COLUMNS: &str = "p.id, p.name, p.description, p.price, p.quantity, p.category_id,
    c.name AS category_name, p.image_url, p.created_at, p.updated_at";
pub const PRODUCT_FROM: &str = "products p LEFT JOIN categories c ON c.id = p.category_id";

pub async fn product(db: impl Into<Ex<'_>>, id: i64) -> Result<Option<ProductRow>, sqlx::Error> {
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM {PRODUCT_FROM} WHERE p.id = $1");
    with_conn!(db, |c| sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

/// A validated product, as created or fully replaced.
/// As `product`, its row locked for the rest of the transaction (Postgres).
pub async fn lock_product(tx: &mut super::Tx, id: i64) -> Result<Option<ProductRow>, sqlx::Error> {
    let lock = tx.kind().pick("", " FOR UPDATE OF p");
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM {PRODUCT_FROM} WHERE p.id = $1{lock}");
    with_conn!(tx, |c| sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

#[derive(Debug, Clone)]
pub struct NewProduct {
    pub name: String,
    pub description: Option<String>,
    pub price: i64,
    pub quantity: i64,
    pub category_id: Option<i64>,
    pub image_url: Option<String>,
}

/// An unknown `category_id` fails with a foreign-key violation.
pub async fn insert_product(db: impl Into<Ex<'_>>, p: &NewProduct) -> Result<i64, sqlx::Error> {
    let now = timestamp();
    with_conn!(db, |c| {
        let query = sqlx::query_as(
            "INSERT INTO products (name, description, price, quantity, category_id, image_url, created_at,
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(&p.name)
        .bind(&p.description)
        .bind(p.price)
        .bind(p.quantity)
        .bind(p.category_id)
        .bind(&p.image_url)
        .bind(&now);
        returning(query, c).await.map(|(id,)| id)
    })
}

/// What a PUT or PATCH changes: `None` leaves a column as it is; for nullable columns
/// `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ProductChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub price: Option<i64>,
    pub quantity: Option<i64>,
    pub category_id: Option<Option<i64>>,
    pub image_url: Option<Option<String>>,
}

impl From<NewProduct> for ProductChanges {
    fn from(p: NewProduct) -> ProductChanges {
        ProductChanges {
            name: Some(p.name),
            description: Some(p.description),
            price: Some(p.price),
            quantity: Some(p.quantity),
            category_id: Some(p.category_id),
            image_url: Some(p.image_url),
        }
    }
}

/// One statement, so concurrent edits of different columns never undo each other. False when
/// there is no such product; an unknown `category_id` fails with a foreign-key violation.
pub async fn update_product(db: impl Into<Ex<'_>>, id: i64, c: &ProductChanges) -> Result<bool, sqlx::Error> {
    let done = with_conn!(db, |conn| sqlx::query(
        "UPDATE products SET
            name = COALESCE($1, name),
            description = CASE WHEN $2 THEN $3 ELSE description END,
            price = COALESCE($4, price),
            quantity = COALESCE($5, quantity),
            category_id = CASE WHEN $6 THEN $7 ELSE category_id END,
            image_url = CASE WHEN $8 THEN $9 ELSE image_url END,
            updated_at = $10
         WHERE id = $11",
    )
    .bind(&c.name)
    .bind(c.description.is_some())
    .bind(c.description.clone().flatten())
    .bind(c.price)
    .bind(c.quantity)
    .bind(c.category_id.is_some())
    .bind(c.category_id.flatten())
    .bind(c.image_url.is_some())
    .bind(c.image_url.clone().flatten())
    .bind(timestamp())
    .bind(id)
    .execute(conn)
    .await
    .map(|d| d.rows_affected()))?;
    Ok(done == 1)
}

/// Removes it from the catalog and from every cart (`ON DELETE CASCADE`); order lines keep
/// their copies. False when there was none.
pub async fn delete_product(db: impl Into<Ex<'_>>, id: i64) -> Result<bool, sqlx::Error> {
    let done = with_conn!(db, |c| sqlx::query("DELETE FROM products WHERE id = $1")
        .bind(id)
        .execute(c)
        .await
        .map(|d| d.rows_affected()))?;
    Ok(done == 1)
}

/// Each order is backed by an index (`newest` by the rowid); the id breaks ties so pages never
/// overlap.
fn order_by(sort: ProductSort) -> &'static str {
    match sort {
        ProductSort::Name => "p.name COLLATE NOCASE, p.id",
        ProductSort::NameDesc => "p.name COLLATE NOCASE DESC, p.id DESC",
        ProductSort::Price => "p.price, p.id",
        ProductSort::PriceDesc => "p.price DESC, p.id DESC",
        ProductSort::Newest => "p.id DESC",
    }
}

/// One page of products and the number of matches.
pub async fn products_page(
    db: &Pool,
    f: &ProductFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ProductRow>, i64), sqlx::Error> {
    let like = db.kind().ilike();
    let mut filter = Filter::default();
    filter
        .when(
            &format!("(p.name {like} ? ESCAPE '\\' OR p.description {like} ? ESCAPE '\\')"),
            f.q.as_deref().map(contains_pattern),
        )
        .when("p.category_id = ?", f.category_id)
        .when("p.price >= ?", f.min_price)
        .when("p.price <= ?", f.max_price);
    match f.in_stock {
        Some(true) => filter.and("p.quantity > 0"),
        Some(false) => filter.and("p.quantity = 0"),
        None => &mut filter,
    };
    let listing = Listing { columns: PRODUCT_COLUMNS, from: PRODUCT_FROM, order_by: order_by(f.sort) };
    page_of(db, &listing, filter, limit, offset).await
}
