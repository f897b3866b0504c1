//! Assets: management under assets:write, the public screener, and the bulk price update.

use serde_json::{json, Value};

use crate::helpers::{assert_error, fields, Req, TestApp};

fn is_timestamp(v: &Value) -> bool {
    let s = v.as_str().unwrap_or_default();
    chrono::DateTime::parse_from_rfc3339(s).is_ok() && s.ends_with('Z') && s.len() == 24
}

/// A user holding only assets:write.
pub async fn writer(app: &TestApp) -> Req {
    Req::bearer(&app.user_with("wanda", "user", &["assets:write"]).await.0)
}

/// Creates an asset and returns it.
pub async fn asset(
    app: &TestApp,
    w: &Req,
    symbol: &str,
    price: i64,
    market_cap: i64,
    rating: &str,
    sector: &str,
) -> Value {
    let r = app
        .post(
            "/api/assets",
            w,
            json!({"symbol": symbol, "name": format!("{symbol} Corp"), "price": price, "marketCap": market_cap,
                   "rating": rating, "sector": sector}),
        )
        .await;
    assert_eq!(r.status, 201, "creating {symbol}: {}", r.body);
    r.body
}

async fn symbols(app: &TestApp, query: &str) -> Vec<String> {
    let r = app.get(&format!("/api/assets?{query}"), &Req::default()).await;
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    r.body["items"].as_array().unwrap().iter().map(|a| a["symbol"].as_str().unwrap().to_owned()).collect()
}

