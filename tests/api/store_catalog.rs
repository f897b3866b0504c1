//! Categories and products: CRUD, permissions, validation, search, filters, sorts and paging.

use serde_json::{json, Value};

use crate::helpers::{assert_error, fields, Req, TestApp};
use crate::store_support::{clerk, ids, product};

fn is_timestamp(v: &Value) -> bool {
    let s = v.as_str().unwrap_or_default();
    chrono::DateTime::parse_from_rfc3339(s).is_ok() && s.ends_with('Z') && s.len() == 24
}

#[rocket::async_test]
async fn categories_crud_with_case_insensitive_unique_names() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let c = Req::bearer(&clerk);

    let r = app.post("/api/categories", &c, json!({"name": "  Kitchen ", "description": "Pots"})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body, json!({"id": 1, "name": "Kitchen", "description": "Pots", "productCount": 0}));
    let r = app.post("/api/categories", &c, json!({"name": "audio"})).await;
    assert_eq!(r.body, json!({"id": 2, "name": "audio", "description": null, "productCount": 0}));

    let r = app.post("/api/categories", &c, json!({"name": "KITCHEN"})).await;
    assert_error(&r, 409, "name_taken");
    let r = app.put("/api/categories/2", &c, json!({"name": "kitchen"})).await;
    assert_error(&r, 409, "name_taken");

    // Listed by name, case-insensitively, with product counts.
    product(&app, &clerk, "Pan", 1000, 1).await;
    app.patch("/api/products/1", &c, json!({"categoryId": 1})).await;
    let r = app.get("/api/categories", &Req::default()).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        json!([
            {"id": 2, "name": "audio", "description": null, "productCount": 0},
            {"id": 1, "name": "Kitchen", "description": "Pots", "productCount": 1},
        ])
    );
    let r = app.get("/api/categories/1", &Req::default()).await;
    assert_eq!(r.body["productCount"], 1);
    assert_error(&app.get("/api/categories/99", &Req::default()).await, 404, "not_found");

    // PUT replaces both fields; renaming to its own name in another case is fine.
    let r = app.put("/api/categories/1", &c, json!({"name": "KITCHEN"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, json!({"id": 1, "name": "KITCHEN", "description": null, "productCount": 1}));
    assert_error(&app.put("/api/categories/99", &c, json!({"name": "X"})).await, 404, "not_found");

    let r = app.delete("/api/categories/2", &c).await;
    assert_eq!(r.status, 204);
    assert_error(&app.delete("/api/categories/2", &c).await, 404, "not_found");
    assert_error(&app.get("/api/categories/2", &Req::default()).await, 404, "not_found");
}

#[rocket::async_test]
async fn category_writes_need_catalog_write_and_valid_fields() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let (user, _) = app.signup("ann").await;
    let body = json!({"name": "Audio"});
    assert_error(&app.post("/api/categories", &Req::default(), body.clone()).await, 401, "unauthorized");
    assert_error(&app.post("/api/categories", &Req::bearer(&user), body.clone()).await, 403, "forbidden");
    let admin = app.admin("boss").await;
    assert_eq!(app.post("/api/categories", &Req::bearer(&admin), body.clone()).await.status, 201);
    assert_error(&app.put("/api/categories/1", &Req::bearer(&user), body.clone()).await, 403, "forbidden");
    assert_error(&app.delete("/api/categories/1", &Req::bearer(&user)).await, 403, "forbidden");
    assert_error(&app.delete("/api/categories/1", &Req::default()).await, 401, "unauthorized");

    let c = Req::bearer(&clerk);
    let r = app.post("/api/categories", &c, json!({"description": "no name"})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r)["name"], "is required");
    let r = app.post("/api/categories", &c, json!({"name": "   "})).await;
    assert_eq!(fields(&r)["name"], "must not be empty");
    let r = app.post("/api/categories", &c, json!({"name": "x".repeat(101), "description": 5})).await;
    assert_error(&r, 400, "validation_failed");
    let r = app.post("/api/categories", &c, json!({"name": "x".repeat(101)})).await;
    assert_eq!(fields(&r)["name"], "must be at most 100 characters");
    let r = app.put("/api/categories/1", &c, json!({})).await;
    assert_eq!(fields(&r)["name"], "is required");
    assert_eq!(app.count("SELECT count(*) FROM categories").await, 1);
}

