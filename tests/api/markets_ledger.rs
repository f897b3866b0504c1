//! §12 the ledger through the real app: transactions and their routes, the average-cost figures,
//! refusals that leave everything as it was, the first design's holding routes as transactions,
//! price history and its import, the value over time, and CSV import and export. On both
//! engines.

use serde_json::{json, Value};

use crate::helpers::{assert_error, fields, Req, TestApp};
use crate::markets_assets::{asset, writer};

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

async fn record(app: &TestApp, who: &Req, body: Value) -> Value {
    let r = app.post("/api/portfolio/transactions", who, body.clone()).await;
    assert_eq!(r.status, 201, "{body}: {}", r.body);
    r.body
}

fn day(d: u32) -> String {
    format!("2026-01-{d:02}T00:00:00.000Z")
}

async fn portfolio(app: &TestApp, who: &Req) -> Value {
    let r = app.get("/api/portfolio", who).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

async fn investor(app: &TestApp, name: &str) -> Req {
    Req::bearer(&app.signup(name).await.0)
}

#[rocket::async_test]
async fn buys_sells_dividends_and_fees_make_the_average_cost_figures() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let acme = asset(&app, &w, "ACME", 12_500, 1, "A", "X").await;
    let ann = investor(&app, "ann").await;
    let a = id(&acme);
    let buy = record(&app, &ann, json!({"assetId": a, "type": "buy", "quantity": 10, "price": 10_000, "fee": 500, "at": day(2), "note": "first lot"})).await;
    record(&app, &ann, json!({"assetId": a, "type": "buy", "quantity": 10, "price": 12_000, "at": day(3)}))
        .await;
    record(
        &app,
        &ann,
        json!({"assetId": a, "type": "sell", "quantity": 5, "price": 13_000, "fee": 200, "at": day(4)}),
    )
    .await;
    let dividend =
        record(&app, &ann, json!({"assetId": a, "type": "dividend", "amount": 750, "at": day(5)})).await;
    record(
        &app,
        &ann,
        json!({"assetId": a, "type": "fee", "amount": 100, "at": "2026-01-06T01:00:00+01:00"}),
    )
    .await;

    let mut keys: Vec<&String> = buy.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["amount", "asset", "at", "createdAt", "fee", "id", "note", "price", "quantity", "type"]
    );
    assert_eq!(buy["asset"], json!({"id": a, "symbol": "ACME", "name": "ACME Corp"}));
    assert_eq!(
        (
            &buy["type"],
            &buy["quantity"],
            &buy["price"],
            &buy["fee"],
            &buy["amount"],
            &buy["at"],
            &buy["note"]
        ),
        (
            &json!("buy"),
            &json!(10),
            &json!(10_000),
            &json!(500),
            &Value::Null,
            &json!(day(2)),
            &json!("first lot")
        )
    );
    assert_eq!(
        (&dividend["quantity"], &dividend["price"], &dividend["fee"], &dividend["amount"]),
        (&Value::Null, &Value::Null, &Value::Null, &json!(750))
    );

    // 20 bought for 2,205.00; 5 sold take a quarter of it (551.25) and bring 648.00 after the fee:
    // realized 96.75, less the 1.00 fee = 95.75. 15 left cost 1,653.75, worth 15 × 125.00.
    let p = portfolio(&app, &ann).await;
    let h = &p["holdings"][0];
    assert_eq!(
        h,
        &json!({"id": h["id"], "asset": acme, "quantity": 15, "costBasis": 165_375, "marketValue": 187_500,
                "profit": 22_125, "percentage": 13.38, "realizedProfit": 9_575, "dividends": 750,
                "totalReturn": 32_450})
    );
    assert_eq!(
        p["totals"],
        json!({"costBasis": 165_375, "marketValue": 187_500, "profit": 22_125, "percentage": 13.38,
               "realizedProfit": 9_575, "dividends": 750, "totalReturn": 32_450})
    );
    assert_eq!(app.get(&format!("/api/portfolio/{}", id(h)), &ann).await.body, *h);

    let list = app.get("/api/portfolio/transactions", &ann).await;
    assert_eq!(list.status, 200);
    let types: Vec<&str> =
        list.body["items"].as_array().unwrap().iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["fee", "dividend", "sell", "buy", "buy"], "newest first");
    assert_eq!(list.body["items"][0]["at"], "2026-01-06T00:00:00.000Z", "stored in UTC");
    assert_eq!(list.body["totalItems"], 5);
    let buys = app.get("/api/portfolio/transactions?type=buy", &ann).await.body;
    assert_eq!(buys["totalItems"], 2);
    let window =
        app.get(&format!("/api/portfolio/transactions?from={}&to={}", day(3), day(4)), &ann).await.body;
    assert_eq!(window["totalItems"], 2, "inclusive bounds");
    let page = app.get("/api/portfolio/transactions?perPage=2&page=3", &ann).await.body;
    assert_eq!((page["totalPages"].clone(), page["items"][0]["id"].clone()), (json!(3), buy["id"].clone()));
    assert_eq!(
        app.get(&format!("/api/portfolio/transactions?assetId={}", a + 1), &ann).await.body["totalItems"],
        0
    );
    let r = app.get("/api/portfolio/transactions?type=gift&from=soon&assetId=x", &ann).await;
    assert_error(&r, 400, "validation_failed");
    let mut bad: Vec<&String> = fields(&r).keys().collect();
    bad.sort();
    assert_eq!(bad, ["assetId", "from", "type"]);
}

