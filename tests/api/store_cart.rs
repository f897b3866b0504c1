//! The persistent cart: merging adds, set, remove, clear, totals from the database, stock limits,
//! and parallel adds that never lose an update or exceed the stock.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::helpers::{assert_error, fields, Req, TestApp, PASSWORD};
use crate::store_support::{add_to_cart, clerk, parallel, product, statuses};

fn line(cart: &Value, product_id: i64) -> &Value {
    cart["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["productId"] == product_id)
        .unwrap_or_else(|| panic!("no line for {product_id} in {cart}"))
}

#[rocket::async_test]
async fn the_cart_needs_a_signed_in_user_and_starts_empty() {
    let app = TestApp::new().await;
    assert_error(&app.get("/api/cart", &Req::default()).await, 401, "unauthorized");
    assert_error(&app.post("/api/cart", &Req::default(), json!({"productId": 1})).await, 401, "unauthorized");
    assert_error(&app.put("/api/cart/1", &Req::default(), json!({"quantity": 1})).await, 401, "unauthorized");
    assert_error(&app.delete("/api/cart/1", &Req::default()).await, 401, "unauthorized");
    assert_error(&app.delete("/api/cart", &Req::default()).await, 401, "unauthorized");
    let (ann, _) = app.signup("ann").await;
    let r = app.get("/api/cart", &Req::bearer(&ann)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!({"items": [], "totalQuantity": 0, "total": 0}));
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

#[rocket::async_test]
async fn adding_merges_lines_and_totals_come_from_the_database() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let mug = product(&app, &clerk, "Mug", 450, 10).await;
    let pot = product(&app, &clerk, "Teapot", 2999, 3).await;
    let (ann, _) = app.signup("ann").await;
    let a = Req::bearer(&ann);

    let r = app.post("/api/cart", &a, json!({"productId": mug, "quantity": 2, "price": 1, "total": 1})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.post("/api/cart", &a, json!({"productId": pot})).await; // quantity defaults to 1
    assert_eq!(r.status, 200);
    let r = add_to_cart(&app, &ann, mug, 3).await;
    assert_eq!(r.status, 200);
    let cart = &r.body;
    assert_eq!(cart["items"].as_array().unwrap().len(), 2, "one line per product: {cart}");
    let m = line(cart, mug);
    assert_eq!(
        (&m["name"], &m["price"], &m["quantity"], &m["lineTotal"], &m["inStock"]),
        (&json!("Mug"), &json!(450), &json!(5), &json!(2250), &json!(true))
    );
    assert_eq!(m["product"]["id"], mug);
    assert_eq!(m["product"]["quantity"], 10);
    assert_eq!(m["product"].as_object().unwrap().len(), 9);
    assert_eq!(m.as_object().unwrap().len(), 7);
    assert_eq!(line(cart, pot)["lineTotal"], 2999);
    assert_eq!(cart["totalQuantity"], 6);
    assert_eq!(cart["total"], 2250 + 2999);
    // Lines keep the order they were first added in.
    assert_eq!(cart["items"][0]["productId"], mug);

    // A price change shows at once: prices are never stored in the cart.
    app.patch(&format!("/api/products/{mug}"), &Req::bearer(&clerk), json!({"price": 500})).await;
    let r = app.get("/api/cart", &a).await;
    assert_eq!(line(&r.body, mug)["lineTotal"], 2500);
    assert_eq!(r.body["total"], 2500 + 2999);

    // Carts are per user.
    let (bob, _) = app.signup("bob").await;
    assert_eq!(app.get("/api/cart", &Req::bearer(&bob)).await.body["items"], json!([]));
}

#[rocket::async_test]
async fn adding_refuses_unknown_products_bad_quantities_and_exceeding_stock() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let mug = product(&app, &clerk, "Mug", 450, 5).await;
    let (ann, _) = app.signup("ann").await;
    let a = Req::bearer(&ann);

    assert_error(&add_to_cart(&app, &ann, 999, 1).await, 404, "not_found");
    let r = app.post("/api/cart", &a, json!({})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r)["productId"], "is required");
    for (q, problem) in [
        (json!(0), "must be at least 1"),
        (json!(-2), "must not be negative"),
        (json!(1.5), "must be an integer"),
    ] {
        let r = app.post("/api/cart", &a, json!({"productId": mug, "quantity": q})).await;
        assert_error(&r, 400, "validation_failed");
        assert_eq!(fields(&r)["quantity"], problem, "{q}");
    }

    let r = add_to_cart(&app, &ann, mug, 6).await;
    assert_error(&r, 409, "insufficient_stock");
    assert!(r.body["error"]["message"].as_str().unwrap().contains("Mug"), "{}", r.body);
    assert_eq!(add_to_cart(&app, &ann, mug, 4).await.status, 200);
    // 4 in the cart + 2 would exceed the 5 in stock: refused, and the cart is unchanged.
    let r = add_to_cart(&app, &ann, mug, 2).await;
    assert_error(&r, 409, "insufficient_stock");
    assert_eq!(add_to_cart(&app, &ann, mug, 1).await.body["items"][0]["quantity"], 5);

    let sold_out = product(&app, &clerk, "Rare Vase", 9000, 0).await;
    assert_error(&add_to_cart(&app, &ann, sold_out, 1).await, 409, "insufficient_stock");
    assert_eq!(app.count("SELECT count(*) FROM cart_items").await, 1);
}

