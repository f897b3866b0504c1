//! §10 personal API tokens through the real app: shown once and stored hashed, each scope's
//! reach and limits, what no token may do, escalation attempts, revoke, expiry, deactivation and
//! reset. On both engines.

use rocket::http::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_error, fields, Req, TestApp, PASSWORD};
use crate::store_support::{clerk, product};

async fn token(app: &TestApp, session: &str, scopes: &[&str]) -> (String, Value) {
    let r = app
        .post("/api/users/me/tokens", &Req::bearer(session), json!({"name": "script", "scopes": scopes}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    (r.body["token"].as_str().unwrap().to_owned(), r.body.clone())
}

#[rocket::async_test]
async fn a_token_is_shown_once_and_stored_as_a_hash() {
    let app = TestApp::new().await;
    let (session, _) = app.signup("ann").await;
    let r = app
        .post(
            "/api/users/me/tokens",
            &Req::bearer(&session),
            json!({"name": " nightly export ", "scopes": ["store", "read"], "expiresInDays": 30}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mut keys: Vec<&String> = r.body.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["createdAt", "expiresAt", "id", "lastUsedAt", "name", "prefix", "scopes", "token"]);
    let secret = r.body["token"].as_str().unwrap();
    assert!(secret.starts_with("stk_") && secret.len() == 68, "{secret}");
    assert!(secret[4..].bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(r.body["prefix"], secret[..12]);
    assert_eq!(
        (r.body["name"].clone(), r.body["scopes"].clone()),
        (json!("nightly export"), json!(["read", "store"]))
    );
    assert_eq!(r.body["lastUsedAt"], Value::Null);
    let created = chrono::DateTime::parse_from_rfc3339(r.body["createdAt"].as_str().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(r.body["expiresAt"].as_str().unwrap()).unwrap();
    assert!((expires - created - chrono::Duration::days(30)).num_seconds().abs() <= 2);
    assert_eq!(app.count(&format!("SELECT count(*) FROM api_tokens WHERE token_hash = '{secret}'")).await, 0);
    assert_eq!(app.text("SELECT token_hash FROM api_tokens", &[]).await.len(), 64);

    let list = app.get("/api/users/me/tokens", &Req::bearer(&session)).await;
    assert_eq!(list.status, 200);
    assert!(list.body[0].get("token").is_none(), "never listed: {}", list.body);
    assert!(!list.body.to_string().contains(&secret[12..]));
    // Used: lastUsedAt, to the minute.
    assert_eq!(app.get("/api/users/me", &Req::bearer(secret)).await.status, 200);
    let used = app.get("/api/users/me/tokens", &Req::bearer(&session)).await.body[0]["lastUsedAt"].clone();
    assert!(used.as_str().is_some_and(|t| t.ends_with(":00.000Z")), "{used}");
    // Written at most once a minute: a second use within it leaves the row as it was.
    let stored = app.text("SELECT last_used_at FROM api_tokens", &[]).await;
    rocket::tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(app.get("/api/cart", &Req::bearer(secret)).await.status, 200);
    assert_eq!(app.text("SELECT last_used_at FROM api_tokens", &[]).await, stored);
}

#[rocket::async_test]
async fn the_openapi_document_describes_the_token_scheme_and_the_new_routes() {
    let app = TestApp::new().await;
    let doc = app.get("/api/openapi.json", &Req::default()).await.body;
    let scheme = &doc["components"]["securitySchemes"]["apiToken"];
    assert_eq!((scheme["type"].clone(), scheme["scheme"].clone()), (json!("http"), json!("bearer")));
    assert!(scheme["description"].as_str().unwrap().contains("insufficient_scope"));
    for (path, method) in [
        ("/api/users/me/tokens", "post"),
        ("/api/users/me/tokens/{id}", "delete"),
        ("/api/users/me/2fa/setup", "post"),
        ("/api/users/me/2fa/enable", "post"),
        ("/api/users/me/2fa", "delete"),
        ("/api/users/{id}/2fa", "delete"),
        ("/api/auth/login/2fa", "post"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is documented");
    }
    let takes_token = |path: &str, method: &str| {
        doc["paths"][path][method]["security"].as_array().unwrap().iter().any(|s| s.get("apiToken").is_some())
    };
    assert!(takes_token("/api/cart", "post") && takes_token("/api/users/me", "get"));
    assert!(!takes_token("/api/users/me/tokens", "post") && !takes_token("/api/users/me", "patch"));
}

#[rocket::async_test]
async fn each_scope_reaches_its_routes_and_no_further() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let item = product(&app, &clerk, "Mug", 900, 5).await;
    let writer = app.user_with("quant", "user", &["assets:write"]).await.0;
    let asset = app
        .post(
            "/api/assets",
            &Req::bearer(&writer),
            json!({"symbol": "ACME", "name": "Acme", "price": 1000, "marketCap": 5}),
        )
        .await;
    assert_eq!(asset.status, 201, "{}", asset.body);
    let asset = asset.body["id"].as_i64().unwrap();
    let (session, _) = app.signup("bea").await;
    let (read, _) = token(&app, &session, &["read"]).await;
    let (store, _) = token(&app, &session, &["store"]).await;
    let (markets, _) = token(&app, &session, &["markets"]).await;
    let cart = json!({"productId": item, "quantity": 1});
    let watch = json!({"assetId": asset});

    // read: every GET, nothing else.
    for path in [
        "/api/users/me",
        "/api/user/profile",
        "/api/cart",
        "/api/users/me/orders",
        "/api/watchlist",
        "/api/portfolio",
        "/api/session",
    ] {
        assert_eq!(app.get(path, &Req::bearer(&read)).await.status, 200, "read GET {path}");
    }
    assert_error(&app.post("/api/cart", &Req::bearer(&read), cart.clone()).await, 403, "insufficient_scope");
    assert_error(
        &app.post("/api/watchlist", &Req::bearer(&read), watch.clone()).await,
        403,
        "insufficient_scope",
    );
    // store: the cart and orders, GETs included; not the markets.
    assert_eq!(app.post("/api/cart", &Req::bearer(&store), cart.clone()).await.status, 200);
    assert_eq!(app.get("/api/cart", &Req::bearer(&store)).await.status, 200);
    assert_eq!(app.post("/api/orders", &Req::bearer(&store), json!(null)).await.status, 201);
    assert_eq!(app.get("/api/users/me/orders", &Req::bearer(&store)).await.status, 200);
    assert_error(&app.get("/api/watchlist", &Req::bearer(&store)).await, 403, "insufficient_scope");
    assert_error(&app.get("/api/users/me", &Req::bearer(&store)).await, 403, "insufficient_scope");
    // markets: the watchlist and portfolio.
    assert_eq!(app.post("/api/watchlist", &Req::bearer(&markets), watch.clone()).await.status, 201);
    let holding = app
        .post(
            "/api/portfolio",
            &Req::bearer(&markets),
            json!({"assetId": asset, "quantity": 2, "costBasis": 1800}),
        )
        .await;
    assert_eq!(holding.status, 201, "{}", holding.body);
    assert_error(
        &app.post("/api/cart", &Req::bearer(&markets), cart.clone()).await,
        403,
        "insufficient_scope",
    );
    // Public routes stay public, token or not.
    assert_eq!(app.get("/api/products", &Req::bearer(&store)).await.status, 200);

    // A permission scope does what the permission allows, for a user who holds it.
    let (catalog, _) = token(&app, &clerk, &["catalog:write"]).await;
    let r = app
        .post("/api/products", &Req::bearer(&catalog), json!({"name": "Bowl", "price": 500, "quantity": 1}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_error(
        &app.patch("/api/orders/1", &Req::bearer(&catalog), json!({"status": "confirmed"})).await,
        403,
        "insufficient_scope",
    );
    // A bearer credential: no CSRF header needed.
    assert!(Req::bearer(&store).headers.is_empty());
}

#[rocket::async_test]
async fn no_token_may_manage_tokens_2fa_the_password_the_profile_sessions_or_the_account() {
    let app = TestApp::new().await;
    let admin = app.admin("root").await;
    let all = ["read", "store", "markets", "catalog:write", "orders:manage", "assets:write", "users:manage"];
    let (t, _) = token(&app, &admin, &all).await;
    let me: i64 = app.get("/api/users/me", &Req::bearer(&t)).await.body["id"].as_i64().unwrap();
    let by = Req::bearer(&t);
    let refused: Vec<(Method, String, Option<Value>)> = vec![
        (Method::Post, "/api/users/me/tokens".into(), Some(json!({"name": "more", "scopes": ["read"]}))),
        (Method::Get, "/api/users/me/tokens".into(), None),
        (Method::Delete, "/api/users/me/tokens".into(), None),
        (Method::Delete, "/api/users/me/tokens/1".into(), None),
        (Method::Post, "/api/users/me/2fa/setup".into(), Some(json!({"password": PASSWORD}))),
        (Method::Post, "/api/users/me/2fa/enable".into(), Some(json!({"code": "123456"}))),
        (Method::Delete, "/api/users/me/2fa".into(), Some(json!({"password": PASSWORD, "code": "123456"}))),
        (
            Method::Put,
            "/api/users/me/password".into(),
            Some(json!({"currentPassword": PASSWORD, "newPassword": "x-y-z-w-v-u-t"})),
        ),
        (Method::Patch, "/api/users/me".into(), Some(json!({"name": "Hacked"}))),
        (Method::Patch, format!("/api/users/{me}"), Some(json!({"email": "evil@example.com"}))),
        (Method::Delete, "/api/users/me".into(), Some(json!({"password": PASSWORD}))),
        (Method::Delete, format!("/api/users/{me}"), None),
        (Method::Get, "/api/auth/sessions".into(), None),
        (Method::Delete, "/api/auth/sessions/1".into(), None),
        (Method::Post, "/api/auth/logout-all".into(), None),
        (Method::Post, "/api/auth/refresh".into(), None),
    ];
    for (method, path, body) in refused {
        let r = app.request(method, &path, &by, body).await;
        assert_error(&r, 403, "insufficient_scope");
    }
    assert_eq!(app.get("/api/users/me", &Req::bearer(&admin)).await.body["name"], "root", "nothing changed");
    assert_eq!(app.get("/api/users/me/tokens", &Req::bearer(&admin)).await.body.as_array().unwrap().len(), 1);
    // With users:manage it manages other users, as its user may.
    let (_, other) = app.signup("cy9").await;
    let r = app.patch(&format!("/api/users/{}", other["id"]), &by, json!({"name": "Renamed"})).await;
    assert_eq!((r.status, &r.body["name"]), (200, &json!("Renamed")));
}

#[rocket::async_test]
async fn a_token_never_does_more_than_its_user_may_now() {
    let app = TestApp::new().await;
    let (session, user) = app.signup("dee").await;
    // A scope the user does not hold.
    let r = app
        .post(
            "/api/users/me/tokens",
            &Req::bearer(&session),
            json!({"name": "x", "scopes": ["catalog:write"]}),
        )
        .await;
    assert_error(&r, 403, "forbidden");
    let id = user["id"].as_i64().unwrap();
    app.exec("UPDATE users SET permissions = 'catalog:write' WHERE id = $1", &[id.into()]).await;
    let (t, _) = token(&app, &session, &["catalog:write"]).await;
    let new = json!({"name": "Vase", "price": 100, "quantity": 1});
    assert_eq!(app.post("/api/products", &Req::bearer(&t), new.clone()).await.status, 201);
    // The permission is withdrawn: the token's scope no longer counts.
    app.exec("UPDATE users SET permissions = '' WHERE id = $1", &[id.into()]).await;
    assert_error(&app.post("/api/products", &Req::bearer(&t), new).await, 403, "forbidden");
    // A plain user's token with users:manage can't be made, nor can it escalate the user.
    let r = app
        .post(
            "/api/users/me/tokens",
            &Req::bearer(&session),
            json!({"name": "x", "scopes": ["users:manage"]}),
        )
        .await;
    assert_error(&r, 403, "forbidden");
}

#[rocket::async_test]
async fn bad_requests_are_named_and_revoked_or_expired_tokens_are_dead() {
    let app = TestApp::new().await;
    let (session, _) = app.signup("eve").await;
    let who = Req::bearer(&session);
    for (body, field) in [
        (json!({"scopes": ["read"]}), "name"),
        (json!({"name": "  ", "scopes": ["read"]}), "name"),
        (json!({"name": "x".repeat(101), "scopes": ["read"]}), "name"),
        (json!({"name": "x"}), "scopes"),
        (json!({"name": "x", "scopes": []}), "scopes"),
        (json!({"name": "x", "scopes": ["root"]}), "scopes"),
        (json!({"name": "x", "scopes": ["read"], "expiresInDays": 0}), "expiresInDays"),
        (json!({"name": "x", "scopes": ["read"], "expiresInDays": 3651}), "expiresInDays"),
    ] {
        let r = app.post("/api/users/me/tokens", &who, body.clone()).await;
        assert_error(&r, 400, "validation_failed");
        assert!(fields(&r).contains_key(field), "{body}: {}", r.body);
    }
    let (a, made) = token(&app, &session, &["read"]).await;
    let (b, _) = token(&app, &session, &["read"]).await;
    let (c, _) = token(&app, &session, &["read"]).await;
    assert_eq!(app.delete(&format!("/api/users/me/tokens/{}", made["id"]), &who).await.status, 204);
    assert_error(&app.get("/api/users/me", &Req::bearer(&a)).await, 401, "unauthorized");
    assert_eq!(app.get("/api/users/me", &Req::bearer(&b)).await.status, 200);
    // Someone else's token id is 404.
    let (other, _) = app.signup("fay").await;
    let theirs = token(&app, &other, &["read"]).await.1["id"].clone();
    assert_error(&app.delete(&format!("/api/users/me/tokens/{theirs}"), &who).await, 404, "not_found");
    // Expired.
    app.exec("UPDATE api_tokens SET expires_at = 1 WHERE prefix = $1", &[b[..12].into()]).await;
    assert_error(&app.get("/api/users/me", &Req::bearer(&b)).await, 401, "unauthorized");
    // Revoke all.
    assert_eq!(app.delete("/api/users/me/tokens", &who).await.status, 204);
    assert_error(&app.get("/api/users/me", &Req::bearer(&c)).await, 401, "unauthorized");
    assert_error(&app.get("/api/users/me", &Req::bearer("stk_nope")).await, 401, "unauthorized");
}

#[rocket::async_test]
async fn deactivation_kills_tokens_and_a_password_change_or_logout_all_does_not() {
    let app = TestApp::new().await;
    let (session, user) = app.signup("gil").await;
    let (t, _) = token(&app, &session, &["read"]).await;
    let r = app
        .put(
            "/api/users/me/password",
            &Req::bearer(&session),
            json!({"currentPassword": PASSWORD, "newPassword": "violet-canoe-thunder-88"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(app.post("/api/auth/logout-all", &Req::bearer(&session), json!(null)).await.status, 200);
    assert_eq!(
        app.get("/api/users/me", &Req::bearer(&t)).await.status,
        200,
        "tokens outlive a password change and logout-all"
    );
    let admin = app.admin("boss").await;
    let path = format!("/api/users/{}", user["id"]);
    assert_eq!(app.patch(&path, &Req::bearer(&admin), json!({"isActive": false})).await.status, 200);
    assert_error(&app.get("/api/users/me", &Req::bearer(&t)).await, 401, "unauthorized");
    assert_eq!(app.patch(&path, &Req::bearer(&admin), json!({"isActive": true})).await.status, 200);
    assert_error(&app.get("/api/users/me", &Req::bearer(&t)).await, 401, "unauthorized");
    assert_eq!(app.count("SELECT count(*) FROM api_tokens").await, 0);
    // Deleting the user takes the rest.
    let session =
        app.login("gil", "violet-canoe-thunder-88").await.body["token"].as_str().unwrap().to_owned();
    let (t, _) = token(&app, &session, &["read"]).await;
    assert_eq!(app.delete(&path, &Req::bearer(&admin)).await.status, 204);
    assert_error(&app.get("/api/users/me", &Req::bearer(&t)).await, 401, "unauthorized");
}