#[rocket::async_test]
async fn a_change_that_would_oversell_at_any_time_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let acme = id(&asset(&app, &w, "ACME", 1_000, 1, "A", "X").await);
    let ann = investor(&app, "ann").await;
    let buy = record(
        &app,
        &ann,
        json!({"assetId": acme, "type": "buy", "quantity": 10, "price": 900, "at": day(2)}),
    )
    .await;
    let sell = record(
        &app,
        &ann,
        json!({"assetId": acme, "type": "sell", "quantity": 8, "price": 1_100, "at": day(5)}),
    )
    .await;
    let before = portfolio(&app, &ann).await;
    let count = || app.count("SELECT count(*) FROM transactions");

    let refused = [
        // Only 2 are left after the sell of 8.
        app.post(
            "/api/portfolio/transactions",
            &ann,
            json!({"assetId": acme, "type": "sell", "quantity": 3, "price": 1, "at": day(6)}),
        )
        .await,
        // Before it, 7 would be left for a sell of 8.
        app.post(
            "/api/portfolio/transactions",
            &ann,
            json!({"assetId": acme, "type": "sell", "quantity": 3, "price": 1, "at": day(3)}),
        )
        .await,
        // Nothing is held before the buy.
        app.post(
            "/api/portfolio/transactions",
            &ann,
            json!({"assetId": acme, "type": "sell", "quantity": 1, "price": 1, "at": day(1)}),
        )
        .await,
        app.patch(&format!("/api/portfolio/transactions/{}", id(&buy)), &ann, json!({"quantity": 7})).await,
        app.patch(&format!("/api/portfolio/transactions/{}", id(&buy)), &ann, json!({"at": day(6)})).await,
        app.patch(&format!("/api/portfolio/transactions/{}", id(&sell)), &ann, json!({"quantity": 11})).await,
        app.patch(
            &format!("/api/portfolio/transactions/{}", id(&buy)),
            &ann,
            json!({"type": "dividend", "amount": 5}),
        )
        .await,
        app.delete(&format!("/api/portfolio/transactions/{}", id(&buy)), &ann).await,
    ];
    for r in &refused {
        assert_error(r, 409, "insufficient_holding");
    }
    assert_eq!(count().await, 2);
    assert_eq!(portfolio(&app, &ann).await, before, "nothing changed");

    // Moving the buy to another asset would leave the sell with nothing.
    let other = id(&asset(&app, &w, "OTHR", 500, 1, "A", "X").await);
    let r = app
        .patch(&format!("/api/portfolio/transactions/{}", id(&buy)), &ann, json!({"assetId": other}))
        .await;
    assert_error(&r, 409, "insufficient_holding");
    assert_eq!(portfolio(&app, &ann).await, before);

    // Undone in order, the holding goes, and the asset may be deleted again.
    assert_eq!(app.delete(&format!("/api/portfolio/transactions/{}", id(&sell)), &ann).await.status, 204);
    assert_eq!(app.delete(&format!("/api/portfolio/transactions/{}", id(&buy)), &ann).await.status, 204);
    assert_eq!(portfolio(&app, &ann).await["holdings"], json!([]));
    assert_eq!(app.delete(&format!("/api/assets/{acme}"), &w).await.status, 204);
}