#[rocket::async_test]
async fn markets_asset_create_get_patch_delete() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let r = app
        .post(
            "/api/assets",
            &w,
            json!({"symbol": " brk.b ", "name": "  Berkshire Hathaway ", "price": 47_905, "marketCap": 1_030_000_000_000_i64,
                   "rating": "aa", "sector": "Financials", "ignored": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.body.clone();
    assert!(is_timestamp(&created["updatedAt"]), "{created}");
    assert_eq!(
        created,
        json!({"id": created["id"], "symbol": "BRK.B", "name": "Berkshire Hathaway", "price": 47_905,
               "marketCap": 1_030_000_000_000_i64, "rating": "AA", "sector": "Financials",
               "updatedAt": created["updatedAt"]})
    );
    let id = created["id"].as_i64().unwrap();

    // Public read, no token needed.
    let r = app.get(&format!("/api/assets/{id}"), &Req::default()).await;
    assert_eq!((r.status, &r.body), (200, &created));

    // Optional fields may be left out (null) and blank means none.
    let r = app
        .post(
            "/api/assets",
            &w,
            json!({"symbol": "x", "name": "X", "price": 0, "marketCap": 0, "sector": " "}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        (&r.body["rating"], &r.body["sector"], &r.body["price"]),
        (&Value::Null, &Value::Null, &json!(0))
    );

    // PATCH changes only what is sent; rating and sector can be cleared.
    let r = app
        .patch(&format!("/api/assets/{id}"), &w, json!({"price": 48_000, "rating": null, "symbol": "brk-b"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["symbol"], "BRK-B");
    assert_eq!(r.body["price"], 48_000);
    assert_eq!(r.body["rating"], Value::Null);
    assert_eq!(r.body["name"], "Berkshire Hathaway");
    assert_eq!(r.body["sector"], "Financials");
    assert_eq!(r.body["marketCap"], 1_030_000_000_000_i64);
    assert!(r.body["updatedAt"].as_str() >= created["updatedAt"].as_str());
    let r = app.patch(&format!("/api/assets/{id}"), &w, json!({})).await;
    assert_eq!((r.status, &r.body["symbol"]), (200, &json!("BRK-B")));
    let r = app.get(&format!("/api/assets/{id}"), &Req::default()).await;
    assert_eq!(r.body["price"], 48_000);

    let r = app.delete(&format!("/api/assets/{id}"), &w).await;
    assert_eq!((r.status, &r.body), (204, &Value::Null));
    assert_error(&app.get(&format!("/api/assets/{id}"), &Req::default()).await, 404, "not_found");
    assert_error(&app.delete(&format!("/api/assets/{id}"), &w).await, 404, "not_found");
    assert_error(&app.patch(&format!("/api/assets/{id}"), &w, json!({"price": 1})).await, 404, "not_found");
    assert_eq!(app.count("SELECT count(*) FROM assets").await, 1);
}

#[rocket::async_test]
async fn markets_asset_validation_reports_every_field() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let r = app.post("/api/assets", &w, json!({})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(
        Value::Object(fields(&r).clone()),
        json!({"symbol": "is required", "name": "is required", "price": "is required", "marketCap": "is required"})
    );

    let r = app
        .post(
            "/api/assets",
            &w,
            json!({"symbol": "TOO-LONG-SYM", "name": "x".repeat(101), "price": -1, "marketCap": 1_000_000_000_000_001_i64,
                   "rating": "STRONG", "sector": "s".repeat(51)}),
        )
        .await;
    assert_error(&r, 400, "validation_failed");
    let f = fields(&r);
    let mut keys: Vec<&str> = f.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["marketCap", "name", "price", "rating", "sector", "symbol"], "{}", r.body);
    assert_eq!(f["price"], "must be between 0 and 1000000000");
    assert_eq!(f["symbol"], "must be 1 to 10 characters of A-Z, 0-9, . and -");

    for (body, field, problem) in [
        (json!({"symbol": "A B", "name": "n", "price": 1, "marketCap": 1}), "symbol", None),
        (
            json!({"symbol": "AB", "name": "  ", "price": 1, "marketCap": 1}),
            "name",
            Some("must not be empty"),
        ),
        (
            json!({"symbol": "AB", "name": "n", "price": 1.5, "marketCap": 1}),
            "price",
            Some("must be an integer"),
        ),
        (
            json!({"symbol": "AB", "name": "n", "price": "100", "marketCap": 1}),
            "price",
            Some("must be an integer"),
        ),
        (
            json!({"symbol": "AB", "name": "n", "price": 1, "marketCap": 2.5}),
            "marketCap",
            Some("must be an integer"),
        ),
        (json!({"symbol": "AB", "name": "n", "price": 1, "marketCap": 1, "rating": "A*"}), "rating", None),
        (json!({"symbol": 7, "name": "n", "price": 1, "marketCap": 1}), "symbol", Some("must be a string")),
    ] {
        let r = app.post("/api/assets", &w, body.clone()).await;
        assert_error(&r, 400, "validation_failed");
        assert_eq!(fields(&r).len(), 1, "{body}: {}", r.body);
        let got = fields(&r).get(field).unwrap_or_else(|| panic!("{body}: {}", r.body));
        if let Some(p) = problem {
            assert_eq!(got, p, "{body}");
        }
    }
    let id = asset(&app, &w, "OK", 100, 100, "A", "Tech").await["id"].as_i64().unwrap();
    let r = app
        .patch(&format!("/api/assets/{id}"), &w, json!({"symbol": "", "price": -5, "marketCap": -1}))
        .await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r).len(), 3, "{}", r.body);
    let r = app
        .request(
            rocket::http::Method::Post,
            "/api/assets",
            &w.clone().header("Content-Type", "text/plain"),
            None,
        )
        .await;
    assert_error(&r, 415, "unsupported_media_type");
    assert_eq!(app.count("SELECT count(*) FROM assets").await, 1, "nothing else was stored");
}

#[rocket::async_test]
async fn markets_symbols_are_unique_case_insensitively() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    asset(&app, &w, "ACME", 100, 1000, "A", "Industrials").await;
    let other = asset(&app, &w, "BETA", 100, 1000, "A", "Industrials").await;
    let r = app
        .post("/api/assets", &w, json!({"symbol": "acme", "name": "Again", "price": 1, "marketCap": 1}))
        .await;
    assert_error(&r, 409, "symbol_taken");
    let r = app.patch(&format!("/api/assets/{}", other["id"]), &w, json!({"symbol": "Acme"})).await;
    assert_error(&r, 409, "symbol_taken");
    assert_eq!(
        app.get(&format!("/api/assets/{}", other["id"]), &Req::default()).await.body["symbol"],
        "BETA"
    );
}

#[rocket::async_test]
async fn markets_asset_writes_need_assets_write() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let id = asset(&app, &w, "ACME", 100, 1000, "A", "Industrials").await["id"].as_i64().unwrap();
    let plain = Req::bearer(&app.signup("pat").await.0);
    let catalog = Req::bearer(&app.user_with("cat", "user", &["catalog:write", "orders:manage"]).await.0);
    let body = json!({"symbol": "NEW", "name": "New", "price": 1, "marketCap": 1});
    let prices = json!([{"symbol": "ACME", "price": 1}]);
    for (who, status, code) in
        [(Req::default(), 401, "unauthorized"), (plain, 403, "forbidden"), (catalog, 403, "forbidden")]
    {
        assert_error(&app.post("/api/assets", &who, body.clone()).await, status, code);
        assert_error(&app.patch(&format!("/api/assets/{id}"), &who, json!({"price": 5})).await, status, code);
        assert_error(&app.delete(&format!("/api/assets/{id}"), &who).await, status, code);
        assert_error(&app.put("/api/assets/prices", &who, prices.clone()).await, status, code);
    }
    assert_error(
        &app.post("/api/assets", &Req::bearer("not-a-token"), body.clone()).await,
        401,
        "unauthorized",
    );
    let r = app.get(&format!("/api/assets/{id}"), &Req::default()).await;
    assert_eq!((r.body["price"].as_i64(), r.body["symbol"].as_str()), (Some(100), Some("ACME")), "unchanged");
    assert_eq!(app.count("SELECT count(*) FROM assets").await, 1);

    // An admin has every permission.
    let admin = Req::bearer(&app.admin("root").await);
    assert_eq!(app.post("/api/assets", &admin, body).await.status, 201);
    assert_eq!(app.put("/api/assets/prices", &admin, prices).await.status, 200);
    assert_eq!(app.delete(&format!("/api/assets/{id}"), &admin).await.status, 204);
}