#[rocket::async_test]
async fn setting_removing_and_clearing_lines() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let mug = product(&app, &clerk, "Mug", 450, 5).await;
    let pot = product(&app, &clerk, "Teapot", 2999, 3).await;
    let other = product(&app, &clerk, "Spoon", 100, 3).await;
    let (ann, _) = app.signup("ann").await;
    let a = Req::bearer(&ann);
    add_to_cart(&app, &ann, mug, 1).await;
    add_to_cart(&app, &ann, pot, 1).await;

    let r = app.put(&format!("/api/cart/{mug}"), &a, json!({"quantity": 4})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(line(&r.body, mug)["quantity"], 4);
    assert_eq!(r.body["total"], 4 * 450 + 2999);
    let r = app.put(&format!("/api/cart/{mug}"), &a, json!({"quantity": 6})).await;
    assert_error(&r, 409, "insufficient_stock");
    let r = app.put(&format!("/api/cart/{other}"), &a, json!({"quantity": 1})).await;
    assert_error(&r, 404, "not_found");
    let r = app.put(&format!("/api/cart/{mug}"), &a, json!({})).await;
    assert_eq!(fields(&r)["quantity"], "is required");
    let r = app.put(&format!("/api/cart/{mug}"), &a, json!({"quantity": -1})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(line(&app.get("/api/cart", &a).await.body, mug)["quantity"], 4);

    // 0 removes the line.
    let r = app.put(&format!("/api/cart/{pot}"), &a, json!({"quantity": 0})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    assert_error(&app.put(&format!("/api/cart/{pot}"), &a, json!({"quantity": 0})).await, 404, "not_found");

    add_to_cart(&app, &ann, pot, 2).await;
    let r = app.delete(&format!("/api/cart/{mug}"), &a).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["total"], 2 * 2999);
    assert_error(&app.delete(&format!("/api/cart/{mug}"), &a).await, 404, "not_found");

    let r = app.delete("/api/cart", &a).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!({"items": [], "totalQuantity": 0, "total": 0}));
    assert_eq!(app.delete("/api/cart", &a).await.status, 200, "clearing an empty cart is fine");
}

#[rocket::async_test]
async fn in_stock_reflects_the_current_stock_and_deleted_products_leave_carts() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let c = Req::bearer(&clerk);
    let mug = product(&app, &clerk, "Mug", 450, 5).await;
    let pot = product(&app, &clerk, "Teapot", 2999, 3).await;
    let (ann, _) = app.signup("ann").await;
    add_to_cart(&app, &ann, mug, 4).await;
    add_to_cart(&app, &ann, pot, 1).await;

    app.patch(&format!("/api/products/{mug}"), &c, json!({"quantity": 3})).await;
    let cart = app.get("/api/cart", &Req::bearer(&ann)).await.body;
    assert_eq!(line(&cart, mug)["inStock"], false);
    assert_eq!(line(&cart, mug)["product"]["quantity"], 3);
    assert_eq!(line(&cart, pot)["inStock"], true);

    assert_eq!(app.delete(&format!("/api/products/{mug}"), &c).await.status, 204);
    let cart = app.get("/api/cart", &Req::bearer(&ann)).await.body;
    assert_eq!(cart["items"].as_array().unwrap().len(), 1);
    assert_eq!(cart["items"][0]["productId"], pot);
    assert_eq!(app.count(&format!("SELECT count(*) FROM cart_items WHERE product_id = {mug}")).await, 0);
}

#[rocket::async_test]
async fn deleting_the_account_deletes_the_cart() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let mug = product(&app, &clerk, "Mug", 450, 5).await;
    let (ann, _) = app.signup("ann").await;
    add_to_cart(&app, &ann, mug, 2).await;
    let r = app
        .request(
            rocket::http::Method::Delete,
            "/api/users/me",
            &Req::bearer(&ann),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(app.count("SELECT count(*) FROM cart_items").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_adds_by_one_user_lose_no_update() {
    let app = Arc::new(TestApp::new().await);
    let clerk = clerk(&app).await;
    let mug = product(&app, &clerk, "Mug", 450, 1000).await;
    let (ann, _) = app.signup("ann").await;
    let rs = parallel(&app, 50, |app, _| {
        let ann = ann.clone();
        async move { add_to_cart(&app, &ann, mug, 1).await }
    })
    .await;
    assert!(rs.iter().all(|r| r.status == 200), "{:?}", statuses(&rs));
    let cart = app.get("/api/cart", &Req::bearer(&ann)).await.body;
    assert_eq!(line(&cart, mug)["quantity"], 50);
    assert_eq!(cart["total"], 50 * 450);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_adds_never_exceed_the_stock() {
    let app = Arc::new(TestApp::new().await);
    let clerk = clerk(&app).await;
    let mug = product(&app, &clerk, "Mug", 450, 10).await;
    let (ann, _) = app.signup("ann").await;
    let rs = parallel(&app, 30, |app, _| {
        let ann = ann.clone();
        async move { add_to_cart(&app, &ann, mug, 1).await }
    })
    .await;
    let ok = rs.iter().filter(|r| r.status == 200).count();
    let refused = rs.iter().filter(|r| r.status == 409 && r.code() == "insufficient_stock").count();
    assert_eq!((ok, refused), (10, 20), "{:?}", statuses(&rs));
    assert_eq!(line(&app.get("/api/cart", &Req::bearer(&ann)).await.body, mug)["quantity"], 10);
}