#[rocket::async_test]
async fn transactions_are_validated_and_only_their_owner_sees_them() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let acme = id(&asset(&app, &w, "ACME", 1_000, 1, "A", "X").await);
    let ann = investor(&app, "ann").await;
    let bob = investor(&app, "bob").await;
    let post = |body: Value| app.post("/api/portfolio/transactions", &ann, body);

    let r = post(json!({})).await;
    assert_eq!(fields(&r).keys().collect::<Vec<_>>(), ["assetId", "type"]);
    let r = post(json!({"assetId": acme, "type": "gift"})).await;
    assert!(
        fields(&r)["type"].as_str().unwrap().starts_with("must be one of: buy, sell, dividend, fee"),
        "{}",
        r.body
    );
    let r = post(json!({"assetId": acme, "type": "buy", "quantity": 0, "amount": 5})).await;
    let f = fields(&r);
    assert_eq!(
        (f["quantity"].as_str(), f["price"].as_str()),
        (Some("must be a whole number between 1 and 1000000000"), Some("is required for a buy"))
    );
    assert_eq!(f["amount"], "is not used by a buy");
    let r = post(json!({"assetId": acme, "type": "dividend", "quantity": 1, "price": 5})).await;
    let f = fields(&r);
    assert_eq!(
        (f["amount"].as_str(), f["quantity"].as_str()),
        (Some("is required for a dividend"), Some("is not used by a dividend"))
    );
    let r = post(json!({"assetId": acme, "type": "buy", "quantity": 1, "price": 5, "fee": -1})).await;
    assert!(fields(&r).contains_key("fee"), "{}", r.body);
    let r = post(json!({"assetId": acme, "type": "fee", "amount": 5, "at": "2999-01-01T00:00:00Z"})).await;
    assert_eq!(fields(&r)["at"], "must not be in the future");
    let r = post(json!({"assetId": acme, "type": "fee", "amount": 5, "at": "yesterday"})).await;
    assert!(fields(&r).contains_key("at"));
    let r = post(json!({"assetId": acme, "type": "fee", "amount": 5, "note": "x".repeat(501)})).await;
    assert_eq!(fields(&r)["note"], "must be at most 500 characters");
    assert_error(&post(json!({"assetId": 999_999, "type": "fee", "amount": 5})).await, 404, "not_found");
    assert_eq!(app.count("SELECT count(*) FROM transactions").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM holdings").await, 0, "no empty holding is left behind");

    let t = record(&app, &ann, json!({"assetId": acme, "type": "fee", "amount": 5})).await;
    let at = chrono::DateTime::parse_from_rfc3339(t["at"].as_str().unwrap()).unwrap();
    assert!((chrono::Utc::now() - at.with_timezone(&chrono::Utc)).num_seconds().abs() < 5, "default now");
    let path = format!("/api/portfolio/transactions/{}", id(&t));
    assert_error(&app.get(&path, &bob).await, 404, "not_found");
    assert_error(&app.patch(&path, &bob, json!({"note": "mine"})).await, 404, "not_found");
    assert_error(&app.delete(&path, &bob).await, 404, "not_found");
    assert_eq!(app.get("/api/portfolio/transactions", &bob).await.body["totalItems"], 0);
    assert_error(&app.get("/api/portfolio/transactions", &Req::default()).await, 401, "unauthorized");
    assert_eq!(app.get(&path, &ann).await.body, t);
}

