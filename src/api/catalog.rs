//! `/api/categories*` and `/api/products*`: the catalog. Anyone may read it; changing it takes
//! `catalog:write`.

use rocket::http::Status;
use rocket::response::content::RawJson;
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, post, put, State};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::body::Body;
use super::query::{Page, PageParams, Query};
use super::schema;
use crate::auth::guards::CatalogWrite;
use crate::auth::Perm;
use crate::db::catalog::{
    self, CategoryRow, NewProduct, ProductChanges, ProductFilter, ProductRow, ProductSort,
};
use crate::db::Db;
use crate::domain::{text, Fields};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::App;

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        list_categories,
        get_category,
        create_category,
        update_category,
        delete_category,
        list_products,
        get_product,
        create_product,
        replace_product,
        patch_product,
        delete_product
    ]
}

pub const CATEGORY_NAME_MAX: usize = 100;
pub const PRODUCT_NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 5000;
pub const IMAGE_URL_MAX: usize = 2048;

/// A price in integer cents: 0 ..= 10 000 000 000 (one hundred million in currency units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cents(i64);

impl Cents {
    pub const MAX: i64 = 10_000_000_000;

    pub fn parse(cents: i64) -> Result<Cents, String> {
        if cents < 0 {
            Err("must not be negative".into())
        } else if cents > Cents::MAX {
            Err(format!("must be at most {} (cents)", Cents::MAX))
        } else {
            Ok(Cents(cents))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// Units in stock, or in a cart line: 0 ..= 10 000 000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stock(i64);

impl Stock {
    pub const MAX: i64 = 10_000_000;

    pub fn parse(units: i64) -> Result<Stock, String> {
        if units < 0 {
            Err("must not be negative".into())
        } else if units > Stock::MAX {
            Err(format!("must be at most {}", Stock::MAX))
        } else {
            Ok(Stock(units))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// An image address: `http(s)://host...` or a site-relative path (`/images/x.png`), at most
/// 2048 characters, without spaces or control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUrl(String);

impl ImageUrl {
    /// Blank means none.
    pub fn parse(raw: &str) -> Result<Option<ImageUrl>, String> {
        let url = raw.trim();
        if url.is_empty() {
            return Ok(None);
        }
        if url.chars().count() > IMAGE_URL_MAX {
            return Err(format!("must be at most {IMAGE_URL_MAX} characters"));
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
            return Err("must not contain spaces, backslashes or control characters".into());
        }
        let lower = url.to_ascii_lowercase();
        let host = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
        let ok = match host {
            Some(rest) => rest.split(['/', '?', '#']).next().is_some_and(|h| !h.is_empty()),
            // Site-relative, but not protocol-relative (`//evil.example`).
            None => url.starts_with('/') && !url.starts_with("//"),
        };
        if ok {
            Ok(Some(ImageUrl(url.to_owned())))
        } else {
            Err("must be an http(s) URL or a path starting with /".into())
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Optional free text: trimmed, blank means none; newlines and tabs are allowed.
pub fn description(raw: &str) -> Result<Option<String>, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > DESCRIPTION_MAX {
        return Err(format!("must be at most {DESCRIPTION_MAX} characters"));
    }
    if t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err("must not contain control characters".into());
    }
    Ok(Some(t.to_owned()))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    id: i64,
    name: String,
    description: Option<String>,
    /// Products in this category.
    product_count: i64,
}

impl From<CategoryRow> for Category {
    fn from(c: CategoryRow) -> Category {
        Category { id: c.id, name: c.name, description: c.description, product_count: c.product_count }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryRef {
    id: i64,
    name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    id: i64,
    name: String,
    description: Option<String>,
    /// Integer cents.
    price: i64,
    /// Units in stock (≥ 0).
    quantity: i64,
    /// Null when uncategorised.
    category: Option<CategoryRef>,
    /// An http(s) URL or a site-relative path.
    image_url: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<ProductRow> for Product {
    fn from(p: ProductRow) -> Product {
        let category = match (p.category_id, p.category_name) {
            (Some(id), Some(name)) => Some(CategoryRef { id, name }),
            _ => None,
        };
        Product {
            id: p.id,
            name: p.name,
            description: p.description,
            price: p.price,
            quantity: p.quantity,
            category,
            image_url: p.image_url,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// `name` is required (1–100 characters, unique case-insensitively); `description` optional.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CategoryRequest {
    #[schema(schema_with = schema::category_name, required = true)]
    name: Option<String>,
    #[schema(schema_with = schema::description)]
    description: Option<String>,
}

impl CategoryRequest {
    fn parse(self) -> ApiResult<(String, Option<String>)> {
        let mut f = Fields::default();
        let name = f.require("name", self.name, |n| text(&n, CATEGORY_NAME_MAX));
        let description = self.description.and_then(|d| f.check("description", description(&d))).flatten();
        f.finish()?;
        Ok((name.expect("checked by finish"), description))
    }
}

/// A product as sent. POST and PUT take the whole product: `name` and `price` required,
/// `quantity` defaults to 0, absent `description`, `categoryId` and `imageUrl` are null. PATCH
/// changes only the fields sent (`null` clears `description`, `categoryId` and `imageUrl`).
/// Prices are integer cents.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductRequest {
    /// 1–200 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schema::product_name, required = true)]
    name: Option<Option<String>>,
    /// At most 5000 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schema::description)]
    description: Option<Option<String>>,
    /// Integer cents, 0 ..= 10000000000.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i64, required = true, minimum = 0, maximum = 10_000_000_000_i64)]
    price: Option<Option<i64>>,
    /// Units in stock, 0 ..= 10000000 (absent or null: 0).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10_000_000)]
    quantity: Option<Option<i64>>,
    /// An existing category's id (else 400 naming this field), or null for none.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    category_id: Option<Option<i64>>,
    /// `http(s)://...` or a site-relative path `/...`.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schema::image_url)]
    image_url: Option<Option<String>>,
}

/// A product patch (PATCH /api/products/{id}): only the fields sent change; `null` clears
/// `description`, `categoryId` and `imageUrl`, and is refused for the others. Parsed as a
/// `ProductRequest`; this type only documents it.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ProductPatch {
    #[schema(schema_with = schema::product_name)]
    name: Option<String>,
    #[schema(schema_with = schema::description)]
    description: Option<String>,
    /// Integer cents, 0 ..= 10000000000.
    #[schema(nullable = false, minimum = 0, maximum = 10_000_000_000_i64)]
    price: Option<i64>,
    /// Units in stock, 0 ..= 10000000.
    #[schema(nullable = false, minimum = 0, maximum = 10_000_000)]
    quantity: Option<i64>,
    /// An existing category's id (else 400 naming this field), or null for none.
    #[schema(minimum = 1)]
    category_id: Option<i64>,
    #[schema(schema_with = schema::image_url)]
    image_url: Option<String>,
}

/// Tells `"field": null` (Some(None)) from an absent field (None).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A column that can't be null: in a whole product, missing or null is required; in a patch,
/// absent leaves it and null is refused.
fn non_null<R, T>(
    f: &mut Fields,
    field: &str,
    raw: Option<Option<R>>,
    whole: bool,
    parse: impl FnOnce(R) -> Result<T, String>,
) -> Option<T> {
    match raw {
        Some(Some(r)) => f.check(field, parse(r)),
        Some(None) if !whole => {
            f.add(field, "must not be null");
            None
        }
        _ if whole => {
            f.add(field, "is required");
            None
        }
        _ => None,
    }
}

/// A nullable column: `Some(value or null)` to set it, `None` to leave it. In a whole product,
/// absent means null.
fn nullable<R, T>(
    f: &mut Fields,
    field: &str,
    raw: Option<Option<R>>,
    whole: bool,
    parse: impl FnOnce(R) -> Result<Option<T>, String>,
) -> Option<Option<T>> {
    match raw {
        Some(Some(r)) => f.check(field, parse(r)),
        Some(None) => Some(None),
        None if whole => Some(None),
        None => None,
    }
}

impl ProductRequest {
    /// Every problem at once. `whole`: a POST or PUT body (see the type's docs).
    fn parse(self, whole: bool) -> ApiResult<ProductChanges> {
        let mut f = Fields::default();
        let name = non_null(&mut f, "name", self.name, whole, |n| text(&n, PRODUCT_NAME_MAX));
        let description = nullable(&mut f, "description", self.description, whole, |d| description(&d));
        let price = non_null(&mut f, "price", self.price, whole, |p| Cents::parse(p).map(Cents::get));
        let quantity = match self.quantity {
            None | Some(None) if whole => Some(0),
            raw => non_null(&mut f, "quantity", raw, whole, |q| Stock::parse(q).map(Stock::get)),
        };
        let category_id = nullable(&mut f, "categoryId", self.category_id, whole, |id: i64| {
            if id >= 1 {
                Ok(Some(id))
            } else {
                Err("no category has this id".into())
            }
        });
        let image_url = nullable(&mut f, "imageUrl", self.image_url, whole, |u| {
            ImageUrl::parse(&u).map(|u| u.map(ImageUrl::into_inner))
        });
        f.finish()?;
        Ok(ProductChanges { name, description, price, quantity, category_id, image_url })
    }
}

/// An unknown `categoryId` is the client's mistake, reported on the field.
fn unknown_category(e: sqlx::Error) -> ApiError {
    match &e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            ApiError::field("categoryId", "no category has this id")
        }
        _ => e.into(),
    }
}

async fn load_category(db: &Db, id: i64) -> ApiResult<Category> {
    Ok(catalog::category(&db.read, id).await?.ok_or(ApiError::NotFound("Category"))?.into())
}

async fn load_product(db: &Db, id: i64) -> ApiResult<Product> {
    Ok(catalog::product(&db.read, id).await?.ok_or(ApiError::NotFound("Product"))?.into())
}

/// Every category, by name, with its number of products.
#[utoipa::path(get, path = "/api/categories", tag = "catalog",
    responses((status = 200, body = Vec<Category>)))]
#[get("/categories")]
pub async fn list_categories(db: &Db) -> ApiResult<Json<Vec<Category>>> {
    let rows = catalog::categories(&db.read).await?;
    Ok(Json(rows.into_iter().map(Category::from).collect()))
}

/// One category.
#[utoipa::path(get, path = "/api/categories/{id}", tag = "catalog", params(("id" = i64, Path)),
    responses((status = 200, body = Category), (status = 404, body = ErrorBody)))]
#[get("/categories/<id>")]
pub async fn get_category(db: &Db, id: i64) -> ApiResult<Json<Category>> {
    load_category(db, id).await.map(Json)
}

/// Create a category (catalog:write). Names are unique case-insensitively.
#[utoipa::path(post, path = "/api/categories", tag = "catalog", request_body = CategoryRequest,
    responses((status = 201, body = Category), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, description = "`name_taken`", body = ErrorBody),
        (status = 415, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/categories", data = "<body>")]
pub async fn create_category(
    _who: Perm<CatalogWrite>,
    db: &Db,
    body: Body<CategoryRequest>,
) -> ApiResult<Custom<Json<Category>>> {
    let (name, description) = body.0.parse()?;
    let id = catalog::insert_category(&db.write, &name, description.as_deref()).await?;
    Ok(Custom(Status::Created, Json(load_category(db, id).await?)))
}

/// Replace a category's name and description (catalog:write).
#[utoipa::path(put, path = "/api/categories/{id}", tag = "catalog", params(("id" = i64, Path)),
    request_body = CategoryRequest,
    responses((status = 200, body = Category), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`name_taken`", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[put("/categories/<id>", data = "<body>")]
pub async fn update_category(
    _who: Perm<CatalogWrite>,
    db: &Db,
    id: i64,
    body: Body<CategoryRequest>,
) -> ApiResult<Json<Category>> {
    let (name, description) = body.0.parse()?;
    if !catalog::update_category(&db.write, id, &name, description.as_deref()).await? {
        return Err(ApiError::NotFound("Category"));
    }
    load_category(db, id).await.map(Json)
}

/// Delete a category (catalog:write); its products stay, uncategorised.
#[utoipa::path(delete, path = "/api/categories/{id}", tag = "catalog", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/categories/<id>")]
pub async fn delete_category(_who: Perm<CatalogWrite>, db: &Db, id: i64) -> ApiResult<Status> {
    if catalog::delete_category(&db.write, id).await? {
        Ok(Status::NoContent)
    } else {
        Err(ApiError::NotFound("Category"))
    }
}

/// The catalog: search, filters (bounds inclusive), sort and paging.
#[utoipa::path(get, path = "/api/products", tag = "catalog",
    params(
        ("q" = Option<String>, Query, description = "Substring of the name or description"),
        ("category" = Option<i64>, Query, minimum = 1, description = "Category id"),
        ("minPrice" = Option<i64>, Query, minimum = 0, description = "Lowest price in cents (inclusive)"),
        ("maxPrice" = Option<i64>, Query, minimum = 0, description = "Highest price in cents (inclusive)"),
        ("inStock" = Option<bool>, Query, description = "`true`: only products in stock; `false`: only sold out"),
        ("sort" = Option<ProductSortName>, Query, description = "`name` (default), `-name`, `price`, `-price` or `newest`"),
        PageParams),
    responses((status = 200, body = Page<Product>), (status = 400, body = ErrorBody)))]
#[get("/products")]
pub async fn list_products(mut q: Query, db: &Db, app: &State<App>) -> ApiResult<RawJson<String>> {
    let paging = q.paging();
    let filter = ProductFilter {
        q: q.text("q"),
        category_id: q.int("category", 1),
        min_price: q.int("minPrice", 0),
        max_price: q.int("maxPrice", 0),
        in_stock: q.one_of("inStock", &["true", "false"]).map(|v| v == "true"),
        sort: q.one_of("sort", ProductSort::NAMES).and_then(ProductSort::parse).unwrap_or_default(),
    };
    q.finish()?;
    // The catalog is read far more often than it changes: answers are cached until the next write.
    let key = format!("products {filter:?} {} {}", paging.page, paging.per_page);
    let body = app
        .reads
        .get_or(key, async {
            let (rows, total) =
                catalog::products_page(&db.read, &filter, paging.limit(), paging.offset()).await?;
            let page = Page::new(rows.into_iter().map(Product::from).collect(), paging, total);
            serde_json::to_string(&page).map_err(ApiError::internal)
        })
        .await?;
    Ok(RawJson(body.to_string()))
}

/// The catalog's sort orders (documentation only).
#[derive(Serialize, ToSchema)]
pub enum ProductSortName {
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "-name")]
    NameDesc,
    #[serde(rename = "price")]
    Price,
    #[serde(rename = "-price")]
    PriceDesc,
    #[serde(rename = "newest")]
    Newest,
}

/// One product.
#[utoipa::path(get, path = "/api/products/{id}", tag = "catalog", params(("id" = i64, Path)),
    responses((status = 200, body = Product), (status = 404, body = ErrorBody)))]
