//! Orders: placing from the cart, stock that is never oversold, idempotent retries, who may see
//! what, the status machine, and cancels that restock exactly once — under real parallel load.

use std::sync::Arc;

use rocket::http::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_error, fields, Req, Resp, TestApp, PASSWORD};
use crate::store_support::{add_to_cart, clerk, ids, parallel, product, statuses, stock};

fn is_timestamp(v: &Value) -> bool {
    let s = v.as_str().unwrap_or_default();
    chrono::DateTime::parse_from_rfc3339(s).is_ok() && s.ends_with('Z') && s.len() == 24
}

async fn order(app: &TestApp, token: &str) -> Resp {
    app.post("/api/order", &Req::bearer(token), json!({})).await
}

async fn order_with_key(app: &TestApp, token: &str, key: &str) -> Resp {
    app.request(Method::Post, "/api/order", &Req::bearer(token).header("Idempotency-Key", key), None).await
}

async fn set_status(app: &TestApp, token: &str, id: i64, status: &str) -> Resp {
    app.patch(&format!("/api/orders/{id}"), &Req::bearer(token), json!({"status": status})).await
}

/// A shop with a mug (450 ¢, 10 in stock) and a teapot (2999 ¢, 3 in stock); ann has 2 mugs
/// and 1 teapot in her cart.
struct Shop {
    app: TestApp,
    clerk: String,
    ann: String,
    ann_id: i64,
    mug: i64,
    pot: i64,
}

async fn shop() -> Shop {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let mug = product(&app, &clerk, "Mug", 450, 10).await;
    let pot = product(&app, &clerk, "Teapot", 2999, 3).await;
    let (ann, user) = app.signup("ann").await;
    assert_eq!(add_to_cart(&app, &ann, mug, 2).await.status, 200);
    assert_eq!(add_to_cart(&app, &ann, pot, 1).await.status, 200);
    Shop { app, clerk, ann, ann_id: user["id"].as_i64().unwrap(), mug, pot }
}

#[rocket::async_test]
async fn placing_an_order_takes_the_stock_copies_the_lines_and_empties_the_cart() {
    let s = shop().await;
    let app = &s.app;
    // Prices and totals sent by the client are ignored.
    let r = app
        .post("/api/order", &Req::bearer(&s.ann), json!({"totalPrice": 1, "items": [{"unitPrice": 1}]}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let o = &r.body;
    assert_eq!(o["id"], 1);
    assert_eq!(o["orderId"], 1);
    assert_eq!(o["userId"], s.ann_id);
    assert_eq!(
        o["items"],
        json!([
            {"productId": s.mug, "name": "Mug", "unitPrice": 450, "quantity": 2, "lineTotal": 900},
            {"productId": s.pot, "name": "Teapot", "unitPrice": 2999, "quantity": 1, "lineTotal": 2999},
        ])
    );
    assert_eq!(o["totalPrice"], 900 + 2999);
    assert_eq!(o["status"], "pending");
    assert!(is_timestamp(&o["createdAt"]) && is_timestamp(&o["updatedAt"]), "{o}");
    assert_eq!(o["shippedAt"], Value::Null);
    assert_eq!(
        o["customer"],
        json!({"id": s.ann_id, "username": "ann", "name": "ann", "email": "ann@example.com"})
    );
    assert_eq!(o.as_object().unwrap().len(), 10, "the spec's fields and the customer: {o}");

    assert_eq!((stock(app, s.mug).await, stock(app, s.pot).await), (8, 2));
    assert_eq!(app.get("/api/cart", &Req::bearer(&s.ann)).await.body["items"], json!([]));
    assert_eq!(app.get("/api/order/1", &Req::bearer(&s.ann)).await.body, r.body);

    // An empty cart can't be ordered.
    assert_error(&order(app, &s.ann).await, 400, "cart_empty");
    assert_error(&app.post("/api/order", &Req::default(), json!({})).await, 401, "unauthorized");
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 1);
}

#[rocket::async_test]
async fn post_orders_is_an_alias() {
    let s = shop().await;
    let r = s.app.post("/api/orders", &Req::bearer(&s.ann), json!({})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["totalPrice"], 3899);
    assert_error(&s.app.post("/api/orders", &Req::bearer(&s.ann), json!({})).await, 400, "cart_empty");
    let r = s.app.get("/api/orders/1", &Req::bearer(&s.ann)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["id"], 1);
}

#[rocket::async_test]
async fn a_shortfall_names_the_products_and_changes_nothing() {
    let s = shop().await;
    let app = &s.app;
    let (bob, _) = app.signup("bob").await;
    add_to_cart(app, &bob, s.pot, 3).await;
    add_to_cart(app, &bob, s.mug, 9).await;
    assert_eq!(order(app, &bob).await.status, 201); // mugs 10 → 1, teapots 3 → 0

    let r = order(app, &s.ann).await; // wants 2 mugs and 1 teapot
    assert_error(&r, 409, "insufficient_stock");
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("Mug") && message.contains("Teapot"), "{message}");
    assert_eq!((stock(app, s.mug).await, stock(app, s.pot).await), (1, 0));
    assert_eq!(app.get("/api/cart", &Req::bearer(&s.ann)).await.body["totalQuantity"], 3, "cart kept");
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM order_items").await, 2);

    // One short line is enough to refuse the whole order, and the other line keeps its stock.
    app.put(&format!("/api/cart/{}", s.mug), &Req::bearer(&s.ann), json!({"quantity": 1})).await;
    let r = order(app, &s.ann).await;
    assert_error(&r, 409, "insufficient_stock");
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("Teapot") && !message.contains("Mug"), "{message}");
    assert_eq!(stock(app, s.mug).await, 1);

    app.delete(&format!("/api/cart/{}", s.pot), &Req::bearer(&s.ann)).await;
    assert_eq!(order(app, &s.ann).await.status, 201);
    assert_eq!(stock(app, s.mug).await, 0);
}