#[rocket::async_test]
async fn a_patch_changes_only_what_is_sent() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let acme = id(&asset(&app, &w, "ACME", 1_000, 1, "A", "X").await);
    let other = id(&asset(&app, &w, "OTHR", 2_000, 1, "A", "X").await);
    let ann = investor(&app, "ann").await;
    let t = record(&app, &ann, json!({"assetId": acme, "type": "buy", "quantity": 4, "price": 900, "fee": 10, "at": day(2), "note": "lot"})).await;
    let path = format!("/api/portfolio/transactions/{}", id(&t));

    let r = app.patch(&path, &ann, json!({"note": "renamed"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut expected = t.clone();
    expected["note"] = json!("renamed");
    assert_eq!(r.body, expected);
    let r = app.patch(&path, &ann, json!({"note": null, "price": 950})).await;
    assert_eq!(
        (r.body["note"].clone(), r.body["price"].clone(), r.body["fee"].clone()),
        (Value::Null, json!(950), json!(10))
    );
    // A new type drops the figures it does not use.
    let r = app.patch(&path, &ann, json!({"type": "dividend", "amount": 300})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (&r.body["quantity"], &r.body["price"], &r.body["fee"], &r.body["amount"]),
        (&Value::Null, &Value::Null, &Value::Null, &json!(300))
    );
    // Moved to another asset: the first holding, now empty, goes.
    let r =
        app.patch(&path, &ann, json!({"assetId": other, "type": "buy", "quantity": 2, "price": 100})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["asset"]["symbol"], "OTHR");
    let p = portfolio(&app, &ann).await;
    assert_eq!(p["holdings"].as_array().unwrap().len(), 1);
    assert_eq!(
        (p["holdings"][0]["asset"]["symbol"].clone(), p["holdings"][0]["costBasis"].clone()),
        (json!("OTHR"), json!(200))
    );
    assert_eq!(app.delete(&format!("/api/assets/{acme}"), &w).await.status, 204);
    let r = app.patch(&path, &ann, json!({"type": "buy", "amount": 5})).await;
    assert_eq!(fields(&r)["amount"], "is not used by a buy");
}

#[rocket::async_test]
async fn the_first_designs_holding_routes_write_transactions() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let acme = id(&asset(&app, &w, "ACME", 500, 1, "A", "X").await);
    let ann = investor(&app, "ann").await;
    // 3 for 10.00 exactly: 3.33 each and 0.01 as the fee.
    let h =
        app.post("/api/portfolio", &ann, json!({"assetId": acme, "quantity": 3, "costBasis": 1_000})).await;
    assert_eq!(h.status, 201, "{}", h.body);
    assert_eq!(h.body["costBasis"], 1_000);
    let list = app.get("/api/portfolio/transactions", &ann).await.body;
    let t = &list["items"][0];
    assert_eq!(
        (&t["type"], &t["quantity"], &t["price"], &t["fee"]),
        (&json!("buy"), &json!(3), &json!(333), &json!(1))
    );
    // Trades recorded since, then the holding set as the first design sets it: one buy.
    record(&app, &ann, json!({"assetId": acme, "type": "sell", "quantity": 1, "price": 600})).await;
    let hid = id(&h.body);
    let r = app.patch(&format!("/api/portfolio/{hid}"), &ann, json!({"quantity": 4})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["quantity"].clone(), r.body["costBasis"].clone(), r.body["realizedProfit"].clone()),
        (json!(4), json!(667), json!(0))
    );
    let list = app.get("/api/portfolio/transactions", &ann).await.body;
    assert_eq!(list["totalItems"], 1);
    assert_eq!(list["items"][0]["at"], t["at"], "the position keeps its start");
    let r = app.patch(&format!("/api/portfolio/{hid}"), &ann, json!({"costBasis": 2_001})).await;
    assert_eq!((r.body["quantity"].clone(), r.body["costBasis"].clone()), (json!(4), json!(2_001)));
    assert_eq!(app.delete(&format!("/api/portfolio/{hid}"), &ann).await.status, 204);
    assert_eq!(app.get("/api/portfolio/transactions", &ann).await.body["totalItems"], 0);
    assert_error(&app.get(&format!("/api/portfolio/{hid}"), &ann).await, 404, "not_found");
}

