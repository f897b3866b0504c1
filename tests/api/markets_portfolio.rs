//! The watchlist and the portfolio: per-user data, valued live from current prices.

use serde_json::{json, Value};

use crate::helpers::{assert_error, fields, Req, TestApp, PASSWORD};
use crate::markets_assets::{asset, writer};

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

#[rocket::async_test]
async fn markets_watchlist_add_list_remove() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let a = asset(&app, &w, "AAA", 1_000, 10, "A", "X").await;
    let b = asset(&app, &w, "BBB", 2_000, 20, "B", "Y").await;
    let (tok, _) = app.signup("ann").await;
    let ann = Req::bearer(&tok);
    let (tok2, _) = app.signup("bob").await;
    let bob = Req::bearer(&tok2);

    assert_eq!(app.get("/api/watchlist", &ann).await.body, json!([]));
    let r = app.post("/api/watchlist", &ann, json!({"assetId": id(&b)})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body, json!({"asset": b, "invested": false, "addedAt": r.body["addedAt"]}));
    assert!(r.body["addedAt"].as_str().is_some_and(|t| t.ends_with('Z') && t.len() == 24));
    assert_eq!(app.post("/api/watchlist", &ann, json!({"assetId": id(&a)})).await.status, 201);

    // Duplicate, unknown asset, bad body.
    assert_error(&app.post("/api/watchlist", &ann, json!({"assetId": id(&b)})).await, 409, "already_exists");
    assert_error(&app.post("/api/watchlist", &ann, json!({"assetId": 9_999})).await, 404, "not_found");
    let r = app.post("/api/watchlist", &ann, json!({})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r)["assetId"], "is required");
    let r = app.post("/api/watchlist", &ann, json!({"assetId": "one"})).await;
    assert_error(&r, 400, "validation_failed");
    assert!(fields(&r).contains_key("assetId"));

    // Listed in the order added, with `invested` derived from the portfolio.
    let h =
        app.post("/api/portfolio", &ann, json!({"assetId": id(&a), "quantity": 2, "costBasis": 1_500})).await;
    assert_eq!(h.status, 201);
    let list = app.get("/api/watchlist", &ann).await;
    assert_eq!(list.status, 200);
    let rows: Vec<(&str, bool)> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["asset"]["symbol"].as_str().unwrap(), e["invested"].as_bool().unwrap()))
        .collect();
    assert_eq!(rows, [("BBB", false), ("AAA", true)]);
    assert_eq!(list.body[0].as_object().unwrap().len(), 3);
    assert_eq!(list.header("cache-control"), Some("no-store"));
    assert_eq!(app.delete(&format!("/api/portfolio/{}", id(&h.body)), &ann).await.status, 204);
    assert_eq!(app.get("/api/watchlist", &ann).await.body[1]["invested"], false);

    // Each user has their own list.
    assert_eq!(app.get("/api/watchlist", &bob).await.body, json!([]));
    assert_error(&app.delete(&format!("/api/watchlist/{}", id(&a)), &bob).await, 404, "not_found");
    assert_eq!(app.post("/api/watchlist", &bob, json!({"assetId": id(&a)})).await.status, 201);

    let r = app.delete(&format!("/api/watchlist/{}", id(&a)), &ann).await;
    assert_eq!((r.status, &r.body), (204, &Value::Null));
    assert_error(&app.delete(&format!("/api/watchlist/{}", id(&a)), &ann).await, 404, "not_found");
    let left: Vec<Value> = app.get("/api/watchlist", &ann).await.body.as_array().unwrap().clone();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["asset"]["symbol"], "BBB");
    assert_eq!(app.get("/api/watchlist", &bob).await.body.as_array().unwrap().len(), 1, "bob's entry stays");

    // Signed-in only.
    assert_error(&app.get("/api/watchlist", &Req::default()).await, 401, "unauthorized");
    assert_error(
        &app.post("/api/watchlist", &Req::default(), json!({"assetId": id(&a)})).await,
        401,
        "unauthorized",
    );
    assert_error(
        &app.delete(&format!("/api/watchlist/{}", id(&b)), &Req::default()).await,
        401,
        "unauthorized",
    );
}