#[rocket::async_test]
async fn orders_keep_their_copy_when_products_change_or_go() {
    let s = shop().await;
    let app = &s.app;
    let c = Req::bearer(&s.clerk);
    let placed = order(app, &s.ann).await.body;
    app.patch(&format!("/api/products/{}", s.mug), &c, json!({"name": "Big Mug", "price": 9999})).await;
    assert_eq!(app.delete(&format!("/api/products/{}", s.pot), &c).await.status, 204);
    let now = app.get("/api/order/1", &Req::bearer(&s.ann)).await.body;
    assert_eq!(now["items"], placed["items"]);
    assert_eq!(now["totalPrice"], 3899);
    // Cancelling restocks what still exists.
    assert_eq!(app.post("/api/orders/1/cancel", &Req::bearer(&s.ann), json!({})).await.status, 200);
    assert_eq!(stock(app, s.mug).await, 10);
}

#[rocket::async_test]
async fn orders_are_visible_to_their_owner_and_managers_only() {
    let s = shop().await;
    let app = &s.app;
    order(app, &s.ann).await;
    let (bob, _) = app.signup("bob").await;
    for path in ["/api/order/1", "/api/orders/1"] {
        assert_eq!(app.get(path, &Req::bearer(&s.ann)).await.status, 200);
        assert_eq!(app.get(path, &Req::bearer(&s.clerk)).await.status, 200, "orders:manage sees every order");
        assert_error(&app.get(path, &Req::bearer(&bob)).await, 404, "not_found");
        assert_error(&app.get(path, &Req::default()).await, 401, "unauthorized");
    }
    assert_error(&app.get("/api/order/99", &Req::bearer(&s.ann)).await, 404, "not_found");
    assert_error(&app.get("/api/orders/99", &Req::bearer(&s.clerk)).await, 404, "not_found");
    let admin = app.admin("boss").await;
    assert_eq!(app.get("/api/orders/1", &Req::bearer(&admin)).await.status, 200);
    // Someone else can't cancel it either.
    assert_error(&app.post("/api/orders/1/cancel", &Req::bearer(&bob), json!({})).await, 404, "not_found");
    assert_eq!(app.get("/api/orders/1", &Req::bearer(&s.ann)).await.body["status"], "pending");
}

