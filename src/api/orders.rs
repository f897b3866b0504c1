//! Orders: placing one from the cart (`/api/order`, alias `/api/orders`), reading them (owner or
//! orders:manage; anyone else gets 404), the status machine, and cancelling with restock.

use std::collections::HashMap;

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{get, patch, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use utoipa::IntoParams;

use super::body::Body;
use super::query::{Page, Paging, Query};
use crate::auth::guards::OrdersManage;
use crate::auth::{AuthUser, Client, Perm, Scoped, Store};
use crate::db::orders::{self, ItemRow, OrderRow, Placement};
use crate::db::{audit, Db};
use crate::domain::audit::{Action, Details, TargetType};
use crate::domain::orders::{self as rules, OrderFilter, OrderStatus};
use crate::domain::{ClosedSet, Fields, Permission};
use crate::error::{stash, ApiError, ApiResult, ErrorBody};
use crate::metrics::Metrics;
use crate::App;

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        place_order,
        place_order_alias,
        get_order,
        get_order_alias,
        my_orders,
        list_orders,
        update_status,
        cancel_order
    ]
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    /// The product's id (kept after the product is deleted).
    product_id: i64,
    /// The product's name when the order was placed.
    name: String,
    /// The price paid per unit, integer cents.
    unit_price: i64,
    quantity: i64,
    /// `unitPrice × quantity`, integer cents.
    line_total: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    id: i64,
    /// The same as `id`, for clients of the original design.
    order_id: i64,
    /// Null once the user deleted their account.
    user_id: Option<i64>,
    items: Vec<OrderItem>,
    /// Integer cents.
    total_price: i64,
    status: OrderStatus,
    created_at: String,
    updated_at: String,
    /// When the order was shipped, else null.
    shipped_at: Option<String>,
    /// Who placed it; null once they deleted their account.
    customer: Option<Customer>,
}

/// The customer of an order as they are now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Customer {
    id: i64,
    username: Option<String>,
    name: String,
    email: String,
}

impl Order {
    fn new(o: OrderRow, items: Vec<ItemRow>) -> Order {
        let customer = match (o.user_id, o.customer_name, o.customer_email) {
            (Some(id), Some(name), Some(email)) => {
                Some(Customer { id, username: o.customer_username, name, email })
            }
            _ => None,
        };
        Order {
            customer,
            id: o.id,
            order_id: o.id,
            user_id: o.user_id,
            items: items
                .into_iter()
                .map(|i| OrderItem {
                    product_id: i.product_id,
                    name: i.name,
                    unit_price: i.unit_price,
                    quantity: i.quantity,
                    // Fits: it was checked with checked_mul when the order was placed.
                    line_total: i.unit_price.saturating_mul(i.quantity),
                })
                .collect(),
            total_price: o.total_price,
            status: o.status,
            created_at: o.created_at,
            updated_at: o.updated_at,
            shipped_at: o.shipped_at,
        }
    }
}

/// Orders with their lines, in the given order.
async fn with_items(db: &Db, rows: Vec<OrderRow>) -> ApiResult<Vec<Order>> {
    let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
    let mut items: HashMap<i64, Vec<ItemRow>> = HashMap::new();
    for item in orders::items(&db.read, &ids).await? {
        items.entry(item.order_id).or_default().push(item);
    }
    Ok(rows
        .into_iter()
        .map(|o| {
            let lines = items.remove(&o.id).unwrap_or_default();
            Order::new(o, lines)
        })
        .collect())
}

async fn load(db: &Db, id: i64) -> ApiResult<Order> {
    let row = orders::order(&db.read, id).await?.ok_or(ApiError::NotFound("Order"))?;
    Ok(with_items(db, vec![row]).await?.remove(0))
}

/// The order if the caller owns it or has orders:manage; anyone else learns nothing (404).
async fn visible(db: &Db, auth: &AuthUser, id: i64) -> ApiResult<OrderRow> {
    orders::order(&db.read, id)
        .await?
        .filter(|o| o.user_id == Some(auth.id()) || auth.user.can(Permission::OrdersManage))
        .ok_or(ApiError::NotFound("Order"))
}

/// The optional `Idempotency-Key` header (`domain::orders::IdempotencyKey`).
pub struct IdempotencyKey(Option<rules::IdempotencyKey>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IdempotencyKey {
    type Error = ApiError;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        match req.headers().get_one("Idempotency-Key").map(rules::IdempotencyKey::parse) {
            None => Outcome::Success(IdempotencyKey(None)),
            Some(Ok(key)) => Outcome::Success(IdempotencyKey(Some(key))),
            Some(Err(problem)) => Outcome::Error(stash(req, ApiError::field("Idempotency-Key", problem))),
        }
    }
}

