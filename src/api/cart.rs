//! `/api/cart*`: the signed-in user's persistent cart. Every change answers 200 with the whole
//! cart; prices and totals always come from the database.

use rocket::serde::json::Json;
use rocket::{delete, get, post, put};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::Body;
use super::views::Product;
use crate::auth::{Scoped, Store};
use crate::db::cart::{self, CartLineRow};
use crate::db::{catalog, Db};
use crate::domain::{Fields, Stock};
use crate::error::{ApiError, ApiResult, ErrorBody};

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![get_cart, add_to_cart, set_quantity, remove_line, clear_cart]
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartItem {
    product_id: i64,
    name: String,
    /// The product's current price, integer cents.
    price: i64,
    quantity: i64,
    /// `price × quantity`, integer cents.
    line_total: i64,
    /// True while the stock covers this line's quantity.
    in_stock: bool,
    product: Product,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cart {
    items: Vec<CartItem>,
    /// Units across all lines.
    total_quantity: i64,
    /// Sum of the line totals, integer cents.
    total: i64,
}

impl Cart {
    fn from_lines(lines: Vec<CartLineRow>) -> ApiResult<Cart> {
        Cart::sum(lines).ok_or_else(|| ApiError::internal("cart total overflows i64"))
    }

    /// `None` when a total would not fit in 64-bit cents (refused at every cart change, but a
    /// later price rise can still get there).
    fn sum(lines: Vec<CartLineRow>) -> Option<Cart> {
        let mut cart = Cart { items: Vec::with_capacity(lines.len()), total_quantity: 0, total: 0 };
        for line in lines {
            let p = line.product;
            let quantity = line.cart_quantity;
            let line_total = p.price.checked_mul(quantity)?;
            cart.total = cart.total.checked_add(line_total)?;
            cart.total_quantity = cart.total_quantity.checked_add(quantity)?;
            cart.items.push(CartItem {
                product_id: p.id,
                name: p.name.clone(),
                price: p.price,
                quantity,
                line_total,
                in_stock: p.quantity >= quantity,
                product: p.into(),
            });
        }
        Some(cart)
    }
}

/// `quantity` defaults to 1. Any price sent is ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartAdd {
    #[schema(value_type = i64, required = true, minimum = 1)]
    product_id: Option<i64>,
    /// 1 ..= 10000000 (absent or null: 1); added to what the cart already holds.
    #[schema(minimum = 1, maximum = 10_000_000)]
    quantity: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CartQuantity {
    /// The new quantity, 0 ..= 10000000; 0 removes the line.
    #[schema(value_type = i64, required = true, minimum = 0, maximum = 10_000_000)]
    quantity: Option<i64>,
}

fn positive(q: i64) -> Result<i64, String> {
    match Stock::parse(q) {
        Ok(s) if s.get() >= 1 => Ok(s.get()),
        Ok(_) => Err("must be at least 1".into()),
        Err(e) => Err(e),
    }
}

async fn current(db: &Db, user_id: i64) -> ApiResult<Json<Cart>> {
    Cart::from_lines(cart::lines(&db.read, user_id).await?).map(Json)
}

/// Why a change that would make the line `wanted` units changed nothing: a 400 naming
/// `quantity` when the cart's total would not fit in 64-bit cents, else 409 saying how many are
/// left. The total is what is checked, not the stock: the stock may have changed since the
/// refused statement (a cancel gives units back), and a refusal for stock must not be reported
/// as one for the total.
async fn refused(db: &Db, user_id: i64, product_id: i64, wanted: impl Fn(i64) -> i64) -> ApiResult<ApiError> {
    let p = catalog::product(&db.read, product_id).await?.ok_or(ApiError::NotFound("Product"))?;
    let lines = cart::lines(&db.read, user_id).await?;
    let held = lines.iter().find(|l| l.product.id == product_id).map_or(0, |l| l.cart_quantity);
    let total = lines
        .iter()
        .filter(|l| l.product.id != product_id)
        .try_fold(0i64, |sum, l| l.product.price.checked_mul(l.cart_quantity)?.checked_add(sum))
        .and_then(|others| p.price.checked_mul(wanted(held))?.checked_add(others));
    if total.is_none() {
        return Ok(ApiError::field("quantity", "would make the cart's total too large"));
    }
    let held = if held > 0 { format!(" (your cart holds {held})") } else { String::new() };
    Ok(ApiError::conflict(
        "insufficient_stock",
        format!("Only {} of \"{}\" in stock{held}.", p.quantity, p.name),
    ))
}

/// The signed-in user's cart.
#[utoipa::path(get, path = "/api/cart", tag = "cart",
    responses((status = 200, body = Cart), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/cart")]
pub async fn get_cart(auth: Scoped<Store>, db: &Db) -> ApiResult<Json<Cart>> {
    current(db, auth.id()).await
}

/// Add units of a product, on top of what the cart holds.
#[utoipa::path(post, path = "/api/cart", tag = "cart", request_body = CartAdd,
    responses((status = 200, body = Cart), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 409, description = "`insufficient_stock`: the line would exceed the stock", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/cart", data = "<body>")]
pub async fn add_to_cart(auth: Scoped<Store>, db: &Db, body: Body<CartAdd>) -> ApiResult<Json<Cart>> {
    let mut f = Fields::default();
    let product_id = f.require("productId", body.0.product_id, |id| {
        if id >= 1 {
            Ok(id)
        } else {
            Err("must be a product id".to_string())
        }
    });
    let quantity = f.check("quantity", positive(body.0.quantity.unwrap_or(1)));
    f.finish()?;
    let (Some(product_id), Some(quantity)) = (product_id, quantity) else {
        unreachable!("checked by finish")
    };
    if !cart::add(&db.write, auth.id(), product_id, quantity).await? {
        return Err(refused(db, auth.id(), product_id, |held| held + quantity).await?);
    }
    current(db, auth.id()).await
}

/// Set the quantity of a line already in the cart; 0 removes it.
#[utoipa::path(put, path = "/api/cart/{product_id}", tag = "cart", params(("product_id" = i64, Path, description = "The product's id")),
    request_body = CartQuantity,
    responses((status = 200, body = Cart), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "Not in the cart", body = ErrorBody),
        (status = 409, description = "`insufficient_stock`", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[put("/cart/<product_id>", data = "<body>")]
pub async fn set_quantity(
    auth: Scoped<Store>,
    db: &Db,
    product_id: i64,
    body: Body<CartQuantity>,
) -> ApiResult<Json<Cart>> {
    let mut f = Fields::default();
    let quantity = f.require("quantity", body.0.quantity, |q| Stock::parse(q).map(Stock::get));
    f.finish()?;
    let quantity = quantity.expect("checked by finish");
    let changed = if quantity == 0 {
        cart::remove(&db.write, auth.id(), product_id).await?
    } else {
        cart::set(&db.write, auth.id(), product_id, quantity).await?
    };
    if !changed {
        if cart::line_quantity(&db.read, auth.id(), product_id).await?.is_none() {
            return Err(ApiError::NotFound("Cart item"));
        }
        return Err(refused(db, auth.id(), product_id, |_| quantity).await?);
    }
    current(db, auth.id()).await
}

/// Remove one line.
#[utoipa::path(delete, path = "/api/cart/{product_id}", tag = "cart", params(("product_id" = i64, Path, description = "The product's id")),
    responses((status = 200, body = Cart), (status = 401, body = ErrorBody),
        (status = 404, description = "Not in the cart", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/cart/<product_id>")]
pub async fn remove_line(auth: Scoped<Store>, db: &Db, product_id: i64) -> ApiResult<Json<Cart>> {
    if !cart::remove(&db.write, auth.id(), product_id).await? {
        return Err(ApiError::NotFound("Cart item"));
    }
    current(db, auth.id()).await
}

/// Empty the cart.
#[utoipa::path(delete, path = "/api/cart", tag = "cart",
    responses((status = 200, body = Cart), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/cart")]
pub async fn clear_cart(auth: Scoped<Store>, db: &Db) -> ApiResult<Json<Cart>> {
    cart::clear(&db.write, auth.id()).await?;
    current(db, auth.id()).await
}
