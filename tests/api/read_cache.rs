//! The product list is cached between writes; it must never show anything a write has changed.

use serde_json::json;

use crate::helpers::{Req, TestApp};
use crate::store_support::{add_to_cart, clerk, product};

#[rocket::async_test]
async fn the_cached_product_list_follows_every_kind_of_write() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let (buyer, _) = app.signup("buyer").await;
    let mug = product(&app, &clerk, "Mug", 1200, 5).await;
    let list = || async { app.get("/api/products?sort=name", &Req::default()).await.body };

    let first = list().await;
    assert_eq!(first["items"][0]["quantity"], 5);
    assert_eq!(list().await, first, "served again unchanged");

    // A catalog edit.
    let r = app.patch(&format!("/api/products/{mug}"), &Req::bearer(&clerk), json!({"price": 1500})).await;
    assert_eq!(r.status, 200);
    assert_eq!(list().await["items"][0]["price"], 1500);

    // An order takes stock.
    assert_eq!(add_to_cart(&app, &buyer, mug, 2).await.status, 200);
    let order = app.post("/api/order", &Req::bearer(&buyer), json!(null)).await;
    assert_eq!(order.status, 201, "{}", order.body);
    assert_eq!(list().await["items"][0]["quantity"], 3);

    // A cancel gives it back.
    let id = order.body["id"].as_i64().unwrap();
    assert_eq!(
        app.post(&format!("/api/orders/{id}/cancel"), &Req::bearer(&buyer), json!(null)).await.status,
        200
    );
    assert_eq!(list().await["items"][0]["quantity"], 5);

    // A category rename shows in the embedded category.
    let cat = app.post("/api/categories", &Req::bearer(&clerk), json!({"name": "Kitchen"})).await.body["id"]
        .clone();
    app.patch(&format!("/api/products/{mug}"), &Req::bearer(&clerk), json!({"categoryId": cat})).await;
    app.put(&format!("/api/categories/{cat}"), &Req::bearer(&clerk), json!({"name": "Cookware"})).await;
    assert_eq!(list().await["items"][0]["category"]["name"], "Cookware");

    // A delete removes it.
    assert_eq!(app.delete(&format!("/api/products/{mug}"), &Req::bearer(&clerk)).await.status, 204);
    assert_eq!(list().await["totalItems"], 0);
}