#[rocket::async_test]
async fn a_sold_out_position_stays_listed_while_it_has_realized_profit() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let acme = id(&asset(&app, &w, "ACME", 500, 1, "A", "X").await);
    let ann = investor(&app, "ann").await;
    record(&app, &ann, json!({"assetId": acme, "type": "buy", "quantity": 2, "price": 100, "at": day(2)}))
        .await;
    record(&app, &ann, json!({"assetId": acme, "type": "sell", "quantity": 2, "price": 150, "at": day(3)}))
        .await;
    assert_eq!(app.post("/api/watchlist", &ann, json!({"assetId": acme})).await.status, 201);
    let p = portfolio(&app, &ann).await;
    let h = &p["holdings"][0];
    assert_eq!(
        (h["quantity"].clone(), h["costBasis"].clone(), h["realizedProfit"].clone(), h["percentage"].clone()),
        (json!(0), json!(0), json!(100), Value::Null)
    );
    assert_eq!(app.get("/api/watchlist", &ann).await.body[0]["invested"], false, "nothing is held now");
    assert_error(&app.delete(&format!("/api/assets/{acme}"), &w).await, 409, "asset_in_use");
}

#[rocket::async_test]
async fn every_price_change_is_history_and_a_csv_backfills_it() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let acme = asset(&app, &w, "ACME", 1_000, 1, "A", "X").await;
    let a = id(&acme);
    let anyone = Req::default();
    let history = |q: &str| {
        let path = format!("/api/assets/{a}/prices{q}");
        let (app, anyone) = (&app, &anyone);
        async move { app.get(&path, anyone).await }
    };
    let h = history("").await;
    assert_eq!(h.status, 200);
    assert_eq!(h.body, json!([{"at": acme["updatedAt"], "price": 1_000}]));
    assert_eq!(app.patch(&format!("/api/assets/{a}"), &w, json!({"name": "Acme"})).await.status, 200);
    assert_eq!(history("").await.body.as_array().unwrap().len(), 1, "a name is not a price");
    let p = app.patch(&format!("/api/assets/{a}"), &w, json!({"price": 1_200})).await.body;
    let bulk = app.put("/api/assets/prices", &w, json!([{"symbol": "ACME", "price": 1_300}])).await.body;
    let prices: Vec<i64> =
        history("").await.body.as_array().unwrap().iter().map(|p| p["price"].as_i64().unwrap()).collect();
    assert_eq!(prices, [1_000, 1_200, 1_300]);
    let at = |v: &Value| v["updatedAt"].as_str().unwrap().replace('+', "%2B");
    assert_eq!(
        history(&format!("?from={}&to={}", at(&p), at(&p))).await.body,
        json!([{"at": p["updatedAt"], "price": 1_200}])
    );
    assert_eq!(history(&format!("?from={}", at(&bulk[0]))).await.body.as_array().unwrap().len(), 1);
    assert_error(&history("?from=never").await, 400, "validation_failed");
    assert_error(&app.get("/api/assets/999/prices", &Req::default()).await, 404, "not_found");

    // Backfill: dated rows go into the history, all or nothing.
    let bad = "symbol,date,price\nACME,2026-01-02,9.50\nACME,2026-01-03,9.999\nNOPE,2026-01-04,1\nACME,2999-01-01,1\n";
    let r = app.post_csv("/api/assets/prices/import", &w, bad).await;
    assert_error(&r, 400, "validation_failed");
    let mut keys: Vec<&String> = fields(&r).keys().collect();
    keys.sort();
    assert_eq!(keys, ["[2].price", "[3].symbol", "[4].date"]);
    assert_eq!(history("").await.body.as_array().unwrap().len(), 3, "nothing was imported");
    let good = "Symbol,Date,Price\r\nacme,2026-01-02,9.50\r\nACME,2026-01-03T12:00:00Z,9.75\r\n";
    let r = app.post_csv("/api/assets/prices/import", &w, good).await;
    assert_eq!((r.status, r.body.clone()), (200, json!({"imported": 2})));
    let h = history("").await.body;
    assert_eq!(h[0], json!({"at": "2026-01-02T00:00:00.000Z", "price": 950}), "oldest first");
    assert_eq!(h[1], json!({"at": "2026-01-03T12:00:00.000Z", "price": 975}));
    assert_eq!(
        app.get(&format!("/api/assets/{a}"), &Req::default()).await.body["price"],
        1_300,
        "older prices leave the current one"
    );
    // Undated rows are prices as of now: the current price.
    let r = app.post_csv("/api/assets/prices/import", &w, "symbol,price\nACME,14.25\n").await;
    assert_eq!(r.body, json!({"imported": 1}));
    assert_eq!(app.get(&format!("/api/assets/{a}"), &Req::default()).await.body["price"], 1_425);
    let h = history("").await.body;
    assert_eq!(h.as_array().unwrap().len(), 6);
    assert_eq!(h[5]["price"], 1_425);

    let reader = investor(&app, "rita").await;
    assert_error(&app.post_csv("/api/assets/prices/import", &reader, good).await, 403, "forbidden");
    assert_error(&app.post("/api/assets/prices/import", &w, json!({})).await, 415, "unsupported_media_type");
    let r = app.post_csv("/api/assets/prices/import", &w, "ticker,price\nACME,1\n").await;
    assert_eq!(fields(&r)["header"], "must be symbol,date,price or symbol,price");
}

