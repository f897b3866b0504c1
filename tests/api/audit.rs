//! §11 the audit log through the real app: each listed action leaves its event (actor, target,
//! ip, user agent, details) and a failed one none; an event that cannot be written undoes its
//! change; filters and paging; a user's own activity; no secret in any event; the retention
//! purge. On both engines.

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket::http::Method;
use rocket_db_pools::Database;
use serde_json::{json, Value};
use stockroom::db::Pool;

use crate::helpers::{assert_error, fields, Req, TestApp, PASSWORD};
use crate::smtp::Sink;
use crate::store_support::add_to_cart;
use crate::two_factor::{code, enabled, now_step, password_step, second_step};

const NEW_PASSWORD: &str = "violet-canoe-thunder-88";

/// Every text column of an event, as one line.
const ROW_TEXT: &str = "coalesce(actor_username, '') || '|' || action || '|' || coalesce(ip, '') || '|' \
    || coalesce(user_agent, '') || '|' || details";

/// Every event the filter `query` matches, oldest first.
async fn events(app: &TestApp, admin: &str, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/audit?perPage=100&{query}"), &Req::bearer(admin)).await;
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    let mut items = r.body["items"].as_array().unwrap().clone();
    items.reverse();
    items
}

fn actions(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["action"].as_str().unwrap()).collect()
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

async fn user_id(app: &TestApp, token: &str) -> i64 {
    id(&app.get("/api/users/me", &Req::bearer(token)).await.body)
}