#[rocket::async_test]
async fn deleting_a_category_leaves_its_products_uncategorised() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let c = Req::bearer(&clerk);
    app.post("/api/categories", &c, json!({"name": "Audio"})).await;
    let r = app.post("/api/products", &c, json!({"name": "Speaker", "price": 5000, "categoryId": 1})).await;
    assert_eq!(r.body["category"], json!({"id": 1, "name": "Audio"}));
    assert_eq!(app.delete("/api/categories/1", &c).await.status, 204);
    let r = app.get("/api/products/1", &Req::default()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["category"], Value::Null);
    assert_eq!(app.count("SELECT count(*) FROM products WHERE category_id IS NULL").await, 1);
}

#[rocket::async_test]
async fn products_are_created_read_replaced_patched_and_deleted() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let c = Req::bearer(&clerk);
    app.post("/api/categories", &c, json!({"name": "Kitchen"})).await;
    app.post("/api/categories", &c, json!({"name": "Home"})).await;

    let r = app
        .post(
            "/api/products",
            &c,
            json!({"name": " Kettle ", "description": "Boils\nwater", "price": 2999, "quantity": 7,
                   "categoryId": 1, "imageUrl": "/images/kettle.png", "createdAt": "ignored", "id": 99}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let p = r.body.clone();
    assert_eq!(p["id"], 1);
    assert_eq!(p["name"], "Kettle");
    assert_eq!(p["description"], "Boils\nwater");
    assert_eq!(p["price"], 2999);
    assert_eq!(p["quantity"], 7);
    assert_eq!(p["category"], json!({"id": 1, "name": "Kitchen"}));
    assert_eq!(p["imageUrl"], "/images/kettle.png");
    assert!(is_timestamp(&p["createdAt"]) && is_timestamp(&p["updatedAt"]), "{p}");
    assert_eq!(p.as_object().unwrap().len(), 9, "exactly the spec's fields: {p}");
    assert_eq!(app.get("/api/products/1", &Req::default()).await.body, p);

    // Minimal product: quantity 0, everything optional null.
    let r = app.post("/api/products", &c, json!({"name": "Mug", "price": 0})).await;
    assert_eq!(r.status, 201);
    assert_eq!(
        (&r.body["quantity"], &r.body["description"], &r.body["category"], &r.body["imageUrl"]),
        (&json!(0), &Value::Null, &Value::Null, &Value::Null)
    );

    // PATCH changes only what is sent; null clears nullable fields.
    let r = app.patch("/api/products/1", &c, json!({"price": 3499, "categoryId": 2})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (&r.body["price"], &r.body["quantity"], &r.body["name"]),
        (&json!(3499), &json!(7), &json!("Kettle"))
    );
    assert_eq!(r.body["category"], json!({"id": 2, "name": "Home"}));
    let r = app.patch("/api/products/1", &c, json!({"categoryId": null, "imageUrl": null})).await;
    assert_eq!((&r.body["category"], &r.body["imageUrl"]), (&Value::Null, &Value::Null));
    assert_eq!(r.body["description"], "Boils\nwater");
    let r = app.patch("/api/products/1", &c, json!({"name": null, "price": null})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r)["name"], "must not be null");
    assert_eq!(fields(&r)["price"], "must not be null");

    // PUT replaces the whole product.
    let r =
        app.put("/api/products/1", &c, json!({"name": "Steel Kettle", "price": 4000, "quantity": 3})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["name"], "Steel Kettle");
    assert_eq!(r.body["description"], Value::Null);
    assert_eq!(r.body["createdAt"], p["createdAt"]);
    let r = app.put("/api/products/1", &c, json!({"quantity": 3})).await;
    assert_eq!(fields(&r).keys().collect::<Vec<_>>(), ["name", "price"]);

    assert_error(&app.patch("/api/products/99", &c, json!({"price": 1})).await, 404, "not_found");
    assert_error(&app.put("/api/products/99", &c, json!({"name": "X", "price": 1})).await, 404, "not_found");
    assert_error(&app.get("/api/products/99", &Req::default()).await, 404, "not_found");

    assert_eq!(app.delete("/api/products/1", &c).await.status, 204);
    assert_error(&app.get("/api/products/1", &Req::default()).await, 404, "not_found");
    assert_error(&app.delete("/api/products/1", &c).await, 404, "not_found");
}