#[rocket::async_test]
async fn the_value_over_time_has_one_point_per_day() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let a = id(&asset(&app, &w, "ACME", 300, 1, "A", "X").await);
    let b = id(&asset(&app, &w, "BETA", 50, 1, "A", "X").await);
    let csv = "symbol,date,price\nACME,2026-01-01T10:00:00Z,1.00\nACME,2026-01-03T23:59:59.999Z,2.00\nBETA,2026-01-02,0.40\n";
    assert_eq!(app.post_csv("/api/assets/prices/import", &w, csv).await.status, 200);
    let ann = investor(&app, "ann").await;
    record(&app, &ann, json!({"assetId": a, "type": "buy", "quantity": 2, "price": 100, "fee": 5, "at": "2026-01-02T15:00:00Z"})).await;
    record(&app, &ann, json!({"assetId": b, "type": "buy", "quantity": 10, "price": 40, "at": day(3)})).await;
    record(&app, &ann, json!({"assetId": a, "type": "sell", "quantity": 1, "price": 250, "at": day(4)}))
        .await;

    let r = app.get("/api/portfolio/history?from=2026-01-01&to=2026-01-04", &ann).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body,
        json!([
            {"date": "2026-01-01", "marketValue": 0, "costBasis": 0},
            {"date": "2026-01-02", "marketValue": 200, "costBasis": 205},
            {"date": "2026-01-03", "marketValue": 400 + 400, "costBasis": 205 + 400},
            {"date": "2026-01-04", "marketValue": 200 + 400, "costBasis": 103 + 400},
        ])
    );
    let year = app.get("/api/portfolio/history", &ann).await.body;
    let points = year.as_array().unwrap();
    assert_eq!(points.len(), 365);
    assert_eq!(points[364]["date"], chrono::Utc::now().format("%Y-%m-%d").to_string());
    // Today the holdings are worth today's prices: 1 ACME at 3.00, 10 BETA at 0.50.
    assert_eq!(points[364]["marketValue"], 300 + 500);
    for bad in ["from=2026-02-01&to=2026-01-01", "from=1990-01-01&to=2026-01-01", "to=tomorrow"] {
        assert_error(
            &app.get(&format!("/api/portfolio/history?{bad}"), &ann).await,
            400,
            "validation_failed",
        );
    }
    let other = investor(&app, "bob").await;
    let empty = app.get("/api/portfolio/history?from=2026-01-01&to=2026-01-02", &other).await.body;
    assert_eq!(
        empty,
        json!([{"date": "2026-01-01", "marketValue": 0, "costBasis": 0}, {"date": "2026-01-02", "marketValue": 0, "costBasis": 0}])
    );
}