#[rocket::async_test]
async fn each_listed_action_leaves_its_event_with_actor_target_and_details() {
    let app = TestApp::new().await;
    let root = app.admin("root").await;
    let root_id = user_id(&app, &root).await;
    let (ann, ann_user) = app.signup("ann").await;
    let ann_id = id(&ann_user);
    let from_ann = |t: &str| Req::bearer(t).from("203.0.113.7:41000").header("User-Agent", "ann-browser/1.0");

    assert_eq!(app.login("ann", "not-her-password-9").await.status, 401);
    assert_eq!(app.login("nobody", PASSWORD).await.status, 401);
    let second = app.login("ann", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    assert_eq!(app.post("/api/auth/logout", &Req::bearer(&second), json!({})).await.status, 200);
    let r = app
        .put(
            "/api/users/me/password",
            &from_ann(&ann),
            json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .patch(
            "/api/users/me",
            &from_ann(&ann),
            json!({"email": "ann2@example.com", "currentPassword": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let t =
        app.post("/api/users/me/tokens", &from_ann(&ann), json!({"name": "cli", "scopes": ["read"]})).await;
    assert_eq!(t.status, 201, "{}", t.body);
    assert_eq!(
        app.delete(&format!("/api/users/me/tokens/{}", id(&t.body)), &from_ann(&ann)).await.status,
        204
    );

    let grant =
        json!({"permissions": ["catalog:write", "orders:manage", "assets:write"], "emailVerified": true});
    let r = app.patch(&format!("/api/users/{ann_id}"), &Req::bearer(&root), grant).await;
    assert_eq!(r.status, 200, "{}", r.body);

    let ann_req = Req::bearer(&ann);
    let cat = app.post("/api/categories", &ann_req, json!({"name": "Mugs"})).await.body;
    let r = app.put(&format!("/api/categories/{}", id(&cat)), &ann_req, json!({"name": "Cups"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let product = app
        .post(
            "/api/products",
            &ann_req,
            json!({"name": "Mug", "price": 450, "quantity": 5, "categoryId": id(&cat)}),
        )
        .await
        .body;
    let pid = id(&product);
    assert_eq!(app.patch(&format!("/api/products/{pid}"), &ann_req, json!({"price": 500})).await.status, 200);

    let (bob, bob_user) = app.signup("bob").await;
    assert_eq!(add_to_cart(&app, &bob, pid, 2).await.status, 200);
    let order = app.post("/api/orders", &Req::bearer(&bob), json!({})).await;
    assert_eq!(order.status, 201, "{}", order.body);
    let oid = id(&order.body);
    let r = app.patch(&format!("/api/orders/{oid}"), &ann_req, json!({"status": "confirmed"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(app.post(&format!("/api/orders/{oid}/cancel"), &ann_req, json!({})).await.status, 200);
    assert_eq!(app.delete(&format!("/api/products/{pid}"), &ann_req).await.status, 204);
    assert_eq!(app.delete(&format!("/api/categories/{}", id(&cat)), &ann_req).await.status, 204);

    let asset = app
        .post(
            "/api/assets",
            &ann_req,
            json!({"symbol": "ACME", "name": "Acme", "price": 1000, "marketCap": 5}),
        )
        .await;
    assert_eq!(asset.status, 201, "{}", asset.body);
    let aid = id(&asset.body);
    assert_eq!(
        app.patch(&format!("/api/assets/{aid}"), &ann_req, json!({"name": "Acme Corp"})).await.status,
        200
    );
    let r = app.put("/api/assets/prices", &ann_req, json!([{"symbol": "ACME", "price": 1100}])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(app.delete(&format!("/api/assets/{aid}"), &ann_req).await.status, 204);
    assert_eq!(app.delete(&format!("/api/users/{}", id(&bob_user)), &Req::bearer(&root)).await.status, 204);

    let log = events(&app, &root, "").await;
    assert_eq!(
        actions(&log),
        [
            "user.created",
            "user.created",
            "auth.login_failed",
            "auth.login_failed",
            "auth.login",
            "auth.logout",
            "auth.password_changed",
            "auth.email_changed",
            "auth.token_created",
            "auth.token_revoked",
            "user.updated",
            "catalog.category_created",
            "catalog.category_updated",
            "catalog.product_created",
            "catalog.product_updated",
            "user.created",
            "order.placed",
            "order.status_changed",
            "order.cancelled",
            "catalog.product_deleted",
            "catalog.category_deleted",
            "asset.created",
            "asset.updated",
            "asset.prices_updated",
            "asset.deleted",
            "user.deleted",
        ]
    );
    let mut keys: Vec<&String> = log[0].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["action", "actor", "at", "details", "id", "ip", "target", "userAgent"]);
    assert!(chrono::DateTime::parse_from_rfc3339(log[0]["at"].as_str().unwrap()).is_ok());

    let ann_actor = json!({"id": ann_id, "username": "ann"});
    let on_ann = json!({"type": "user", "id": ann_id});
    assert_eq!(log[1]["actor"], ann_actor);
    assert_eq!(log[1]["target"], on_ann);
    assert_eq!(log[1]["details"], json!({"via": "signup", "role": "user"}));
    // A wrong password: nobody is signed in, the account it was aimed at is the target.
    assert_eq!((&log[2]["actor"], &log[2]["target"]), (&Value::Null, &on_ann));
    assert_eq!(log[2]["details"], json!({"reason": "wrong_password"}));
    assert_eq!((&log[3]["target"], &log[3]["details"]), (&Value::Null, &json!({"reason": "unknown_login"})));
    assert_eq!(log[4]["actor"], ann_actor);
    assert_eq!(log[4]["target"]["type"], "session");
    assert_eq!(log[4]["details"], json!({"method": "password"}));
    assert_eq!(log[5]["target"], log[4]["target"], "the logout ends the session the login began");
    let pw = &log[6];
    assert_eq!((&pw["actor"], &pw["target"]), (&ann_actor, &on_ann));
    assert_eq!((pw["ip"].as_str(), pw["userAgent"].as_str()), (Some("203.0.113.7"), Some("ann-browser/1.0")));
    assert_eq!(
        log[7]["details"],
        json!({"email": {"before": "ann@example.com", "after": "ann2@example.com"}})
    );
    assert_eq!(log[8]["target"], json!({"type": "token", "id": id(&t.body)}));
    assert_eq!(log[8]["details"], json!({"name": "cli", "scopes": ["read"]}));
    assert_eq!(log[9]["target"], log[8]["target"]);
    let updated = &log[10];
    assert_eq!(updated["actor"], json!({"id": root_id, "username": "root"}));
    assert_eq!(updated["target"], on_ann);
    assert_eq!(
        updated["details"],
        json!({
            "permissions": {"before": [], "after": ["catalog:write", "orders:manage", "assets:write"]},
            "emailVerified": {"before": false, "after": true},
        })
    );
    assert_eq!(log[12]["details"], json!({"name": {"before": "Mugs", "after": "Cups"}}));
    assert_eq!(log[13]["target"], json!({"type": "product", "id": pid}));
    assert_eq!(log[14]["details"], json!({"price": {"before": 450, "after": 500}}));
    let placed = &log[16];
    assert_eq!(placed["actor"]["username"], "bob");
    assert_eq!(placed["target"], json!({"type": "order", "id": oid}));
    assert_eq!(placed["details"], json!({"total": 1000, "items": 1}));
    assert_eq!(log[17]["details"], json!({"status": {"before": "pending", "after": "confirmed"}}));
    assert_eq!(log[18]["details"], json!({"status": {"before": "confirmed", "after": "cancelled"}}));
    assert_eq!(log[19]["details"], json!({"name": "Mug"}));
    assert_eq!(log[22]["details"], json!({"name": {"before": "Acme", "after": "Acme Corp"}}));
    assert_eq!(log[23]["details"], json!({"count": 1, "prices": {"ACME": 1100}}));
    assert_eq!(log[24]["details"], json!({"symbol": "ACME"}));
    assert_eq!(log[25]["details"], json!({"email": "bob@example.com", "username": "bob"}));
    // The log names people as they were: bob is gone, his order's event still says who.
    assert_eq!(log[16]["actor"]["id"], id(&bob_user));
}

#[rocket::async_test]
async fn two_factor_and_password_reset_leave_their_events() {
    let sink = Sink::start();
    let url = sink.url();
    let app = TestApp::with(move |f| f.merge(("smtp_url", url))).await;
    let root = app.admin("root").await;
    let on = enabled(&app, "cat").await;
    let cat_id = user_id(&app, &on.token).await;
    let mfa = password_step(&app, "cat").await;
    assert_eq!(second_step(&app, &mfa, "000000").await.status, 401);
    let r = second_step(&app, &mfa, &on.recovery[0]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let off = json!({"password": PASSWORD, "code": on.recovery[1]});
    let r = app.request(Method::Delete, "/api/users/me/2fa", &Req::bearer(&on.token), Some(off)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let again = enabled_again(&app, &on.token).await;
    assert_eq!(app.delete(&format!("/api/users/{cat_id}/2fa"), &Req::bearer(&root)).await.status, 204);
    // Nothing to turn off: no event.
    assert_eq!(app.delete(&format!("/api/users/{cat_id}/2fa"), &Req::bearer(&root)).await.status, 204);
    let _ = again;

    reset_password(&app, &sink, "cat").await;

    let log = events(&app, &root, &format!("targetType=user&targetId={cat_id}")).await;
    assert_eq!(
        actions(&log),
        [
            "user.created",
            "auth.2fa_enabled",
            "auth.login_failed",
            "auth.2fa_disabled",
            "auth.2fa_enabled",
            "auth.2fa_disabled",
            "auth.password_reset",
        ]
    );
    assert_eq!(log[2]["details"], json!({"reason": "wrong_code"}));
    assert_eq!(log[3]["details"], json!({"method": "recovery_code"}));
    assert_eq!(log[3]["actor"]["id"], cat_id);
    assert_eq!(log[5]["details"], json!({"method": "reset"}));
    assert_eq!(log[5]["actor"]["username"], "root");
    assert_eq!(
        log[6]["actor"],
        json!({"id": cat_id, "username": "cat"}),
        "the mailed link proved who it was"
    );
    let login = events(&app, &root, "action=auth.login").await;
    assert_eq!(login.len(), 1);
    assert_eq!(login[0]["details"], json!({"method": "recovery_code"}));
}

/// Asks for a reset link for `name@example.com` and sets `NEW_PASSWORD` with it; answers the
/// link's token.
async fn reset_password(app: &TestApp, sink: &Sink, name: &str) -> String {
    let email = format!("{name}@example.com");
    let r = app.post("/api/auth/password-reset", &Req::default(), json!({"email": email})).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let mails = sink.arrival(&email, 2, Duration::from_secs(10)).await;
    let token = mails.iter().find_map(|m| m.token("/reset-password")).unwrap();
    let confirm = json!({"token": token, "newPassword": NEW_PASSWORD});
    let r = app.post("/api/auth/password-reset/confirm", &Req::default(), confirm).await;
    assert_eq!(r.status, 200, "{}", r.body);
    token
}

/// Turns two-factor sign-in on again for a signed-in user; answers the secret.
async fn enabled_again(app: &TestApp, token: &str) -> String {
    let who = Req::bearer(token);
    let r = app.post("/api/users/me/2fa/setup", &who, json!({"password": PASSWORD})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    // A step after any used before (the first enable used the current one).
    let r = app.post("/api/users/me/2fa/enable", &who, json!({"code": code(&secret, now_step() + 1)})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    secret
}

#[rocket::async_test]
async fn a_failed_action_leaves_no_event_and_an_event_that_fails_undoes_its_action() {
    let app = TestApp::new().await;
    let root = app.admin("root").await;
    let root_id = user_id(&app, &root).await;
    let (clerk, _) =
        app.user_with("clerk", "user", &["catalog:write", "orders:manage", "assets:write"]).await;
    let c = Req::bearer(&clerk);
    let (_, bob) = app.signup("bob").await;
    let before = events(&app, &root, "").await.len();

    assert_eq!(app.post("/api/categories", &c, json!({"name": "Mugs"})).await.status, 201);
    let after_one = events(&app, &root, "").await.len();
    assert_eq!(after_one, before + 1);
    assert_error(&app.post("/api/categories", &c, json!({"name": "mugs"})).await, 409, "name_taken");
    assert_error(
        &app.post("/api/products", &c, json!({"name": "X", "price": 1, "categoryId": 999})).await,
        400,
        "validation_failed",
    );
    assert_error(&app.patch("/api/products/999", &c, json!({"price": 5})).await, 404, "not_found");
    assert_error(
        &app.patch(&format!("/api/users/{}", id(&bob)), &Req::bearer(&root), json!({"username": "root"}))
            .await,
        409,
        "username_taken",
    );
    assert_error(
        &app.patch(&format!("/api/users/{root_id}"), &Req::bearer(&root), json!({"isActive": false})).await,
        409,
        "last_admin",
    );
    assert_error(
        &app.put("/api/assets/prices", &c, json!([{"symbol": "NOPE", "price": 5}])).await,
        400,
        "validation_failed",
    );
    assert_error(&app.delete("/api/users/me/tokens/999", &Req::bearer(&clerk)).await, 404, "not_found");
    assert_error(&app.post("/api/orders", &Req::bearer(&clerk), json!({})).await, 400, "cart_empty");
    let r = app
        .put(
            "/api/users/me/password",
            &Req::bearer(&clerk),
            json!({"currentPassword": "wrong-one-77", "newPassword": NEW_PASSWORD}),
        )
        .await;
    assert_error(&r, 403, "wrong_password");
    assert_eq!(events(&app, &root, "").await.len(), after_one, "no refused action was recorded");

    // The event is part of its change: when it cannot be written, the change is undone.
    let (down, up): (&[&str], &[&str]) = if app.on_postgres() {
        (
            &[
                "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit is down'; END $$",
                "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_down()",
            ],
            &["DROP TRIGGER audit_down ON audit_log"],
        )
    } else {
        (
            &["CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit is down'); END"],
            &["DROP TRIGGER audit_down"],
        )
    };
    for sql in down {
        app.exec(sql, &[]).await;
    }
    assert_error(
        &app.post("/api/products", &c, json!({"name": "Ghost", "price": 100})).await,
        500,
        "internal",
    );
    assert_eq!(app.count("SELECT count(*) FROM products WHERE name = 'Ghost'").await, 0);
    let r =
        app.patch(&format!("/api/users/{}", id(&bob)), &Req::bearer(&root), json!({"role": "admin"})).await;
    assert_error(&r, 500, "internal");
    assert_eq!(app.text("SELECT role FROM users WHERE username = 'bob'", &[]).await, "user");
    let sessions = app.count("SELECT count(*) FROM sessions").await;
    assert_error(&app.login("bob", PASSWORD).await, 500, "internal");
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, sessions, "no session without its event");
    for sql in up {
        app.exec(sql, &[]).await;
    }
    assert_eq!(app.post("/api/products", &c, json!({"name": "Ghost", "price": 100})).await.status, 201);
    assert_eq!(actions(&events(&app, &root, "").await).last(), Some(&"catalog.product_created"));
}

#[rocket::async_test]
async fn the_log_filters_and_pages_newest_first() {
    let app = TestApp::new().await;
    let root = app.admin("root").await;
    let root_id = user_id(&app, &root).await;
    let (ann, ann_user) = app.signup("ann").await;
    let ann_id = id(&ann_user);
    for _ in 0..3 {
        assert_eq!(app.login("ann", "wrong-password-12").await.status, 401);
    }
    let c = app.post("/api/categories", &Req::bearer(&root), json!({"name": "Mugs"})).await.body;
    assert_eq!(app.login("ann", PASSWORD).await.status, 200);
    rocket::tokio::time::sleep(Duration::from_millis(5)).await;
    let mid = chrono::Utc::now();
    rocket::tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(app.post("/api/auth/logout-all", &Req::bearer(&ann), json!({})).await.status, 200);

    let all = app.get("/api/audit?perPage=3", &Req::bearer(&root)).await;
    assert_eq!(all.status, 200);
    let total = all.body["totalItems"].as_i64().unwrap();
    assert_eq!(total, 8, "{}", all.body);
    assert_eq!(
        (all.body["page"].clone(), all.body["perPage"].clone(), all.body["totalPages"].clone()),
        (json!(1), json!(3), json!(3))
    );
    assert_eq!(all.body["items"][0]["action"], "auth.logout", "newest first");
    assert_eq!(all.body["items"][0]["details"], json!({"everywhere": true}));
    let last = app.get("/api/audit?perPage=3&page=3", &Req::bearer(&root)).await.body;
    assert_eq!(actions(last["items"].as_array().unwrap()), ["user.created", "user.created"]);
    assert_eq!(app.get("/api/audit?page=9", &Req::bearer(&root)).await.body["items"], json!([]));
    // Ties on `at` are broken by id, so paging never repeats or skips an event.
    let mut seen: Vec<i64> = Vec::new();
    for page in 1..=3 {
        let p = app.get(&format!("/api/audit?perPage=3&page={page}"), &Req::bearer(&root)).await.body;
        seen.extend(p["items"].as_array().unwrap().iter().map(id));
    }
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted);

    assert_eq!(events(&app, &root, "action=auth.login_failed").await.len(), 3);
    assert_eq!(
        actions(&events(&app, &root, "action=auth.").await),
        ["auth.login_failed", "auth.login_failed", "auth.login_failed", "auth.login", "auth.logout"]
    );
    assert_eq!(actions(&events(&app, &root, "action=catalog.").await), ["catalog.category_created"]);
    assert_eq!(events(&app, &root, &format!("actorId={root_id}")).await.len(), 2);
    let on_ann = events(&app, &root, &format!("targetType=user&targetId={ann_id}")).await;
    assert_eq!(
        actions(&on_ann),
        ["user.created", "auth.login_failed", "auth.login_failed", "auth.login_failed"]
    );
    let cat = events(&app, &root, &format!("targetType=category&targetId={}", id(&c))).await;
    assert_eq!(actions(&cat), ["catalog.category_created"]);
    assert_eq!(events(&app, &root, "targetType=order").await.len(), 0);
    let stamp = |t: chrono::DateTime<chrono::Utc>| {
        t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true).replace('+', "%2B")
    };
    let before_mid = events(&app, &root, &format!("to={}", stamp(mid))).await;
    assert_eq!(before_mid.len(), 7);
    let after_mid = events(&app, &root, &format!("from={}", stamp(mid))).await;
    assert_eq!(actions(&after_mid), ["auth.logout"]);
    // Inclusive bounds: an event's own time as `from` and `to` finds it.
    let at = after_mid[0]["at"].as_str().unwrap();
    assert_eq!(events(&app, &root, &format!("from={at}&to={at}")).await.len(), 1);
    // Another zone is the same instant.
    let t = chrono::DateTime::parse_from_rfc3339(at)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap());
    let shifted = t.to_rfc3339_opts(chrono::SecondsFormat::Millis, false).replace('+', "%2B");
    assert_eq!(events(&app, &root, &format!("from={shifted}")).await.len(), 1);

    let r = app
        .get(
            "/api/audit?actorId=x&action=auth&targetType=thing&targetId=0&from=yesterday&perPage=101",
            &Req::bearer(&root),
        )
        .await;
    assert_error(&r, 400, "validation_failed");
    let mut bad: Vec<&String> = fields(&r).keys().collect();
    bad.sort();
    assert_eq!(bad, ["action", "actorId", "from", "perPage", "targetId", "targetType"]);
    let r =
        app.get("/api/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", &Req::bearer(&root)).await;
    assert_eq!(fields(&r)["to"], "must not be before `from`");
    assert_error(&app.get("/api/audit?action=nothing.", &Req::bearer(&root)).await, 400, "validation_failed");

    let (zed, _) = app.signup("zed").await;
    assert_error(&app.get("/api/audit", &Req::bearer(&zed)).await, 403, "forbidden");
    assert_error(&app.get("/api/audit", &Req::default()).await, 401, "unauthorized");
    let (manager, _) = app.user_with("manny", "user", &["users:manage"]).await;
    assert_eq!(app.get("/api/audit", &Req::bearer(&manager)).await.status, 200);
}

#[rocket::async_test]
async fn a_user_sees_only_their_own_sign_in_activity() {
    let app = TestApp::new().await;
    let (ann, ann_user) = app.signup("ann").await;
    let (bob, _) = app.signup("bob").await;
    assert_eq!(app.login("ann", "wrong-password-12").await.status, 401);
    assert_eq!(app.login("bob", "wrong-password-12").await.status, 401);
    assert_eq!(app.login("ann", PASSWORD).await.status, 200);
    assert_eq!(app.login("bob", PASSWORD).await.status, 200);
    let t =
        app.post("/api/users/me/tokens", &Req::bearer(&ann), json!({"name": "n", "scopes": ["read"]})).await;
    assert_eq!(app.post("/api/categories", &Req::bearer(&bob), json!({"name": "x"})).await.status, 403);

    let r = app.get("/api/users/me/activity", &Req::bearer(&ann)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(
        actions(items),
        ["auth.token_created", "auth.login", "auth.login_failed"],
        "newest first, auth.* only"
    );
    for e in items {
        let about_ann = e["actor"]["id"] == ann_user["id"]
            || e["target"] == json!({"type": "user", "id": ann_user["id"]});
        assert!(about_ann, "{e}");
    }
    assert_eq!(r.body["totalItems"], 3);
    let page = app.get("/api/users/me/activity?perPage=1&page=2", &Req::bearer(&ann)).await.body;
    assert_eq!(
        (page["totalPages"].clone(), page["items"][0]["action"].clone()),
        (json!(3), json!("auth.login"))
    );
    assert_error(
        &app.get("/api/users/me/activity?perPage=0", &Req::bearer(&ann)).await,
        400,
        "validation_failed",
    );
    assert_error(&app.get("/api/users/me/activity", &Req::default()).await, 401, "unauthorized");
    // Sign-in history is for the person, not for a script holding a token.
    let token = t.body["token"].as_str().unwrap();
    assert_error(&app.get("/api/users/me/activity", &Req::bearer(token)).await, 403, "insufficient_scope");
}

#[rocket::async_test]
async fn no_password_token_or_secret_is_ever_in_an_event() {
    let sink = Sink::start();
    let url = sink.url();
    let app = TestApp::with(move |f| f.merge(("smtp_url", url))).await;
    let root = app.admin("root").await;
    let on = enabled(&app, "dee").await;
    let dee_id = user_id(&app, &on.token).await;
    let mut secrets: Vec<String> =
        vec![PASSWORD.into(), NEW_PASSWORD.into(), on.token.clone(), on.secret.clone(), root.clone()];
    secrets.extend(on.recovery.iter().cloned());
    // A mistyped sign-in: the password went into the login field.
    assert_eq!(app.login("plum-sofa-riddle-43", PASSWORD).await.status, 401);
    secrets.push("plum-sofa-riddle-43".into());
    let mfa = password_step(&app, "dee").await;
    secrets.push(mfa.clone());
    let signed = second_step(&app, &mfa, &code(&on.secret, on.step + 1)).await;
    assert_eq!(signed.status, 200, "{}", signed.body);
    secrets.push(signed.body["token"].as_str().unwrap().to_owned());
    let t = app
        .post("/api/users/me/tokens", &Req::bearer(&on.token), json!({"name": "ci", "scopes": ["read"]}))
        .await;
    secrets.push(t.body["token"].as_str().unwrap().to_owned());
    let reset = reset_password(&app, &sink, "dee").await;
    secrets.push(reset);
    let r = app
        .patch(
            &format!("/api/users/{dee_id}"),
            &Req::bearer(&root),
            json!({"role": "admin", "isActive": false}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let hash = app.text("SELECT password_hash FROM users WHERE username = 'dee'", &[]).await;
    secrets.push(hash);

    let stored = app
        .text(
            &format!(
                "SELECT {} FROM audit_log",
                if app.on_postgres() {
                    format!("string_agg({ROW_TEXT}, E'\\n')")
                } else {
                    format!("group_concat({ROW_TEXT}, char(10))")
                }
            ),
            &[],
        )
        .await;
    assert!(stored.lines().count() >= 8, "{stored}");
    for secret in &secrets {
        assert!(!stored.contains(secret.as_str()), "{secret} is in the audit log:\n{stored}");
        let half = &secret[..secret.len() / 2];
        assert!(half.len() < 6 || !stored.contains(half), "part of {secret} is in the audit log:\n{stored}");
    }
}

#[rocket::async_test]
async fn events_older_than_the_retention_go_in_the_background() {
    let old = (chrono::Utc::now() - chrono::Duration::days(40)).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let recent =
        (chrono::Utc::now() - chrono::Duration::days(20)).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let seed = AdHoc::on_ignite("old events", move |rocket| async move {
        insert_event(&rocket, &old, "auth.login").await;
        insert_event(&rocket, &recent, "auth.logout").await;
        rocket
    });
    let app = TestApp::with_rocket(|f| f.merge(("audit_retention_days", 30)), |r| r.attach(seed)).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app.count("SELECT count(*) FROM audit_log WHERE action = 'auth.login'").await > 0 {
        assert!(std::time::Instant::now() < deadline, "the old event was not purged");
        rocket::tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action = 'auth.logout'").await, 1);

    // 0 keeps everything.
    let keep = AdHoc::on_ignite("an old event", |rocket| async move {
        insert_event(&rocket, "2001-01-01T00:00:00.000Z", "auth.login").await;
        rocket
    });
    let app = TestApp::with_rocket(|f| f.merge(("audit_retention_days", 0)), |r| r.attach(keep)).await;
    rocket::tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.count("SELECT count(*) FROM audit_log").await, 1);
}

/// Before the server lifts off (and its purge starts): an event at `at`.
async fn insert_event(rocket: &rocket::Rocket<rocket::Build>, at: &str, action: &str) {
    let db = stockroom::db::Db::fetch(rocket).expect("the database is up");
    let sql = "INSERT INTO audit_log (at, action, details) VALUES ($1, $2, '{}')";
    match &db.write {
        Pool::Sqlite(p) => sqlx::query(sql).bind(at).bind(action).execute(p).await.map(drop),
        Pool::Postgres(p) => sqlx::query(sql).bind(at).bind(action).execute(p).await.map(drop),
    }
    .unwrap();
}

#[rocket::async_test]
async fn the_openapi_document_says_who_may_read_the_log() {
    let app = TestApp::new().await;
    let doc = app.get("/api/openapi.json", &Req::default()).await.body;
    let takes_token = |path: &str| {
        let security = doc["paths"][path]["get"]["security"].as_array().unwrap_or_else(|| panic!("{path}"));
        security.iter().any(|s| s.get("apiToken").is_some())
    };
    assert!(takes_token("/api/audit"));
    assert!(!takes_token("/api/users/me/activity"));
    let params: Vec<&str> = doc["paths"]["/api/audit"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["actorId", "action", "targetType", "targetId", "from", "to", "page", "perPage"]);
    let event = &doc["components"]["schemas"]["AuditEvent"];
    let mut required: Vec<&str> =
        event["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    required.sort();
    assert_eq!(required, ["action", "actor", "at", "details", "id", "ip", "target", "userAgent"]);

    // As documented: a user manager's token with `read` reads the log.
    let (manager, _) = app.user_with("manny", "user", &["users:manage"]).await;
    let t = app
        .post("/api/users/me/tokens", &Req::bearer(&manager), json!({"name": "siem", "scopes": ["read"]}))
        .await;
    let token = t.body["token"].as_str().unwrap();
    assert_eq!(app.get("/api/audit", &Req::bearer(token)).await.status, 200);
}