#[rocket::async_test]
async fn my_orders_are_newest_first_and_paged() {
    let s = shop().await;
    let app = &s.app;
    let (bob, _) = app.signup("bob").await;
    add_to_cart(app, &bob, s.mug, 1).await;
    order(app, &bob).await; // 1
    for _ in 0..3 {
        add_to_cart(app, &s.ann, s.mug, 1).await;
        assert_eq!(order(app, &s.ann).await.status, 201); // 2, 3, 4
    }
    let a = Req::bearer(&s.ann);
    let r = app.get("/api/users/me/orders", &a).await;
    assert_eq!(r.status, 200);
    assert_eq!(ids(&r.body), [4, 3, 2]);
    assert_eq!((&r.body["totalItems"], &r.body["totalPages"]), (&json!(3), &json!(1)));
    assert_eq!(r.body["items"][0]["items"][0]["name"], "Mug");
    let r = app.get("/api/users/me/orders?perPage=2&page=2", &a).await;
    assert_eq!(ids(&r.body), [2]);
    assert_eq!(r.body["totalPages"], 2);
    set_status(app, &s.clerk, 3, "confirmed").await;
    assert_eq!(ids(&app.get("/api/users/me/orders?status=confirmed", &a).await.body), [3]);
    assert_error(&app.get("/api/users/me/orders?status=lost", &a).await, 400, "validation_failed");
    assert_error(&app.get("/api/users/me/orders", &Req::default()).await, 401, "unauthorized");
    assert_eq!(ids(&app.get("/api/users/me/orders", &Req::bearer(&bob)).await.body), [1]);
}

#[rocket::async_test]
async fn managers_list_every_order_with_filters() {
    let s = shop().await;
    let app = &s.app;
    let (bob, bob_user) = app.signup("bob").await;
    let bob_id = bob_user["id"].as_i64().unwrap();
    order(app, &s.ann).await; // 1
    for _ in 0..2 {
        add_to_cart(app, &bob, s.mug, 1).await;
        order(app, &bob).await; // 2, 3
    }
    set_status(app, &s.clerk, 2, "confirmed").await;
    let m = Req::bearer(&s.clerk);
    let r = app.get("/api/orders", &m).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids(&r.body), [3, 2, 1]);
    assert_eq!(ids(&app.get(&format!("/api/orders?userId={bob_id}"), &m).await.body), [3, 2]);
    assert_eq!(ids(&app.get("/api/orders?status=pending", &m).await.body), [3, 1]);
    assert_eq!(ids(&app.get(&format!("/api/orders?status=confirmed&userId={bob_id}"), &m).await.body), [2]);
    assert_eq!(ids(&app.get("/api/orders?status=delivered", &m).await.body), Vec::<i64>::new());
    // `q` searches the customer's email, username and name, as literal text in any case.
    assert_eq!(ids(&app.get("/api/orders?q=BOB", &m).await.body), [3, 2]);
    assert_eq!(ids(&app.get("/api/orders?q=ann%40example", &m).await.body), [1]);
    assert_eq!(ids(&app.get("/api/orders?q=example.com&status=pending", &m).await.body), [3, 1]);
    assert_eq!(
        ids(&app.get(&format!("/api/orders?q=bo&userId={bob_id}&status=confirmed"), &m).await.body),
        [2]
    );
    assert_eq!(ids(&app.get("/api/orders?q=%25", &m).await.body), Vec::<i64>::new());
    let r = app.get("/api/orders?q=bob&perPage=1", &m).await;
    assert_eq!((ids(&r.body), &r.body["totalItems"]), (vec![3], &json!(2)));
    assert_eq!(r.body["items"][0]["customer"]["name"], "bob");
    let r = app.get("/api/orders?perPage=1&page=3", &m).await;
    assert_eq!((ids(&r.body), &r.body["totalItems"]), (vec![1], &json!(3)));

    let r = app.get("/api/orders?status=lost&userId=x&perPage=500", &m).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r).keys().collect::<Vec<_>>(), ["perPage", "status", "userId"]);
    assert_error(&app.get("/api/orders", &Req::bearer(&bob)).await, 403, "forbidden");
    assert_error(&app.get("/api/orders", &Req::default()).await, 401, "unauthorized");
    let (cataloguer, _) = app.user_with("cat", "user", &["catalog:write"]).await;
    assert_error(&app.get("/api/orders", &Req::bearer(&cataloguer)).await, 403, "forbidden");
}