#[rocket::async_test]
async fn transactions_go_out_and_back_in_as_csv_exactly() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    asset(&app, &w, "ACME", 1_000, 1, "A", "X").await;
    asset(&app, &w, "BRK.B", 2_000, 1, "A", "X").await;
    let ann = investor(&app, "ann").await;
    let csv = "date,symbol,type,quantity,price,fee,amount,note\n\
        2026-01-02,ACME,buy,10,9.99,1.5,,\"first, with \"\"quotes\"\"\"\n\
        2026-01-03T10:30:00.250+02:00,brk.b,BUY,3,100,,,\n\
        2026-01-04,ACME,sell,4,12.00,0.10,,\n\
        2026-01-05,ACME,dividend,,,,2.40,q4\n\
        2026-01-06,BRK.B,fee,,,,0.99,\n";
    let r = app.post_csv("/api/portfolio/transactions/import", &ann, csv).await;
    assert_eq!((r.status, r.body.clone()), (200, json!({"imported": 5})));
    let list = app.get("/api/portfolio/transactions?perPage=10", &ann).await.body;
    let first = list["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&first["price"], &first["fee"], &first["note"]),
        (&json!(999), &json!(150), &json!("first, with \"quotes\""))
    );
    assert_eq!(list["items"][3]["at"], "2026-01-03T08:30:00.250Z");

    let out = app.get("/api/portfolio/transactions.csv", &ann).await;
    assert_eq!(out.status, 200);
    assert!(out.header("content-type").unwrap().starts_with("text/csv"), "{:?}", out.headers);
    assert!(out.header("content-disposition").unwrap().contains("transactions.csv"));
    let text = out.body.as_str().unwrap().to_owned();
    assert_eq!(
        text,
        "date,symbol,type,quantity,price,fee,amount,note\r\n\
         2026-01-02T00:00:00.000Z,ACME,buy,10,9.99,1.50,,\"first, with \"\"quotes\"\"\"\r\n\
         2026-01-03T08:30:00.250Z,BRK.B,buy,3,100.00,0.00,,\r\n\
         2026-01-04T00:00:00.000Z,ACME,sell,4,12.00,0.10,,\r\n\
         2026-01-05T00:00:00.000Z,ACME,dividend,,,,2.40,q4\r\n\
         2026-01-06T00:00:00.000Z,BRK.B,fee,,,,0.99,\r\n"
    );
    // Round trip: another account imports the export and exports the same text, and values the
    // same portfolio.
    let bob = investor(&app, "bob").await;
    assert_eq!(
        app.post_csv("/api/portfolio/transactions/import", &bob, &text).await.body,
        json!({"imported": 5})
    );
    assert_eq!(app.get("/api/portfolio/transactions.csv", &bob).await.body.as_str().unwrap(), text);
    let (pa, pb) = (portfolio(&app, &ann).await, portfolio(&app, &bob).await);
    assert_eq!(pa["totals"], pb["totals"]);

    // Any bad row: nothing is imported, and each problem is named by row and column.
    let bad = "date,symbol,type,quantity,price,fee,amount\n\
        2026-01-07,ACME,gift,1,1,,\n\
        2026-01-07,ACME,buy,1,1.999,,\n\
        2026-01-07,NOPE,buy,1,1,,\n\
        ,ACME,buy,x,1,,\n\
        2026-01-07,ACME,dividend,1,,,1\n\
        2026-01-07,ACME\n";
    let r = app.post_csv("/api/portfolio/transactions/import", &bob, bad).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r).keys().collect::<Vec<_>>(), ["[6]"]);
    let r = app
        .post_csv("/api/portfolio/transactions/import", &bob, bad.trim_end().rsplit_once('\n').unwrap().0)
        .await;
    let mut keys: Vec<&String> = fields(&r).keys().collect();
    keys.sort();
    assert_eq!(keys, ["[1].type", "[2].price", "[3].symbol", "[4].date", "[4].quantity", "[5].quantity"]);
    // A sell beyond what is held, in the file: named by its row.
    let oversell = "date,symbol,type,quantity,price,fee,amount\n2026-01-08,ACME,buy,1,1,,\n2026-01-09,ACME,sell,99,1,,\n";
    let r = app.post_csv("/api/portfolio/transactions/import", &bob, oversell).await;
    assert_eq!(fields(&r)["[2].quantity"], "sells more units than the holding has at that time");
    let r = app.post_csv("/api/portfolio/transactions/import", &bob, "when,what\n").await;
    assert!(fields(&r)["header"]
        .as_str()
        .unwrap()
        .starts_with("must be date,symbol,type,quantity,price,fee,amount"));
    assert_eq!(app.get("/api/portfolio/transactions", &bob).await.body["totalItems"], 5, "nothing more");
    assert_error(
        &app.post("/api/portfolio/transactions/import", &bob, json!([])).await,
        415,
        "unsupported_media_type",
    );
}

