//! `/api/categories*`: anyone reads them; catalog:write changes them.

use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::Body;
use super::schema;
use crate::auth::guards::CatalogWrite;
use crate::auth::{Client, Perm};
use crate::db::catalog::{self, CategoryRow};
use crate::db::{audit, Db};
use crate::domain::audit::{Action, Details, TargetType};
use crate::domain::catalog::CATEGORY_NAME_MAX;
use crate::domain::text::{description, text};
use crate::domain::Fields;
use crate::error::{ApiError, ApiResult, ErrorBody};

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![list_categories, get_category, create_category, update_category, delete_category]
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

async fn load_category(db: &Db, id: i64) -> ApiResult<Category> {
    Ok(catalog::category(&db.read, id).await?.ok_or(ApiError::NotFound("Category"))?.into())
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
    who: Perm<CatalogWrite>,
    client: Client,
    db: &Db,
    body: Body<CategoryRequest>,
) -> ApiResult<Custom<Json<Category>>> {
    let (name, description) = body.0.parse()?;
    let mut tx = db.write.begin().await?;
    let id = catalog::insert_category(&mut tx, &name, description.as_deref()).await?;
    let event = client.event(Action::CategoryCreated).by(&who.0.user).on(TargetType::Category, id);
    audit::record(&mut tx, event.details(Details::new().with("name", &name))).await?;
    tx.commit().await?;
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
    who: Perm<CatalogWrite>,
    client: Client,
    db: &Db,
    id: i64,
    body: Body<CategoryRequest>,
) -> ApiResult<Json<Category>> {
    let (name, description) = body.0.parse()?;
    let mut tx = db.write.begin().await?;
    let before = catalog::lock_category(&mut tx, id).await?.ok_or(ApiError::NotFound("Category"))?;
    catalog::update_category(&mut tx, id, &name, description.as_deref()).await?;
    let after = catalog::category(&mut tx, id).await?.ok_or(ApiError::NotFound("Category"))?;
    let (before, after) = (Category::from(before), Category::from(after));
    let details = Details::diff(&before, &after, &[]);
    if !details.is_empty() {
        let event = client.event(Action::CategoryUpdated).by(&who.0.user).on(TargetType::Category, id);
        audit::record(&mut tx, event.details(details)).await?;
    }
    tx.commit().await?;
    Ok(Json(after))
}

/// Delete a category (catalog:write); its products stay, uncategorised.
#[utoipa::path(delete, path = "/api/categories/{id}", tag = "catalog", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/categories/<id>")]
pub async fn delete_category(who: Perm<CatalogWrite>, client: Client, db: &Db, id: i64) -> ApiResult<Status> {
    let mut tx = db.write.begin().await?;
    let category = catalog::lock_category(&mut tx, id).await?.ok_or(ApiError::NotFound("Category"))?;
    catalog::delete_category(&mut tx, id).await?;
    let event = client.event(Action::CategoryDeleted).by(&who.0.user).on(TargetType::Category, id);
    audit::record(&mut tx, event.details(Details::new().with("name", &category.name))).await?;
    tx.commit().await?;
    Ok(Status::NoContent)
}