#[rocket::async_test]
async fn product_writes_need_catalog_write() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let (user, _) = app.signup("ann").await;
    let id = product(&app, &clerk, "Mug", 450, 3).await;
    let u = Req::bearer(&user);
    let body = json!({"name": "Cup", "price": 1});
    assert_error(&app.post("/api/products", &Req::default(), body.clone()).await, 401, "unauthorized");
    assert_error(&app.post("/api/products", &u, body.clone()).await, 403, "forbidden");
    assert_error(&app.put(&format!("/api/products/{id}"), &u, body.clone()).await, 403, "forbidden");
    assert_error(&app.patch(&format!("/api/products/{id}"), &u, body.clone()).await, 403, "forbidden");
    assert_error(&app.delete(&format!("/api/products/{id}"), &u).await, 403, "forbidden");
    // orders:manage alone is not catalog:write.
    let (manager, _) = app.user_with("mgr", "user", &["orders:manage"]).await;
    assert_error(&app.post("/api/products", &Req::bearer(&manager), body).await, 403, "forbidden");
    assert_eq!(app.get(&format!("/api/products/{id}"), &Req::default()).await.body["name"], "Mug");
}

#[rocket::async_test]
async fn product_fields_are_validated() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let c = Req::bearer(&clerk);
    let post = |body: Value| app.post("/api/products", &c, body);

    let r = post(json!({})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r)["name"], "is required");
    assert_eq!(fields(&r)["price"], "is required");

    let r =
        post(json!({"name": "x".repeat(201), "price": -1, "quantity": -5, "imageUrl": "javascript:alert(1)",
                        "description": "d".repeat(5001)}))
        .await;
    let f = fields(&r);
    assert_eq!(f["name"], "must be at most 200 characters");
    assert_eq!(f["price"], "must not be negative");
    assert_eq!(f["quantity"], "must not be negative");
    assert_eq!(f["imageUrl"], "must be an http(s) URL or a path starting with /");
    assert_eq!(f["description"], "must be at most 5000 characters");

    // Money is integer cents: fractions and strings are refused with the field named.
    for price in [json!(19.99), json!("1999"), json!(1e20)] {
        let r = post(json!({"name": "Mug", "price": price})).await;
        assert_error(&r, 400, "validation_failed");
        assert_eq!(fields(&r)["price"], "must be an integer", "{price}");
    }
    let r = post(json!({"name": "Mug", "price": 100, "quantity": 2.5})).await;
    assert_eq!(fields(&r)["quantity"], "must be an integer");
    let r = post(json!({"name": "Mug", "price": 10_000_000_001_i64})).await;
    assert!(fields(&r)["price"].as_str().unwrap().starts_with("must be at most"));

    for url in ["//evil.example/x.png", "ftp://x.io/a.png", "images/a.png", "https://"] {
        let r = post(json!({"name": "Mug", "price": 1, "imageUrl": url})).await;
        assert_error(&r, 400, "validation_failed");
        assert!(fields(&r).contains_key("imageUrl"), "{url}");
    }
    for url in ["https://cdn.example.com/mug.png", "http://x.io/a", "/static/mug.webp"] {
        let r = post(json!({"name": "Mug", "price": 1, "imageUrl": url})).await;
        assert_eq!(r.status, 201, "{url}: {}", r.body);
        assert_eq!(r.body["imageUrl"], url);
    }

    let r = post(json!({"name": "Mug", "price": 1, "categoryId": 42})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r)["categoryId"], "no category has this id");
    let r = app.patch("/api/products/1", &c, json!({"categoryId": 42})).await;
    assert_eq!(fields(&r)["categoryId"], "no category has this id");

    let r = app
        .request(
            rocket::http::Method::Post,
            "/api/products",
            &c.clone().header("Content-Type", "text/plain"),
            None,
        )
        .await;
    assert_error(&r, 415, "unsupported_media_type");
    assert_eq!(app.count("SELECT count(*) FROM products").await, 3);
}