/// A database from before the ledger, migrated: each holding became one buy of exactly its cost
/// basis, and each asset's price its first history point.
#[rocket::async_test]
async fn holdings_from_before_the_ledger_become_exact_buys() {
    use std::borrow::Cow;
    use stockroom::db::{Pool, Pools, POSTGRES_MIGRATOR, SQLITE_MIGRATOR};

    let dir = tempfile::tempdir().unwrap();
    let (database, before_ledger): (String, sqlx::migrate::Migrator) = match crate::postgres::server() {
        Some(pg) => {
            let url = crate::postgres::fresh_database(&pg).await;
            let old = POSTGRES_MIGRATOR.iter().filter(|m| m.version < 9).cloned().collect::<Vec<_>>();
            (url, sqlx::migrate::Migrator { migrations: Cow::Owned(old), ..sqlx::migrate::Migrator::DEFAULT })
        }
        None => {
            let old = SQLITE_MIGRATOR.iter().filter(|m| m.version < 8).cloned().collect::<Vec<_>>();
            let file = dir.path().join("old.db").to_string_lossy().into_owned();
            (
                file,
                sqlx::migrate::Migrator { migrations: Cow::Owned(old), ..sqlx::migrate::Migrator::DEFAULT },
            )
        }
    };
    let seed = [
        "INSERT INTO users (email, name, password_hash, role, permissions, is_active, created_at, updated_at, email_verified)
         VALUES ('old@example.com', 'Old', 'x', 'user', '', TRUE, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', TRUE)",
        "INSERT INTO assets (symbol, name, price, market_cap, rating_rank, updated_at)
         VALUES ('OLD', 'Old Co', 700, 1, 99, '2025-02-01T00:00:00.000Z')",
        "INSERT INTO holdings (user_id, asset_id, quantity, cost_basis, created_at, updated_at)
         VALUES (1, 1, 3, 1000, '2025-03-01T00:00:00.000Z', '2025-03-01T00:00:00.000Z')",
    ];
    if database.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(&database).await.unwrap();
        before_ledger.run(&pool).await.unwrap();
        for sql in seed {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        pool.close().await;
    } else {
        let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(&database).create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
        before_ledger.run(&pool).await.unwrap();
        for sql in seed {
            sqlx::query(&sql.replace("TRUE", "1")).execute(&pool).await.unwrap();
        }
        pool.close().await;
    }
    let pools = Pools::open(std::path::Path::new(&database), 2).await.unwrap();
    type Buy = (String, i64, i64, i64, String);
    let (tx, history): (Buy, (String, i64)) = match &pools.read {
        Pool::Sqlite(p) => (
            sqlx::query_as("SELECT type, quantity, price, fee, at FROM transactions")
                .fetch_one(p)
                .await
                .unwrap(),
            sqlx::query_as("SELECT at, price FROM price_history").fetch_one(p).await.unwrap(),
        ),
        Pool::Postgres(p) => (
            sqlx::query_as("SELECT type, quantity, price, fee, at FROM transactions")
                .fetch_one(p)
                .await
                .unwrap(),
            sqlx::query_as("SELECT at, price FROM price_history").fetch_one(p).await.unwrap(),
        ),
    };
    pools.close().await;
    assert_eq!(tx, ("buy".to_owned(), 3, 333, 1, "2025-03-01T00:00:00.000Z".to_owned()));
    assert_eq!(history, ("2025-02-01T00:00:00.000Z".to_owned(), 700));
}