/// The dataset every screener test checks against.
async fn screener_dataset(app: &TestApp) {
    let w = writer(app).await;
    for (symbol, name, price, cap, rating, sector) in [
        ("AAPL", "Apple Inc.", 22_000, 3_400_000_000_000_i64, "AA+", "Technology"),
        ("MSFT", "Microsoft", 41_000, 3_100_000_000_000, "AAA", "Technology"),
        ("INTC", "Intel", 2_000, 87_000_000_000, "BBB+", "Technology"),
        ("KO", "Coca-Cola", 6_800, 295_000_000_000, "A+", "Consumer Staples"),
        ("PG", "Procter & Gamble", 16_500, 389_000_000_000, "AA-", "Consumer Staples"),
        ("JPM", "JPMorgan Chase", 26_500, 740_000_000_000, "A", "Financials"),
        ("BAC", "Bank of America", 4_600, 355_000_000_000, "A", "Financials"),
        ("AMC", "AMC Entertainment", 300, 1_300_000_000, "CCC", "Media"),
        ("ZZZ", "Unrated 50% Fund_x", 2_000, 10, "", ""),
        ("HOLDX", "Hold Example", 2_000, 1_300_000_000, "HOLD", "Media"),
    ] {
        let r = app
            .post(
                "/api/assets",
                &w,
                json!({"symbol": symbol, "name": name, "price": price, "marketCap": cap, "rating": rating, "sector": sector}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
}

#[rocket::async_test]
async fn markets_screener_filters() {
    let app = TestApp::new().await;
    screener_dataset(&app).await;
    let all = symbols(&app, "").await;
    assert_eq!(
        all,
        ["AAPL", "AMC", "BAC", "HOLDX", "INTC", "JPM", "KO", "MSFT", "PG", "ZZZ"],
        "default sort is symbol"
    );
    let r = app.get("/api/assets", &Req::default()).await;
    assert_eq!((r.body["page"].as_i64(), r.body["perPage"].as_i64()), (Some(1), Some(20)));
    assert_eq!((r.body["totalItems"].as_i64(), r.body["totalPages"].as_i64()), (Some(10), Some(1)));
    assert_eq!(r.body["items"][0].as_object().unwrap().len(), 8, "{}", r.body["items"][0]);

    // q: symbol or name, case-insensitive, LIKE wildcards taken literally.
    assert_eq!(symbols(&app, "q=a").await, ["AAPL", "AMC", "BAC", "HOLDX", "JPM", "KO", "PG", "ZZZ"]);
    assert_eq!(symbols(&app, "q=ms").await, ["MSFT"]);
    assert_eq!(symbols(&app, "q=bank").await, ["BAC"]);
    assert_eq!(symbols(&app, "q=%25").await, ["ZZZ"], "% is literal");
    assert_eq!(symbols(&app, "q=_").await, ["ZZZ"], "_ is literal");
    assert_eq!(symbols(&app, "q=nothing-like-this").await, Vec::<String>::new());
    // Price bounds, inclusive.
    assert_eq!(symbols(&app, "minPrice=22000").await, ["AAPL", "JPM", "MSFT"]);
    assert_eq!(symbols(&app, "maxPrice=2000").await, ["AMC", "HOLDX", "INTC", "ZZZ"]);
    assert_eq!(symbols(&app, "minPrice=2000&maxPrice=6800").await, ["BAC", "HOLDX", "INTC", "KO", "ZZZ"]);
    assert_eq!(symbols(&app, "minPrice=2000&maxPrice=2000").await, ["HOLDX", "INTC", "ZZZ"]);
    // Market cap bounds, inclusive.
    assert_eq!(symbols(&app, "minMarketCap=740000000000").await, ["AAPL", "JPM", "MSFT"]);
    assert_eq!(symbols(&app, "maxMarketCap=1300000000").await, ["AMC", "HOLDX", "ZZZ"]);
    assert_eq!(
        symbols(&app, "minMarketCap=295000000000&maxMarketCap=389000000000").await,
        ["BAC", "KO", "PG"]
    );
    // Ratings: any of, case-insensitive; unknown ratings match nothing.
    assert_eq!(symbols(&app, "rating=A").await, ["BAC", "JPM"]);
    assert_eq!(symbols(&app, "rating=A,aa%2B").await, ["AAPL", "BAC", "JPM"]);
    assert_eq!(symbols(&app, "rating=AAA,%20CCC%20,HOLD").await, ["AMC", "HOLDX", "MSFT"]);
    assert_eq!(symbols(&app, "rating=BB").await, Vec::<String>::new());
    // Sector: exact, case-insensitive.
    assert_eq!(symbols(&app, "sector=technology").await, ["AAPL", "INTC", "MSFT"]);
    assert_eq!(symbols(&app, "sector=Consumer%20Staples").await, ["KO", "PG"]);
    assert_eq!(symbols(&app, "sector=Tech").await, Vec::<String>::new(), "not a substring match");
    // Everything at once.
    assert_eq!(
        symbols(
            &app,
            "q=a&minPrice=4000&maxPrice=30000&minMarketCap=300000000000&rating=A,AA%2B,AA-&sector=technology"
        )
        .await,
        ["AAPL"]
    );
    assert_eq!(
        symbols(&app, "sort=-price&minPrice=2000&maxMarketCap=400000000000&rating=A,A%2B,AA-,BBB%2B,HOLD")
            .await,
        ["PG", "KO", "BAC", "HOLDX", "INTC"]
    );
    // Blank values are no filter; unknown parameters are ignored.
    assert_eq!(symbols(&app, "q=&sector=&rating=&minPrice=&colour=red").await.len(), 10);
}

#[rocket::async_test]
async fn markets_screener_sorts_and_pages() {
    let app = TestApp::new().await;
    screener_dataset(&app).await;
    assert_eq!(
        symbols(&app, "sort=symbol").await,
        ["AAPL", "AMC", "BAC", "HOLDX", "INTC", "JPM", "KO", "MSFT", "PG", "ZZZ"]
    );
    // Ties (HOLDX, INTC, ZZZ at 20.00) are broken by symbol.
    assert_eq!(
        symbols(&app, "sort=price").await,
        ["AMC", "HOLDX", "INTC", "ZZZ", "BAC", "KO", "PG", "AAPL", "JPM", "MSFT"]
    );
    assert_eq!(
        symbols(&app, "sort=-price").await,
        ["MSFT", "JPM", "AAPL", "PG", "KO", "BAC", "HOLDX", "INTC", "ZZZ", "AMC"]
    );
    assert_eq!(
        symbols(&app, "sort=marketCap").await,
        ["ZZZ", "AMC", "HOLDX", "INTC", "KO", "BAC", "PG", "JPM", "MSFT", "AAPL"]
    );
    assert_eq!(
        symbols(&app, "sort=-marketCap").await,
        ["AAPL", "MSFT", "JPM", "PG", "BAC", "KO", "INTC", "AMC", "HOLDX", "ZZZ"]
    );
    // The credit scale best first, then analyst ratings, then unrated.
    assert_eq!(
        symbols(&app, "sort=rating").await,
        ["MSFT", "AAPL", "PG", "KO", "BAC", "JPM", "INTC", "AMC", "HOLDX", "ZZZ"]
    );

    // Paging over a sorted, filtered list.
    let r = app.get("/api/assets?sort=-price&perPage=3&page=2", &Req::default()).await;
    assert_eq!(r.status, 200);
    let page: Vec<&str> =
        r.body["items"].as_array().unwrap().iter().map(|a| a["symbol"].as_str().unwrap()).collect();
    assert_eq!(page, ["PG", "KO", "BAC"]);
    assert_eq!(
        (&r.body["page"], &r.body["perPage"], &r.body["totalItems"], &r.body["totalPages"]),
        (&json!(2), &json!(3), &json!(10), &json!(4))
    );
    assert_eq!(symbols(&app, "sort=-price&perPage=3&page=4").await, ["AMC"]);
    let r = app.get("/api/assets?sort=-price&perPage=3&page=9", &Req::default()).await;
    assert_eq!(
        (r.status, &r.body["items"], &r.body["totalItems"]),
        (200, &json!([]), &json!(10)),
        "past the end"
    );
    let r = app.get("/api/assets?sector=technology&perPage=2", &Req::default()).await;
    assert_eq!(
        (&r.body["totalItems"], &r.body["totalPages"], r.body["items"].as_array().unwrap().len()),
        (&json!(3), &json!(2), 2)
    );
    assert_eq!(symbols(&app, "sector=technology&perPage=2&page=2").await, ["MSFT"]);
}

#[rocket::async_test]
async fn markets_screener_rejects_bad_parameters_by_name() {
    let app = TestApp::new().await;
    screener_dataset(&app).await;
    let r = app
        .get(
            "/api/assets?sort=name&minPrice=-1&maxPrice=abc&minMarketCap=1.5&maxMarketCap=x&rating=TOOLONG&perPage=101&page=0",
            &Req::default(),
        )
        .await;
    assert_error(&r, 400, "validation_failed");
    let mut keys: Vec<&str> = fields(&r).keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["maxMarketCap", "maxPrice", "minMarketCap", "minPrice", "page", "perPage", "rating", "sort"]
    );
    assert_eq!(fields(&r)["sort"], "must be one of: symbol, price, -price, marketCap, -marketCap, rating");

    for (query, field) in [
        ("sort=price;DROP%20TABLE%20assets", "sort"),
        ("sort=price%20DESC", "sort"),
        ("sort=updated_at", "sort"),
        ("sort=-symbol", "sort"),
        ("rating=A,,AA", "rating"),
        ("rating=A'%20OR%201=1", "rating"),
        ("minPrice=500&maxPrice=100", "maxPrice"),
        ("minMarketCap=5&maxMarketCap=4", "maxMarketCap"),
        ("perPage=0", "perPage"),
    ] {
        let r = app.get(&format!("/api/assets?{query}"), &Req::default()).await;
        assert_error(&r, 400, "validation_failed");
        assert_eq!(fields(&r).keys().collect::<Vec<_>>(), [field], "{query}: {}", r.body);
    }
    assert_eq!(app.count("SELECT count(*) FROM assets").await, 10);
}

#[rocket::async_test]
async fn markets_bulk_price_update_is_all_or_nothing() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let a = asset(&app, &w, "AAA1", 1_000, 1, "A", "X").await;
    let b = asset(&app, &w, "BBB2", 2_000, 1, "A", "X").await;
    asset(&app, &w, "CCC3", 3_000, 1, "A", "X").await;
    let prices = || async {
        let r = app.get("/api/assets?sort=symbol", &Req::default()).await;
        r.body["items"].as_array().unwrap().iter().map(|a| a["price"].as_i64().unwrap()).collect::<Vec<_>>()
    };

    // Success: 200 with the updated assets in the order given; symbols are case-insensitive.
    let r = app
        .put(
            "/api/assets/prices",
            &w,
            json!([{"symbol": "bbb2", "price": 2_500}, {"symbol": "AAA1", "price": 0}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got: Vec<(&str, i64)> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["symbol"].as_str().unwrap(), a["price"].as_i64().unwrap()))
        .collect();
    assert_eq!(got, [("BBB2", 2_500), ("AAA1", 0)]);
    assert_eq!(r.body[0]["id"], b["id"]);
    assert_eq!(r.body[1]["id"], a["id"]);
    assert!(r.body[0]["updatedAt"].as_str() >= b["updatedAt"].as_str());
    assert_eq!(r.body[0].as_object().unwrap().len(), 8);
    assert_eq!(prices().await, [0, 2_500, 3_000]);

    // One unknown symbol: 400 naming it, and nothing changes (the valid entries before and after
    // it included).
    let r = app
        .put(
            "/api/assets/prices",
            &w,
            json!([{"symbol": "AAA1", "price": 111}, {"symbol": "NOPE", "price": 5}, {"symbol": "CCC3", "price": 333}]),
        )
        .await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(Value::Object(fields(&r).clone()), json!({"[1].symbol": "no asset has the symbol NOPE"}));
    assert_eq!(prices().await, [0, 2_500, 3_000]);

    // One bad price: same.
    for bad in [json!(-1), json!(1.5), json!("100"), json!(null), json!(10_000_000_000_i64), json!(u64::MAX)]
    {
        let r = app
            .put(
                "/api/assets/prices",
                &w,
                json!([{"symbol": "AAA1", "price": 7}, {"symbol": "BBB2", "price": bad}]),
            )
            .await;
        assert_error(&r, 400, "validation_failed");
        assert_eq!(fields(&r).keys().collect::<Vec<_>>(), ["[1].price"], "{bad}: {}", r.body);
        assert_eq!(prices().await, [0, 2_500, 3_000], "{bad}");
    }

    // Every offending entry is named at once.
    let r = app
        .put(
            "/api/assets/prices",
            &w,
            json!([{"symbol": "AAA1", "price": 1}, {"symbol": "GONE", "price": -3}, {"price": 5}, 42,
                   {"symbol": "aaa1", "price": 2}, {"symbol": "bad symbol!", "price": 1}]),
        )
        .await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(
        Value::Object(fields(&r).clone()),
        json!({
            "[1].symbol": "no asset has the symbol GONE",
            "[1].price": "must be between 0 and 1000000000",
            "[2].symbol": "is required",
            "[3]": "must be an object {symbol, price}",
            "[4].symbol": "repeats entry [0]",
            "[5].symbol": "must be 1 to 10 characters of A-Z, 0-9, . and -",
        })
    );
    assert_eq!(prices().await, [0, 2_500, 3_000]);

    // Not a list / an empty list.
    assert_error(
        &app.put("/api/assets/prices", &w, json!({"symbol": "AAA1", "price": 1})).await,
        400,
        "validation_failed",
    );
    let r = app.put("/api/assets/prices", &w, json!([])).await;
    assert_error(&r, 400, "validation_failed");
    assert!(fields(&r).contains_key("body"));
    assert_eq!(prices().await, [0, 2_500, 3_000]);
}

#[rocket::async_test]
async fn markets_asset_delete_is_refused_while_held() {
    let app = TestApp::new().await;
    let w = writer(&app).await;
    let id = asset(&app, &w, "HELD", 1_000, 1, "A", "X").await["id"].as_i64().unwrap();
    let (tok, _) = app.signup("holder").await;
    let holder = Req::bearer(&tok);
    let (tok2, _) = app.signup("watcher").await;
    let watcher = Req::bearer(&tok2);
    assert_eq!(app.post("/api/watchlist", &watcher, json!({"assetId": id})).await.status, 201);
    let h =
        app.post("/api/portfolio", &holder, json!({"assetId": id, "quantity": 1, "costBasis": 100})).await;
    assert_eq!(h.status, 201, "{}", h.body);

    assert_error(&app.delete(&format!("/api/assets/{id}"), &w).await, 409, "asset_in_use");
    assert_eq!(app.get(&format!("/api/assets/{id}"), &Req::default()).await.status, 200);
    assert_eq!(app.count("SELECT count(*) FROM watchlist").await, 1, "a refused delete changes nothing");

    assert_eq!(app.delete(&format!("/api/portfolio/{}", h.body["id"]), &holder).await.status, 204);
    assert_eq!(app.delete(&format!("/api/assets/{id}"), &w).await.status, 204);
    assert_error(&app.get(&format!("/api/assets/{id}"), &Req::default()).await, 404, "not_found");
    // The watchlist entry went with the asset.
    assert_eq!(app.get("/api/watchlist", &watcher).await.body, json!([]));
    assert_eq!(app.count("SELECT count(*) FROM watchlist").await, 0);
}

#[rocket::async_test]
async fn markets_routes_are_in_the_openapi_document() {
    let app = TestApp::new().await;
    let doc = app.get("/api/openapi.json", &Req::default()).await.body;
    for (path, methods) in [
        ("/api/assets", &["get", "post"][..]),
        ("/api/assets/{id}", &["get", "patch", "delete"]),
        ("/api/assets/prices", &["put"]),
        ("/api/watchlist", &["get", "post"]),
        ("/api/watchlist/{id}", &["delete"]),
        ("/api/portfolio", &["get", "post"]),
        ("/api/portfolio/{id}", &["get", "patch", "delete"]),
    ] {
        for m in methods {
            assert!(doc["paths"][path][m].is_object(), "{m} {path} missing from the OpenAPI document");
        }
    }
    let params: Vec<&str> = doc["paths"]["/api/assets"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "q",
        "minPrice",
        "maxPrice",
        "minMarketCap",
        "maxMarketCap",
        "rating",
        "sector",
        "sort",
        "page",
        "perPage",
    ] {
        assert!(params.contains(&p), "screener parameter {p} undocumented: {params:?}");
    }
}