#[rocket::async_test]
async fn the_status_machine_allows_only_its_transitions() {
    let s = shop().await;
    let app = &s.app;
    order(app, &s.ann).await;
    let m = &s.clerk;

    assert_error(&set_status(app, m, 1, "shipped").await, 409, "invalid_transition");
    assert_error(&set_status(app, m, 1, "delivered").await, 409, "invalid_transition");
    assert_error(&set_status(app, m, 1, "pending").await, 409, "invalid_transition");
    let r = set_status(app, m, 1, "confirmed").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((&r.body["status"], &r.body["shippedAt"]), (&json!("confirmed"), &Value::Null));
    assert_error(&set_status(app, m, 1, "confirmed").await, 409, "invalid_transition");
    let r = set_status(app, m, 1, "shipped").await;
    assert_eq!(r.body["status"], "shipped");
    assert!(is_timestamp(&r.body["shippedAt"]), "{}", r.body);
    let shipped_at = r.body["shippedAt"].clone();
    assert_error(&set_status(app, m, 1, "cancelled").await, 409, "invalid_transition");
    let r = set_status(app, m, 1, "delivered").await;
    assert_eq!((&r.body["status"], &r.body["shippedAt"]), (&json!("delivered"), &shipped_at));
    for to in ["pending", "confirmed", "shipped", "cancelled", "delivered"] {
        assert_error(&set_status(app, m, 1, to).await, 409, "invalid_transition");
    }
    assert_eq!(
        (stock(app, s.mug).await, stock(app, s.pot).await),
        (8, 2),
        "delivered orders keep their stock"
    );

    let r = set_status(app, m, 1, "lost").await;
    assert_error(&r, 400, "validation_failed");
    assert!(fields(&r)["status"].as_str().unwrap().starts_with("must be one of"));
    let r = app.patch("/api/orders/1", &Req::bearer(m), json!({})).await;
    assert_eq!(fields(&r)["status"], "is required");
    assert_error(&set_status(app, m, 99, "confirmed").await, 404, "not_found");
    assert_error(&set_status(app, &s.ann, 1, "confirmed").await, 403, "forbidden");
    assert_error(
        &app.patch("/api/orders/1", &Req::default(), json!({"status": "confirmed"})).await,
        401,
        "unauthorized",
    );
}