#[get("/products/<id>")]
pub async fn get_product(db: &Db, id: i64) -> ApiResult<Json<Product>> {
    load_product(db, id).await.map(Json)
}

/// Create a product (catalog:write).
#[utoipa::path(post, path = "/api/products", tag = "catalog", request_body = ProductRequest,
    responses((status = 201, body = Product), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 415, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/products", data = "<body>")]
pub async fn create_product(
    _who: Perm<CatalogWrite>,
    db: &Db,
    body: Body<ProductRequest>,
) -> ApiResult<Custom<Json<Product>>> {
    let c = body.0.parse(true)?;
    let new = NewProduct {
        name: c.name.expect("whole"),
        description: c.description.flatten(),
        price: c.price.expect("whole"),
        quantity: c.quantity.expect("whole"),
        category_id: c.category_id.flatten(),
        image_url: c.image_url.flatten(),
    };
    let id = catalog::insert_product(&db.write, &new).await.map_err(unknown_category)?;
    Ok(Custom(Status::Created, Json(load_product(db, id).await?)))
}

async fn change_product(db: &Db, id: i64, changes: ProductChanges) -> ApiResult<Json<Product>> {
    if !catalog::update_product(&db.write, id, &changes).await.map_err(unknown_category)? {
        return Err(ApiError::NotFound("Product"));
    }
    load_product(db, id).await.map(Json)
}

/// Replace a product (catalog:write): the same body as POST.
#[utoipa::path(put, path = "/api/products/{id}", tag = "catalog", params(("id" = i64, Path)),
    request_body = ProductRequest,
    responses((status = 200, body = Product), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[put("/products/<id>", data = "<body>")]
pub async fn replace_product(
    _who: Perm<CatalogWrite>,
    db: &Db,
    id: i64,
    body: Body<ProductRequest>,
) -> ApiResult<Json<Product>> {
    let changes = body.0.parse(true)?;
    change_product(db, id, changes).await
}

/// Change some fields of a product (catalog:write).
#[utoipa::path(patch, path = "/api/products/{id}", tag = "catalog", params(("id" = i64, Path)),
    request_body(content = Option<ProductPatch>, description = "Only the fields sent change; no body changes nothing"),
    responses((status = 200, body = Product), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[patch("/products/<id>", data = "<body>")]
pub async fn patch_product(
    _who: Perm<CatalogWrite>,
    db: &Db,
    id: i64,
    body: Body<ProductRequest>,
) -> ApiResult<Json<Product>> {
    let changes = body.0.parse(false)?;
    change_product(db, id, changes).await
}

/// Delete a product (catalog:write): it leaves the catalog and every cart; past orders keep
/// their copy of its name and price.
#[utoipa::path(delete, path = "/api/products/{id}", tag = "catalog", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/products/<id>")]
pub async fn delete_product(_who: Perm<CatalogWrite>, db: &Db, id: i64) -> ApiResult<Status> {
    if catalog::delete_product(&db.write, id).await? {
        Ok(Status::NoContent)
    } else {
        Err(ApiError::NotFound("Product"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents() {
        assert_eq!(Cents::parse(0).unwrap().get(), 0);
        assert_eq!(Cents::parse(1999).unwrap().get(), 1999);
        assert!(Cents::parse(-1).is_err());
        assert!(Cents::parse(Cents::MAX).is_ok());
        assert!(Cents::parse(Cents::MAX + 1).is_err());
    }

    #[test]
    fn stock() {
        assert!(Stock::parse(0).is_ok());
        assert!(Stock::parse(-1).is_err());
        assert!(Stock::parse(Stock::MAX + 1).is_err());
    }

    #[test]
    fn image_urls() {
        for ok in ["https://cdn.example.com/a.png", "HTTP://x.io", "/images/kettle.jpg", "/a?b=c#d"] {
            assert!(ImageUrl::parse(ok).unwrap().is_some(), "{ok:?} refused");
        }
        assert_eq!(ImageUrl::parse("  ").unwrap(), None);
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,xx",
            "//evil.example/x.png",
            "ftp://x.io/a",
            "https://",
            "https:///path",
            "images/relative.png",
            "/a b.png",
            "/a\\b",
        ] {
            assert!(ImageUrl::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(ImageUrl::parse(&format!("/{}", "a".repeat(IMAGE_URL_MAX))).is_err());
    }

    #[test]
    fn descriptions() {
        assert_eq!(description("  ").unwrap(), None);
        assert_eq!(description(" two\nlines ").unwrap().as_deref(), Some("two\nlines"));
        assert!(description("bell\u{7}").is_err());
        assert!(description(&"x".repeat(DESCRIPTION_MAX + 1)).is_err());
    }

    #[test]
    fn whole_and_partial_products() {
        let empty = ProductRequest::default();
        let Err(ApiError::Validation(f)) = empty.parse(true) else { panic!("accepted") };
        assert_eq!(f.keys().collect::<Vec<_>>(), ["name", "price"]);
        let patch = ProductRequest::default().parse(false).unwrap();
        assert!(patch.name.is_none() && patch.quantity.is_none() && patch.description.is_none());
        let nulls = ProductRequest { name: Some(None), description: Some(None), ..Default::default() };
        let Err(ApiError::Validation(f)) = nulls.parse(false) else { panic!("accepted") };
        assert_eq!(f["name"], "must not be null");
        let clear = ProductRequest { description: Some(None), ..Default::default() }.parse(false).unwrap();
        assert_eq!(clear.description, Some(None));
        let whole =
            ProductRequest { name: Some(Some("Mug".into())), price: Some(Some(450)), ..Default::default() }
                .parse(true)
                .unwrap();
        assert_eq!((whole.quantity, whole.category_id, whole.image_url), (Some(0), Some(None), Some(None)));
    }
}