fn insufficient(short: &[orders::Shortfall]) -> ApiError {
    let list: Vec<String> = short
        .iter()
        .map(|s| format!("\"{}\" (#{}: {} wanted, {} left)", s.name, s.product_id, s.requested, s.available))
        .collect();
    ApiError::conflict("insufficient_stock", format!("Not enough stock for {}.", list.join(", ")))
}

async fn place(
    auth: Scoped<Store>,
    client: Client,
    db: &Db,
    metrics: &Metrics,
    key: IdempotencyKey,
) -> ApiResult<Custom<Json<Order>>> {
    let event = client.event(Action::OrderPlaced).by(&auth.user);
    let id = match orders::place(&db.write, &auth.user, key.0.as_ref(), event).await? {
        Placement::Placed(order, items) => {
            metrics.order_placed();
            return Ok(Custom(Status::Created, Json(Order::new(order, items))));
        }
        Placement::Existing(id) => id,
        Placement::CartEmpty => {
            return Err(ApiError::BadRequest { code: "cart_empty", message: "Your cart is empty.".into() });
        }
        Placement::Shortfall(short) => return Err(insufficient(&short)),
        Placement::TooLarge => return Err(ApiError::field("cart", "the order total is too large")),
    };
    Ok(Custom(Status::Created, Json(load(db, id).await?)))
}

/// Place an order from the whole cart. The cart is emptied; each line keeps the product's name
/// and price; status `pending`. Any body is ignored: prices come from the catalog. With an
/// `Idempotency-Key` (per user, remembered as long as the order exists), a retry — sequential
/// or concurrent — returns the order that key placed (201, the order as it is now) instead of
/// placing another. A request that failed (400/409) does not use up its key.
#[utoipa::path(post, path = "/api/order", tag = "orders",
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$",
        description = "1–255 visible ASCII characters")),
    responses((status = 201, body = Order),
        (status = 400, description = "`cart_empty`, or a malformed Idempotency-Key", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 409, description = "`insufficient_stock`, naming the products; nothing changed", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/order")]
pub async fn place_order(
    auth: Scoped<Store>,
    client: Client,
    db: &Db,
    app: &State<App>,
    key: IdempotencyKey,
) -> ApiResult<Custom<Json<Order>>> {
    place(auth, client, db, &app.metrics, key).await
}

/// Alias of `POST /api/order`.
#[utoipa::path(post, path = "/api/orders", tag = "orders",
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$",
        description = "1–255 visible ASCII characters")),
    responses((status = 201, body = Order), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/orders")]
pub async fn place_order_alias(
    auth: Scoped<Store>,
    client: Client,
    db: &Db,
    app: &State<App>,
    key: IdempotencyKey,
) -> ApiResult<Custom<Json<Order>>> {
    place(auth, client, db, &app.metrics, key).await
}

/// One order: its owner's, or anyone's with orders:manage. Others get 404.
#[utoipa::path(get, path = "/api/order/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Order), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/order/<id>")]
pub async fn get_order(auth: Scoped<Store>, db: &Db, id: i64) -> ApiResult<Json<Order>> {
    let row = visible(db, &auth, id).await?;
    Ok(Json(with_items(db, vec![row]).await?.remove(0)))
}

/// Alias of `GET /api/order/{id}`.
#[utoipa::path(get, path = "/api/orders/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Order), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/orders/<id>")]
pub async fn get_order_alias(auth: Scoped<Store>, db: &Db, id: i64) -> ApiResult<Json<Order>> {
    get_order(auth, db, id).await
}

/// The filters of the manager's order list, as read from the query string and documented.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderParams {
    /// Only orders with this status.
    status: Option<OrderStatus>,
    /// Only this user's orders.
    #[param(minimum = 1, rename = "userId")]
    user_id: Option<i64>,
    /// Substring of the customer's email, username or name.
    q: Option<String>,
}

impl OrderParams {
    fn read(q: &mut Query) -> OrderFilter {
        let p = OrderParams { status: q.closed("status"), user_id: q.int("userId", 1), q: q.text("q") };
        OrderFilter { user_id: p.user_id, status: p.status, customer: p.q }
    }
}

