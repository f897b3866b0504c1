//! Shared set-up for the store tests: a catalog clerk, products, carts and parallel requests.

use std::future::Future;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::helpers::{Req, Resp, TestApp};

/// A signed-in user with catalog:write and orders:manage.
pub async fn clerk(app: &TestApp) -> String {
    app.user_with("clerk", "user", &["catalog:write", "orders:manage"]).await.0
}

/// Creates a product through the API; returns its id.
pub async fn product(app: &TestApp, clerk: &str, name: &str, price: i64, quantity: i64) -> i64 {
    let r = app
        .post(
            "/api/products",
            &Req::bearer(clerk),
            json!({"name": name, "price": price, "quantity": quantity, "description": format!("About {name}")}),
        )
        .await;
    assert_eq!(r.status, 201, "creating {name}: {}", r.body);
    r.body["id"].as_i64().unwrap()
}

pub async fn add_to_cart(app: &TestApp, token: &str, product_id: i64, quantity: i64) -> Resp {
    app.post("/api/cart", &Req::bearer(token), json!({"productId": product_id, "quantity": quantity})).await
}

pub async fn stock(app: &TestApp, product_id: i64) -> i64 {
    app.count(&format!("SELECT quantity FROM products WHERE id = {product_id}")).await
}

/// Runs every request on its own tokio task (really in parallel on a multi-thread runtime) and
/// returns the responses in the same order.
pub async fn parallel<F, Fut>(app: &Arc<TestApp>, n: usize, request: F) -> Vec<Resp>
where
    F: Fn(Arc<TestApp>, usize) -> Fut,
    Fut: Future<Output = Resp> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(request(app.clone(), i))).collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.expect("request task panicked"));
    }
    out
}

pub fn statuses(rs: &[Resp]) -> Vec<u16> {
    rs.iter().map(|r| r.status).collect()
}

pub fn ids(v: &Value) -> Vec<i64> {
    v["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect()
}
