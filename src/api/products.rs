//! `/api/products*`: the catalog. Anyone reads it (the list is cached until the next write);
//! catalog:write changes it.

use rocket::http::Status;
use rocket::response::content::RawJson;
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, post, put, State};
use serde::Deserialize;
use utoipa::ToSchema;

use super::body::Body;
use super::patch::{non_null, nullable, present};
use super::query::{Page, Paging, Query};
use super::schema;
use super::views::Product;
use crate::auth::guards::CatalogWrite;
use crate::auth::{AuthUser, Client, Perm};
use crate::db::catalog::{self, NewProduct, ProductChanges};
use crate::db::{audit, Db};
use crate::domain::audit::{Action, Details, TargetType};
use crate::domain::catalog::{ImageUrl, ProductFilter, ProductSort, PRODUCT_NAME_MAX};
use crate::domain::text::{description, text};
use crate::domain::{Cents, Fields, Stock};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::App;

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        list_products,
        get_product,
        create_product,
        replace_product,
        patch_product,
        delete_product
    ]
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

async fn load_product(db: &Db, id: i64) -> ApiResult<Product> {
    Ok(catalog::product(&db.read, id).await?.ok_or(ApiError::NotFound("Product"))?.into())
}

/// The catalog: search, filters (bounds inclusive), sort and paging.
#[utoipa::path(get, path = "/api/products", tag = "catalog",
    params(
        ("q" = Option<String>, Query, description = "Substring of the name or description"),
        ("category" = Option<i64>, Query, minimum = 1, description = "Category id"),
        ("minPrice" = Option<i64>, Query, minimum = 0, description = "Lowest price in cents (inclusive)"),
        ("maxPrice" = Option<i64>, Query, minimum = 0, description = "Highest price in cents (inclusive)"),
        ("inStock" = Option<bool>, Query, description = "`true`: only products in stock; `false`: only sold out"),
        ("sort" = Option<ProductSort>, Query, description = "`name` (default), `-name`, `price`, `-price` or `newest`"),
        Paging),
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
        sort: q.closed("sort").unwrap_or_default(),
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
    who: Perm<CatalogWrite>,
    client: Client,
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
    let mut tx = db.write.begin().await?;
    let id = catalog::insert_product(&mut tx, &new).await.map_err(unknown_category)?;
    let details =
        Details::new().with("name", &new.name).with("price", new.price).with("quantity", new.quantity);
    let event = client.event(Action::ProductCreated).by(&who.0.user).on(TargetType::Product, id);
    audit::record(&mut tx, event.details(details)).await?;
    tx.commit().await?;
    Ok(Custom(Status::Created, Json(load_product(db, id).await?)))
}

async fn change_product(
    db: &Db,
    client: &Client,
    who: &AuthUser,
    id: i64,
    changes: ProductChanges,
) -> ApiResult<Json<Product>> {
    let mut tx = db.write.begin().await?;
    let before = catalog::lock_product(&mut tx, id).await?.ok_or(ApiError::NotFound("Product"))?;
    catalog::update_product(&mut tx, id, &changes).await.map_err(unknown_category)?;
    let after = catalog::product(&mut tx, id).await?.ok_or(ApiError::NotFound("Product"))?;
    let (before, after) = (Product::from(before), Product::from(after));
    let details = Details::diff(&before, &after, &["updatedAt"]);
    if !details.is_empty() {
        let event = client.event(Action::ProductUpdated).by(&who.user).on(TargetType::Product, id);
        audit::record(&mut tx, event.details(details)).await?;
    }
    tx.commit().await?;
    Ok(Json(after))
}

/// Replace a product (catalog:write): the same body as POST.
#[utoipa::path(put, path = "/api/products/{id}", tag = "catalog", params(("id" = i64, Path)),
    request_body = ProductRequest,
    responses((status = 200, body = Product), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[put("/products/<id>", data = "<body>")]
pub async fn replace_product(
    who: Perm<CatalogWrite>,
    client: Client,
    db: &Db,
    id: i64,
    body: Body<ProductRequest>,
) -> ApiResult<Json<Product>> {
    let changes = body.0.parse(true)?;
    change_product(db, &client, &who.0, id, changes).await
}

/// Change some fields of a product (catalog:write).
#[utoipa::path(patch, path = "/api/products/{id}", tag = "catalog", params(("id" = i64, Path)),
    request_body(content = Option<ProductPatch>, description = "Only the fields sent change; no body changes nothing"),
    responses((status = 200, body = Product), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[patch("/products/<id>", data = "<body>")]
pub async fn patch_product(
    who: Perm<CatalogWrite>,
    client: Client,
    db: &Db,
    id: i64,
    body: Body<ProductRequest>,
) -> ApiResult<Json<Product>> {
    let changes = body.0.parse(false)?;
    change_product(db, &client, &who.0, id, changes).await
}

/// Delete a product (catalog:write): it leaves the catalog and every cart; past orders keep
/// their copy of its name and price.
#[utoipa::path(delete, path = "/api/products/{id}", tag = "catalog", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/products/<id>")]
pub async fn delete_product(who: Perm<CatalogWrite>, client: Client, db: &Db, id: i64) -> ApiResult<Status> {
    let mut tx = db.write.begin().await?;
    let product = catalog::lock_product(&mut tx, id).await?.ok_or(ApiError::NotFound("Product"))?;
    catalog::delete_product(&mut tx, id).await?;
    let event = client.event(Action::ProductDeleted).by(&who.0.user).on(TargetType::Product, id);
    audit::record(&mut tx, event.details(Details::new().with("name", &product.name))).await?;
    tx.commit().await?;
    Ok(Status::NoContent)
}

#[cfg(test)]
mod tests {
    use super::*;

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