/// Nine products over two categories, created a known order.
async fn shop(app: &TestApp) -> String {
    let clerk = clerk(app).await;
    let c = Req::bearer(&clerk);
    app.post("/api/categories", &c, json!({"name": "Kitchen"})).await;
    app.post("/api/categories", &c, json!({"name": "Audio"})).await;
    let items = [
        ("Kettle", "Boils water fast", 2999, 5, Some(1)),
        ("chef knife", "Sharp 100% steel", 7450, 0, Some(1)),
        ("Cutting Board", "Bamboo", 2499, 12, Some(1)),
        ("Headphones", "Noise cancelling, over-ear", 19900, 3, Some(2)),
        ("Speaker", "Waterproof; boils? no", 5999, 0, Some(2)),
        ("Cable", "Braided_cable 1.5 m", 999, 100, Some(2)),
        ("Gift Card", "Any amount", 2500, 1000, None),
        ("apron", "Cotton, for the kitchen", 2499, 8, None),
        ("Zester", "Citrus tool", 1250, 2, Some(1)),
    ];
    for (name, description, price, quantity, category) in items {
        let r = app
            .post(
                "/api/products",
                &c,
                json!({"name": name, "description": description, "price": price, "quantity": quantity,
                       "categoryId": category}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    clerk
}

async fn names(app: &TestApp, query: &str) -> Vec<String> {
    let r = app.get(&format!("/api/products{query}"), &Req::default()).await;
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    r.body["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()
}

#[rocket::async_test]
async fn product_list_searches_filters_and_sorts() {
    let app = TestApp::new().await;
    shop(&app).await;

    // Default: by name, case-insensitively, 20 per page.
    let r = app.get("/api/products", &Req::default()).await;
    assert_eq!(
        (&r.body["page"], &r.body["perPage"], &r.body["totalItems"], &r.body["totalPages"]),
        (&json!(1), &json!(20), &json!(9), &json!(1))
    );
    assert_eq!(
        names(&app, "").await,
        [
            "apron",
            "Cable",
            "chef knife",
            "Cutting Board",
            "Gift Card",
            "Headphones",
            "Kettle",
            "Speaker",
            "Zester"
        ]
    );
    assert_eq!(names(&app, "?sort=-name&perPage=3").await, ["Zester", "Speaker", "Kettle"]);
    assert_eq!(names(&app, "?sort=price&perPage=4").await, ["Cable", "Zester", "Cutting Board", "apron"]);
    assert_eq!(names(&app, "?sort=-price&perPage=3").await, ["Headphones", "chef knife", "Speaker"]);
    assert_eq!(names(&app, "?sort=newest&perPage=2").await, ["Zester", "apron"]);

    // q: name or description, case-insensitive, wildcards literal.
    assert_eq!(names(&app, "?q=BOILS").await, ["Kettle", "Speaker"]);
    assert_eq!(names(&app, "?q=kitchen").await, ["apron"]);
    assert_eq!(names(&app, "?q=%25").await, ["chef knife"]);
    assert_eq!(names(&app, "?q=_").await, ["Cable"]);
    assert_eq!(names(&app, "?q=nothing-like-this").await, Vec::<String>::new());

    // Filters, bounds inclusive, combined with AND.
    assert_eq!(names(&app, "?category=2").await, ["Cable", "Headphones", "Speaker"]);
    assert_eq!(names(&app, "?category=99").await, Vec::<String>::new());
    assert_eq!(
        names(&app, "?minPrice=2499&maxPrice=2999").await,
        ["apron", "Cutting Board", "Gift Card", "Kettle"]
    );
    assert_eq!(names(&app, "?minPrice=19900").await, ["Headphones"]);
    assert_eq!(names(&app, "?maxPrice=999").await, ["Cable"]);
    assert_eq!(names(&app, "?inStock=true&category=1").await, ["Cutting Board", "Kettle", "Zester"]);
    assert_eq!(names(&app, "?inStock=false").await, ["chef knife", "Speaker"]);
    assert_eq!(
        names(&app, "?category=1&minPrice=2000&sort=-price&inStock=true").await,
        ["Kettle", "Cutting Board"]
    );

    let r = app.get("/api/products?category=2&sort=price", &Req::default()).await;
    assert_eq!(r.body["totalItems"], 3);
    let first = &r.body["items"][0];
    assert_eq!(first["category"], json!({"id": 2, "name": "Audio"}));
    assert_eq!(first.as_object().unwrap().len(), 9);
}

#[rocket::async_test]
async fn product_list_pages_and_rejects_bad_parameters() {
    let app = TestApp::new().await;
    shop(&app).await;
    let all = ids(&app.get("/api/products?perPage=100", &Req::default()).await.body);
    let mut paged = Vec::new();
    for page in 1..=3 {
        let r = app.get(&format!("/api/products?perPage=4&page={page}"), &Req::default()).await;
        assert_eq!(
            (&r.body["totalItems"], &r.body["totalPages"], &r.body["page"]),
            (&json!(9), &json!(3), &json!(page))
        );
        paged.extend(ids(&r.body));
    }
    assert_eq!(paged, all, "pages cover the list once, in order");
    let r = app.get("/api/products?perPage=4&page=4", &Req::default()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["items"], json!([]));
    assert_eq!(r.body["totalItems"], 9);

    let r = app
        .get("/api/products?perPage=101&page=0&sort=cheapest&minPrice=-1&maxPrice=1.5&category=abc&inStock=yes", &Req::default())
        .await;
    assert_error(&r, 400, "validation_failed");
    let f = fields(&r);
    for key in ["perPage", "page", "sort", "minPrice", "maxPrice", "category", "inStock"] {
        assert!(f.contains_key(key), "{key} not reported: {f:?}");
    }
    assert_error(&app.get("/api/products?perPage=0", &Req::default()).await, 400, "validation_failed");
}