#[rocket::async_test]
async fn cancelling_restocks_exactly_once() {
    let s = shop().await;
    let app = &s.app;
    let a = Req::bearer(&s.ann);
    order(app, &s.ann).await; // 1: 2 mugs, 1 teapot
    let r = app.post("/api/orders/1/cancel", &a, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!((stock(app, s.mug).await, stock(app, s.pot).await), (10, 3));
    assert_error(&app.post("/api/orders/1/cancel", &a, json!({})).await, 409, "invalid_transition");
    assert_error(&set_status(app, &s.clerk, 1, "cancelled").await, 409, "invalid_transition");
    assert_error(&set_status(app, &s.clerk, 1, "confirmed").await, 409, "invalid_transition");
    assert_eq!((stock(app, s.mug).await, stock(app, s.pot).await), (10, 3));

    // An owner can't cancel once confirmed; a manager can (PATCH or the cancel route).
    add_to_cart(app, &s.ann, s.mug, 4).await;
    order(app, &s.ann).await; // 2
    set_status(app, &s.clerk, 2, "confirmed").await;
    assert_error(&app.post("/api/orders/2/cancel", &a, json!({})).await, 409, "invalid_transition");
    assert_eq!(stock(app, s.mug).await, 6);
    let r = set_status(app, &s.clerk, 2, "cancelled").await;
    assert_eq!(r.status, 200);
    assert_eq!(stock(app, s.mug).await, 10);

    add_to_cart(app, &s.ann, s.mug, 1).await;
    order(app, &s.ann).await; // 3
    set_status(app, &s.clerk, 3, "confirmed").await;
    let r = app.post("/api/orders/3/cancel", &Req::bearer(&s.clerk), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(stock(app, s.mug).await, 10);
    assert_error(&app.post("/api/orders/99/cancel", &a, json!({})).await, 404, "not_found");
    assert_error(&app.post("/api/orders/1/cancel", &Req::default(), json!({})).await, 401, "unauthorized");
}

#[rocket::async_test]
async fn a_deleted_users_orders_stay_with_no_user() {
    let s = shop().await;
    let app = &s.app;
    order(app, &s.ann).await;
    let r = app
        .request(Method::Delete, "/api/users/me", &Req::bearer(&s.ann), Some(json!({"password": PASSWORD})))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = app.get("/api/orders/1", &Req::bearer(&s.clerk)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["userId"], Value::Null);
    assert_eq!(r.body["customer"], Value::Null);
    assert_eq!(r.body["totalPrice"], 3899);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    // A manager can still move it along.
    assert_eq!(set_status(app, &s.clerk, 1, "confirmed").await.status, 200);
}

#[rocket::async_test]
async fn an_idempotency_key_makes_a_retry_return_the_first_order() {
    let s = shop().await;
    let app = &s.app;
    let first = order_with_key(app, &s.ann, "checkout-7f3a").await;
    assert_eq!(first.status, 201);
    // The cart is empty now, but the retry is answered with the first order, not cart_empty.
    let again = order_with_key(app, &s.ann, "checkout-7f3a").await;
    assert_eq!((again.status, &again.body), (201, &first.body));
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 1);
    assert_eq!(stock(app, s.mug).await, 8);

    // Even with a new cart, the same key still means the same order.
    add_to_cart(app, &s.ann, s.mug, 1).await;
    let again = order_with_key(app, &s.ann, "checkout-7f3a").await;
    assert_eq!(again.body["id"], 1);
    // A new key is a new order.
    let other = order_with_key(app, &s.ann, "checkout-8b21").await;
    assert_eq!((other.status, &other.body["id"]), (201, &json!(2)));

    // Keys are per user: bob's identical key is his own order.
    let (bob, _) = app.signup("bob").await;
    add_to_cart(app, &bob, s.mug, 1).await;
    let bobs = order_with_key(app, &bob, "checkout-7f3a").await;
    assert_eq!((bobs.status, &bobs.body["id"]), (201, &json!(3)));

    // A failed attempt does not use up its key.
    let r = order_with_key(app, &bob, "retry-me").await;
    assert_error(&r, 400, "cart_empty");
    add_to_cart(app, &bob, s.mug, 1).await;
    assert_eq!(order_with_key(app, &bob, "retry-me").await.status, 201);

    for bad in ["", "has space", &"k".repeat(256)] {
        let r = order_with_key(app, &bob, bad).await;
        assert_error(&r, 400, "validation_failed");
        assert!(fields(&r).contains_key("Idempotency-Key"), "{bad:?}: {}", r.body);
    }
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_with_one_idempotency_key_place_one_order() {
    let s = shop().await;
    let (ann, mug) = (s.ann.clone(), s.mug);
    let app = Arc::new(s.app);
    let rs = parallel(&app, 12, |app, _| {
        let ann = ann.clone();
        async move { order_with_key(&app, &ann, "double-click").await }
    })
    .await;
    assert!(rs.iter().all(|r| r.status == 201), "{:?}", statuses(&rs));
    assert!(rs.iter().all(|r| r.body == rs[0].body), "every retry answers with the same order");
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 1);
    assert_eq!(stock(&app, mug).await, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_buyers_racing_for_five_units_get_exactly_five_orders() {
    let app = Arc::new(TestApp::new().await);
    let clerk = clerk(&app).await;
    let lamp = product(&app, &clerk, "Lamp", 4999, 5).await;
    let mut buyers = Vec::new();
    for i in 0..20 {
        let (token, _) = app.signup(&format!("buyer{i}")).await;
        assert_eq!(add_to_cart(&app, &token, lamp, 1).await.status, 200);
        buyers.push(token);
    }
    let buyers = Arc::new(buyers);
    let rs = parallel(&app, 20, |app, i| {
        let buyers = buyers.clone();
        async move { order(&app, &buyers[i]).await }
    })
    .await;
    let placed = rs.iter().filter(|r| r.status == 201).count();
    let refused = rs.iter().filter(|r| r.status == 409 && r.code() == "insufficient_stock").count();
    assert_eq!((placed, refused), (5, 15), "{:?}", statuses(&rs));
    assert_eq!(stock(&app, lamp).await, 0);
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 5);
    assert_eq!(app.count("SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM order_items").await, 5);
    assert_eq!(app.count("SELECT count(*) FROM products WHERE quantity < 0").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_cancels_restock_once() {
    let s = shop().await;
    let (ann, clerk, mug, pot) = (s.ann.clone(), s.clerk.clone(), s.mug, s.pot);
    let app = Arc::new(s.app);
    assert_eq!(order(&app, &ann).await.status, 201);
    assert_eq!((stock(&app, mug).await, stock(&app, pot).await), (8, 2));
    let rs = parallel(&app, 6, |app, i| {
        let (ann, clerk) = (ann.clone(), clerk.clone());
        async move {
            match i % 3 {
                0 => app.post("/api/orders/1/cancel", &Req::bearer(&ann), json!({})).await,
                1 => app.post("/api/orders/1/cancel", &Req::bearer(&clerk), json!({})).await,
                _ => set_status(&app, &clerk, 1, "cancelled").await,
            }
        }
    })
    .await;
    let ok = rs.iter().filter(|r| r.status == 200).count();
    let refused = rs.iter().filter(|r| r.status == 409 && r.code() == "invalid_transition").count();
    assert_eq!((ok, refused), (1, 5), "{:?}", statuses(&rs));
    assert_eq!((stock(&app, mug).await, stock(&app, pot).await), (10, 3), "restocked exactly once");
}

/// Many users browsing, filling carts, ordering, cancelling and a clerk editing stock, all at
/// once: nothing may fail with a 500 (no "database is locked"), and stock stays consistent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_request_fails_under_parallel_load() {
    let app = Arc::new(TestApp::new().await);
    let clerk = clerk(&app).await;
    let mut products = Vec::new();
    for i in 0..4 {
        products.push(product(&app, &clerk, &format!("Item {i}"), 100 + i, 25).await);
    }
    let mut users = Vec::new();
    for i in 0..8 {
        users.push(app.signup(&format!("load{i}")).await.0);
    }
    let (users, products, clerk) = (Arc::new(users), Arc::new(products), Arc::new(clerk));
    let rs = parallel(&app, 200, |app, i| {
        let (users, products, clerk) = (users.clone(), products.clone(), clerk.clone());
        async move {
            let user = &users[i % users.len()];
            let p = products[i % products.len()];
            match i % 10 {
                0..=2 => add_to_cart(&app, user, p, 1 + (i as i64 % 3)).await,
                3 => order(&app, user).await,
                4 => order_with_key(&app, user, &format!("k{}", i % 20)).await,
                5 => app.get("/api/products?sort=price&inStock=true", &Req::default()).await,
                6 => app.get("/api/cart", &Req::bearer(user)).await,
                7 => {
                    app.post(&format!("/api/orders/{}/cancel", i % 15 + 1), &Req::bearer(user), json!({}))
                        .await
                }
                8 => app.get("/api/users/me/orders", &Req::bearer(user)).await,
                _ => {
                    app.patch(&format!("/api/products/{p}"), &Req::bearer(&clerk), json!({"price": 200 + i}))
                        .await
                }
            }
        }
    })
    .await;
    for r in &rs {
        assert!(r.status < 500, "a request failed under load: {} {}", r.status, r.body);
        assert!(matches!(r.status, 200 | 201 | 400 | 404 | 409), "unexpected {} {}", r.status, r.body);
    }
    assert!(rs.iter().filter(|r| r.status == 201).count() > 0, "some orders were placed");
    assert_eq!(app.count("SELECT count(*) FROM products WHERE quantity < 0").await, 0);
    // Every unit is either in stock or in an order that was not cancelled.
    let held = app
        .count(
            "SELECT CAST(COALESCE(SUM(oi.quantity), 0) AS BIGINT) FROM order_items oi
             JOIN orders o ON o.id = oi.order_id WHERE o.status != 'cancelled'",
        )
        .await;
    assert_eq!(app.count("SELECT CAST(SUM(quantity) AS BIGINT) FROM products").await + held, 4 * 25);
}