/// The signed-in user's orders, newest first.
#[utoipa::path(get, path = "/api/users/me/orders", tag = "orders",
    params(("status" = Option<OrderStatus>, Query, description = "Only orders with this status"), Paging),
    responses((status = 200, body = Page<Order>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/users/me/orders")]
pub async fn my_orders(auth: Scoped<Store>, mut q: Query, db: &Db) -> ApiResult<Json<Page<Order>>> {
    let paging = q.paging();
    let filter = OrderFilter { user_id: Some(auth.id()), status: q.closed("status"), customer: None };
    q.finish()?;
    let (rows, total) = orders::page(&db.read, &filter, paging.limit(), paging.offset()).await?;
    Ok(Json(Page::new(with_items(db, rows).await?, paging, total)))
}

/// Every order, newest first (orders:manage).
#[utoipa::path(get, path = "/api/orders", tag = "orders",
    params(OrderParams, Paging),
    responses((status = 200, body = Page<Order>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/orders")]
pub async fn list_orders(_who: Perm<OrdersManage>, mut q: Query, db: &Db) -> ApiResult<Json<Page<Order>>> {
    let paging = q.paging();
    let filter = OrderParams::read(&mut q);
    q.finish()?;
    let (rows, total) = orders::page(&db.read, &filter, paging.limit(), paging.offset()).await?;
    Ok(Json(Page::new(with_items(db, rows).await?, paging, total)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusChange {
    /// The new status (`pending` is never a valid target: 409).
    #[schema(value_type = OrderStatus, required = true)]
    status: Option<String>,
}

fn invalid_transition(from: OrderStatus, to: OrderStatus) -> ApiError {
    ApiError::conflict("invalid_transition", rules::invalid_transition_message(from, to))
}

/// Moves the order to `to` if its status still allows it (one conditional statement, so of two
/// racing changes one wins) and restocks when that cancelled it, in one write transaction with
/// its event (`order.cancelled`, else `order.status_changed`).
async fn transition(
    db: &Db,
    who: (&Client, &AuthUser),
    id: i64,
    to: OrderStatus,
    from: &[OrderStatus],
    owner: Option<i64>,
) -> ApiResult<()> {
    let mut tx = db.write.begin().await?;
    let before = orders::lock_status(&mut tx, id).await?.ok_or(ApiError::NotFound("Order"))?;
    if !orders::change_status(&mut tx, id, to, from, owner).await? {
        tx.rollback().await?;
        return Err(invalid_transition(before, to));
    }
    let action =
        if to == OrderStatus::Cancelled { Action::OrderCancelled } else { Action::OrderStatusChanged };
    if to == OrderStatus::Cancelled {
        orders::restock(&mut tx, id).await?;
    }
    let (client, auth) = who;
    let event = client.event(action).by(&auth.user).on(TargetType::Order, id);
    audit::record(&mut tx, event.details(Details::new().change("status", before, to))).await?;
    tx.commit().await?;
    Ok(())
}

/// Change an order's status (orders:manage): pending → confirmed → shipped → delivered, and
/// pending or confirmed → cancelled (which restocks). `shippedAt` is set when shipped.
#[utoipa::path(patch, path = "/api/orders/{id}", tag = "orders", params(("id" = i64, Path)),
    request_body = StatusChange,
    responses((status = 200, body = Order), (status = 400, description = "Unknown status", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`invalid_transition`", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[patch("/orders/<id>", data = "<body>")]
pub async fn update_status(
    who: Perm<OrdersManage>,
    client: Client,
    db: &Db,
    id: i64,
    body: Body<StatusChange>,
) -> ApiResult<Json<Order>> {
    let mut f = Fields::default();
    let to = f.require("status", body.0.status, |s| {
        OrderStatus::parse(s.trim()).ok_or_else(|| format!("must be one of: {}", OrderStatus::names()))
    });
    f.finish()?;
    let to = to.expect("checked by finish");
    transition(db, (&client, &who.0), id, to, to.allowed_from(), None).await?;
    load(db, id).await.map(Json)
}

/// Cancel an order and put its items back in stock: its owner while it is pending; a user with
/// orders:manage while it is pending or confirmed (as `PATCH` with `cancelled`). Others get 404.
#[utoipa::path(post, path = "/api/orders/{id}/cancel", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Order), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`invalid_transition`: no longer cancellable", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/orders/<id>/cancel")]
pub async fn cancel_order(auth: Scoped<Store>, client: Client, db: &Db, id: i64) -> ApiResult<Json<Order>> {
    visible(db, &auth, id).await?;
    let to = OrderStatus::Cancelled;
    let who = (&client, &*auth);
    if auth.user.can(Permission::OrdersManage) {
        transition(db, who, id, to, to.allowed_from(), None).await?;
    } else {
        transition(db, who, id, to, &[OrderStatus::Pending], Some(auth.id())).await?;
    }
    load(db, id).await.map(Json)
}