/// The holding in `portfolio` for `symbol`.
fn holding<'a>(portfolio: &'a Value, symbol: &str) -> &'a Value {
    portfolio["holdings"].as_array().unwrap().iter().find(|h| h["asset"]["symbol"] == symbol).unwrap()
}

fn figures(h: &Value) -> (i64, i64, i64, Value) {
    (
        h["costBasis"].as_i64().unwrap(),
        h["marketValue"].as_i64().unwrap(),
        h["profit"].as_i64().unwrap(),
        h["percentage"].clone(),
    )
}

#[rocket::async_test]
async fn markets_portfolio_arithmetic_follows_prices() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let gain = asset(&app, &w, "GAIN", 12_345, 1, "A", "X").await;
    let loss = asset(&app, &w, "LOSS", 8_000, 1, "A", "X").await;
    let free = asset(&app, &w, "FREE", 1_000, 1, "A", "X").await;
    let (tok, _) = app.signup("ann").await;
    let ann = Req::bearer(&tok);

    let empty = app.get("/api/portfolio", &ann).await;
    assert_eq!(empty.status, 200);
    assert_eq!(
        empty.body,
        json!({"holdings": [], "totals": {"costBasis": 0, "marketValue": 0, "profit": 0, "percentage": null,
            "realizedProfit": 0, "dividends": 0, "totalReturn": 0}})
    );

    // 10 × 123.45 bought for 1,000.00: worth 1,234.50, +234.50, +23.45 %.
    let r = app
        .post("/api/portfolio", &ann, json!({"assetId": id(&gain), "quantity": 10, "costBasis": 100_000}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"id": r.body["id"], "asset": gain, "quantity": 10, "costBasis": 100_000, "marketValue": 123_450,
               "profit": 23_450, "percentage": 23.45, "realizedProfit": 0, "dividends": 0, "totalReturn": 23_450})
    );
    // 3 × 80.00 bought for 300.00: a loss of 60.00, −20 %.
    let r = app
        .post("/api/portfolio", &ann, json!({"assetId": id(&loss), "quantity": 3, "costBasis": 30_000}))
        .await;
    assert_eq!(figures(&r.body), (30_000, 24_000, -6_000, json!(-20.0)));
    // 5 × 10.00 received for free: no percentage.
    let r =
        app.post("/api/portfolio", &ann, json!({"assetId": id(&free), "quantity": 5, "costBasis": 0})).await;
    assert_eq!(figures(&r.body), (0, 5_000, 5_000, Value::Null));

    let p = app.get("/api/portfolio", &ann).await;
    assert_eq!(p.status, 200);
    assert_eq!(p.header("cache-control"), Some("no-store"));
    let order: Vec<&str> = p.body["holdings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["asset"]["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["FREE", "GAIN", "LOSS"], "by symbol");
    assert_eq!(figures(holding(&p.body, "GAIN")), (100_000, 123_450, 23_450, json!(23.45)));
    assert_eq!(figures(holding(&p.body, "LOSS")), (30_000, 24_000, -6_000, json!(-20.0)));
    assert_eq!(figures(holding(&p.body, "FREE")), (0, 5_000, 5_000, Value::Null));
    // Totals: 130,000 paid, 152,450 worth, +22,450 = +17.269...% → 17.27.
    assert_eq!(
        p.body["totals"],
        json!({"costBasis": 130_000, "marketValue": 152_450, "profit": 22_450, "percentage": 17.27,
               "realizedProfit": 0, "dividends": 0, "totalReturn": 22_450})
    );

    // A price update between two reads changes the figures; nothing about the holding is stored.
    let r = app
        .put(
            "/api/assets/prices",
            &w,
            json!([{"symbol": "GAIN", "price": 9_000}, {"symbol": "FREE", "price": 0}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = app.get("/api/portfolio", &ann).await;
    // 10 × 90.00 = 900.00 against 1,000.00: −100.00, −10 %.
    assert_eq!(figures(holding(&p.body, "GAIN")), (100_000, 90_000, -10_000, json!(-10.0)));
    assert_eq!(holding(&p.body, "GAIN")["asset"]["price"], 9_000);
    assert_eq!(figures(holding(&p.body, "FREE")), (0, 0, 0, Value::Null));
    // 130,000 paid, 114,000 worth: −16,000 = −12.307...% → −12.31.
    assert_eq!(
        p.body["totals"],
        json!({"costBasis": 130_000, "marketValue": 114_000, "profit": -16_000, "percentage": -12.31,
               "realizedProfit": 0, "dividends": 0, "totalReturn": -16_000})
    );

    // Rounding of an awkward ratio: 1 × 0.01 paid 0.03 → −66.666...% → −66.67.
    let odd = asset(&app, &w, "ODD", 1, 1, "A", "X").await;
    let r =
        app.post("/api/portfolio", &ann, json!({"assetId": id(&odd), "quantity": 1, "costBasis": 3})).await;
    assert_eq!(figures(&r.body), (3, 1, -2, json!(-66.67)));

    // The largest inputs allowed are exact, not overflowing.
    let big = asset(&app, &w, "BIG", 1_000_000_000, 1, "A", "X").await;
    let (tok2, _) = app.signup("rich").await;
    let rich = Req::bearer(&tok2);
    let r = app
        .post("/api/portfolio", &rich, json!({"assetId": id(&big), "quantity": 1_000_000_000, "costBasis": 1_000_000_000_000_000_000_i64}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(figures(&r.body), (1_000_000_000_000_000_000, 1_000_000_000_000_000_000, 0, json!(0.0)));
}

#[rocket::async_test]
async fn markets_holdings_create_update_delete() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let a = asset(&app, &w, "AAA", 2_500, 1, "A", "X").await;
    let (tok, _) = app.signup("ann").await;
    let ann = Req::bearer(&tok);

    let r =
        app.post("/api/portfolio", &ann, json!({"assetId": id(&a), "quantity": 4, "costBasis": 8_000})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let hid = id(&r.body);
    assert_eq!(r.body.as_object().unwrap().len(), 10, "{}", r.body);
    assert_eq!(app.get(&format!("/api/portfolio/{hid}"), &ann).await.body, r.body);

    // One holding per asset.
    let r = app.post("/api/portfolio", &ann, json!({"assetId": id(&a), "quantity": 1, "costBasis": 1})).await;
    assert_error(&r, 409, "already_exists");
    assert_error(
        &app.post("/api/portfolio", &ann, json!({"assetId": 424_242, "quantity": 1, "costBasis": 1})).await,
        404,
        "not_found",
    );

    // Validation: every field at once, then each kind of bad value.
    let r = app.post("/api/portfolio", &ann, json!({})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(
        Value::Object(fields(&r).clone()),
        json!({"assetId": "is required", "quantity": "is required", "costBasis": "is required"})
    );
    for (body, field) in [
        (json!({"assetId": id(&a), "quantity": 0, "costBasis": 1}), "quantity"),
        (json!({"assetId": id(&a), "quantity": -2, "costBasis": 1}), "quantity"),
        (json!({"assetId": id(&a), "quantity": 1.5, "costBasis": 1}), "quantity"),
        (json!({"assetId": id(&a), "quantity": 1_000_000_001, "costBasis": 1}), "quantity"),
        (json!({"assetId": id(&a), "quantity": 1, "costBasis": -1}), "costBasis"),
        (json!({"assetId": id(&a), "quantity": 1, "costBasis": 12.34}), "costBasis"),
        (json!({"assetId": id(&a), "quantity": 1, "costBasis": "100"}), "costBasis"),
        (json!({"assetId": id(&a), "quantity": 1, "costBasis": u64::MAX}), "costBasis"),
    ] {
        let r = app.post("/api/portfolio", &ann, body.clone()).await;
        assert_error(&r, 400, "validation_failed");
        assert_eq!(fields(&r).keys().collect::<Vec<_>>(), [field], "{body}: {}", r.body);
    }

    // PATCH changes what is sent and revalues.
    let r = app.patch(&format!("/api/portfolio/{hid}"), &ann, json!({"quantity": 10})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(figures(&r.body), (8_000, 25_000, 17_000, json!(212.5)));
    assert_eq!(r.body["quantity"], 10);
    let r = app.patch(&format!("/api/portfolio/{hid}"), &ann, json!({"costBasis": 0})).await;
    assert_eq!(figures(&r.body), (0, 25_000, 25_000, Value::Null));
    let r =
        app.patch(&format!("/api/portfolio/{hid}"), &ann, json!({"quantity": 2, "costBasis": 6_000})).await;
    assert_eq!(figures(&r.body), (6_000, 5_000, -1_000, json!(-16.67)));
    let r = app.patch(&format!("/api/portfolio/{hid}"), &ann, json!({})).await;
    assert_eq!((r.status, &r.body["quantity"]), (200, &json!(2)));
    let r = app.patch(&format!("/api/portfolio/{hid}"), &ann, json!({"quantity": 0, "costBasis": -5})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r).len(), 2);
    assert_error(&app.patch("/api/portfolio/999", &ann, json!({"quantity": 1})).await, 404, "not_found");

    // Another user's holding is 404 for every verb, and stays as it was.
    let (tok2, _) = app.signup("eve").await;
    let eve = Req::bearer(&tok2);
    assert_error(&app.get(&format!("/api/portfolio/{hid}"), &eve).await, 404, "not_found");
    assert_error(
        &app.patch(&format!("/api/portfolio/{hid}"), &eve, json!({"quantity": 99})).await,
        404,
        "not_found",
    );
    assert_error(&app.delete(&format!("/api/portfolio/{hid}"), &eve).await, 404, "not_found");
    assert_eq!(app.get("/api/portfolio", &eve).await.body["holdings"], json!([]));
    // Eve may hold the same asset herself.
    assert_eq!(
        app.post("/api/portfolio", &eve, json!({"assetId": id(&a), "quantity": 1, "costBasis": 1}))
            .await
            .status,
        201
    );
    assert_eq!(app.get(&format!("/api/portfolio/{hid}"), &ann).await.body["quantity"], 2);

    // Signed-in only.
    let anon = Req::default();
    assert_error(&app.get("/api/portfolio", &anon).await, 401, "unauthorized");
    assert_error(&app.get(&format!("/api/portfolio/{hid}"), &anon).await, 401, "unauthorized");
    assert_error(
        &app.post("/api/portfolio", &anon, json!({"assetId": id(&a), "quantity": 1, "costBasis": 1})).await,
        401,
        "unauthorized",
    );
    assert_error(
        &app.patch(&format!("/api/portfolio/{hid}"), &anon, json!({"quantity": 1})).await,
        401,
        "unauthorized",
    );
    assert_error(&app.delete(&format!("/api/portfolio/{hid}"), &anon).await, 401, "unauthorized");

    let r = app.delete(&format!("/api/portfolio/{hid}"), &ann).await;
    assert_eq!((r.status, &r.body), (204, &Value::Null));
    assert_error(&app.delete(&format!("/api/portfolio/{hid}"), &ann).await, 404, "not_found");
    assert_error(&app.get(&format!("/api/portfolio/{hid}"), &ann).await, 404, "not_found");
    assert_eq!(app.get("/api/portfolio", &ann).await.body["holdings"], json!([]));
    // Ann may now add it again.
    assert_eq!(
        app.post("/api/portfolio", &ann, json!({"assetId": id(&a), "quantity": 1, "costBasis": 1}))
            .await
            .status,
        201
    );
}

#[rocket::async_test]
async fn markets_deleting_a_user_removes_their_watchlist_and_holdings() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let a = asset(&app, &w, "AAA", 100, 1, "A", "X").await;
    let (tok, _) = app.signup("ann").await;
    let ann = Req::bearer(&tok);
    assert_eq!(app.post("/api/watchlist", &ann, json!({"assetId": id(&a)})).await.status, 201);
    assert_eq!(
        app.post("/api/portfolio", &ann, json!({"assetId": id(&a), "quantity": 1, "costBasis": 1}))
            .await
            .status,
        201
    );
    assert_error(&app.delete(&format!("/api/assets/{}", id(&a)), &w).await, 409, "asset_in_use");

    let r = app
        .request(rocket::http::Method::Delete, "/api/users/me", &ann, Some(json!({"password": PASSWORD})))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(app.count("SELECT count(*) FROM watchlist").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM holdings").await, 0);
    // Nobody holds the asset any more.
    assert_eq!(app.delete(&format!("/api/assets/{}", id(&a)), &w).await.status, 204);
}
