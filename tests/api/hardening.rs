//! What an attacker and a new user found (issue 11): each hole, closed in its shared mechanism,
//! with the request that opened it.

use std::sync::Arc;

use rocket::http::Method;
use serde_json::json;

use crate::helpers::{assert_error, fields, Req, Resp, TestApp, PASSWORD};
use crate::store_support::{add_to_cart, clerk, parallel, product};

const WRONG: &str = "not-the-password-1";

fn count(rs: &[Resp], status: u16) -> usize {
    rs.iter().filter(|r| r.status == status).count()
}

async fn change_password(app: &TestApp, token: &str, current: &str) -> Resp {
    app.put(
        "/api/users/me/password",
        &Req::bearer(token),
        json!({"currentPassword": current, "newPassword": "another-plum-sofa-77"}),
    )
    .await
}

#[rocket::async_test]
async fn wrong_password_confirmations_count_as_failed_logins_of_the_account() {
    let app = TestApp::new().await;
    let (token, _) = app.signup("ann").await;
    for _ in 0..5 {
        assert_error(&change_password(&app, &token, WRONG).await, 403, "wrong_password");
    }
    // The account's failures are used up: even the right password waits, at every door.
    let r = change_password(&app, &token, PASSWORD).await;
    assert_error(&r, 429, "rate_limited");
    let retry: u64 = r.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    let bearer = Req::bearer(&token);
    let r = app.request(Method::Delete, "/api/users/me", &bearer, Some(json!({"password": PASSWORD}))).await;
    assert_error(&r, 429, "rate_limited");
    let email_change = json!({"email": "a2@example.com", "currentPassword": PASSWORD});
    assert_error(&app.patch("/api/users/me", &bearer, email_change).await, 429, "rate_limited");
    assert_error(&app.login("ann", PASSWORD).await, 429, "rate_limited");
    // The session itself is untouched.
    assert_eq!(app.get("/api/users/me", &Req::bearer(&token)).await.status, 200);
    assert_eq!(app.login("ann", PASSWORD).await.status, 429);
}

#[rocket::async_test]
async fn a_hundred_concurrent_guesses_through_one_session_get_five_tries() {
    let app = Arc::new(TestApp::new().await);
    let (token, _) = app.signup("ann").await;
    let token = Arc::new(token);
    let rs = parallel(&app, 100, |app, i| {
        let token = token.clone();
        async move { change_password(&app, &token, &format!("guess-number-{i}")).await }
    })
    .await;
    // Some were refused for being one too many in flight; of those verified, no more than the
    // limit of five were wrong guesses, and together with any left they make exactly five.
    let verified = count(&rs, 403);
    assert!((1..=5).contains(&verified), "{verified} guesses were checked");
    assert_eq!(count(&rs, 429), 100 - verified);
    for _ in verified..5 {
        assert_error(&change_password(&app, &token, WRONG).await, 403, "wrong_password");
    }
    assert_error(&change_password(&app, &token, WRONG).await, 429, "rate_limited");
    assert_eq!(app.login("ann", PASSWORD).await.status, 429);
}

#[rocket::async_test]
async fn one_user_cannot_queue_more_than_two_password_checks() {
    // With the failed-login limit off, only the per-user bound keeps one account from filling
    // the hashing pool; the hash costs enough here (8 MiB, 4 passes) for requests to overlap.
    let app = Arc::new(
        TestApp::with(|f| {
            f.merge(("login_max_failures", 0))
                .merge(("argon2_memory_kib", 8192))
                .merge(("argon2_iterations", 4))
        })
        .await,
    );
    let (token, _) = app.signup("ann").await;
    let token = Arc::new(token);
    let rs = parallel(&app, 24, |app, _| {
        let token = token.clone();
        async move { change_password(&app, &token, WRONG).await }
    })
    .await;
    assert_eq!(
        count(&rs, 403) + count(&rs, 429),
        24,
        "{:?}",
        rs.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(count(&rs, 429) > 0, "some were refused rather than queued");
    assert!(rs.iter().filter(|r| r.status == 429).all(|r| r.header("Retry-After") == Some("1")));
    // Another user is not held up by ann's queue.
    let (bob, _) = app.signup("bob").await;
    assert_error(&change_password(&app, &bob, WRONG).await, 403, "wrong_password");
}

#[rocket::async_test]
async fn concurrent_wrong_logins_cannot_slip_past_the_limit() {
    let app = Arc::new(TestApp::new().await);
    app.signup("ann").await;
    let rs = parallel(&app, 28, |app, _| async move { app.login("ann", WRONG).await }).await;
    assert_eq!(count(&rs, 401), 5, "counted before verifying");
    assert_eq!(count(&rs, 429), 23);
    assert_error(&app.login("ann", PASSWORD).await, 429, "rate_limited");
}

#[rocket::async_test]
async fn a_huge_unknown_identifier_is_limited_like_any_other() {
    let app = TestApp::new().await;
    // Longer than Postgres can index as a key: the counter's key is bounded.
    // Varied characters, so the database can't compress it into a small key either.
    let mut seed = 7u64;
    let huge: String = (0..20_000)
        .map(|_| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            char::from(b'a' + (seed >> 59) as u8 % 26)
        })
        .collect();
    for _ in 0..5 {
        assert_error(&app.login(&huge, WRONG).await, 401, "invalid_credentials");
    }
    assert_error(&app.login(&huge, WRONG).await, 429, "rate_limited");
}

#[rocket::async_test]
async fn the_limit_holds_for_every_spelling_of_an_account() {
    let app = TestApp::new().await;
    app.signup("ann").await;
    for login in ["ann", "ANN", "ann@example.com", "Ann@Example.com", "ann"] {
        assert_error(&app.login(login, WRONG).await, 401, "invalid_credentials");
    }
    for login in ["ann", "ann@example.com", "ANN@EXAMPLE.COM"] {
        assert_error(&app.login(login, PASSWORD).await, 429, "rate_limited");
    }
    // Unknown identifiers are limited by their normalised spelling.
    for _ in 0..5 {
        assert_error(&app.login("ghost", WRONG).await, 401, "invalid_credentials");
    }
    assert_error(&app.login(" GHOST ", WRONG).await, 429, "rate_limited");
    // Another client is not locked out.
    let r = app
        .post(
            "/api/auth/login",
            &Req::default().from("198.51.100.7:5000"),
            json!({"login": "ann", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[rocket::async_test]
async fn a_user_manager_who_is_not_an_admin_cannot_act_on_admins_or_escalate() {
    let app = TestApp::new().await;
    let (_boss, boss_user) = app.user_with("boss", "admin", &[]).await;
    let (_second, second_user) = app.user_with("second", "admin", &[]).await;
    let (mgr, mgr_user) = app.user_with("mgr", "user", &["users:manage", "orders:manage"]).await;
    let (_ann, ann_user) = app.signup("ann").await;
    let (boss_id, second_id) = (boss_user["id"].as_i64().unwrap(), second_user["id"].as_i64().unwrap());
    let (mgr_id, ann_id) = (mgr_user["id"].as_i64().unwrap(), ann_user["id"].as_i64().unwrap());
    let m = Req::bearer(&mgr);
    let user = |id: i64| format!("/api/users/{id}");

    for patch in [
        json!({"email": "taken-over@example.com"}),
        json!({"username": "pwned"}),
        json!({"name": "Pwned"}),
        json!({"permissions": []}),
        json!({"isActive": false}),
    ] {
        assert_error(&app.patch(&user(boss_id), &m, patch.clone()).await, 403, "forbidden");
        assert_error(&app.patch(&user(second_id), &m, patch).await, 403, "forbidden");
    }
    assert_error(&app.delete(&user(second_id), &m).await, 403, "forbidden");
    assert_eq!(app.get(&user(boss_id), &m).await.body["email"], "boss@example.com", "reading is fine");
    assert_eq!(app.count("SELECT count(*) FROM users WHERE role = 'admin' AND is_active").await, 2);

    // No escalation: not its own permissions, not a permission it lacks.
    let more = json!({"permissions": ["users:manage", "orders:manage", "catalog:write"]});
    assert_error(&app.patch(&user(mgr_id), &m, more).await, 403, "forbidden");
    assert_error(
        &app.patch("/api/users/me", &m, json!({"permissions": ["users:manage"]})).await,
        403,
        "forbidden",
    );
    assert_error(
        &app.patch(&user(ann_id), &m, json!({"permissions": ["assets:write"]})).await,
        403,
        "forbidden",
    );
    let me = app.get("/api/users/me", &m).await;
    assert_eq!(me.body["permissions"], json!(["orders:manage", "users:manage"]));

    // Ordinary users are still its to manage, with what it holds.
    let r = app.patch(&user(ann_id), &m, json!({"name": "Ann B", "permissions": ["orders:manage"]})).await;
    assert_eq!((r.status, &r.body["permissions"]), (200, &json!(["orders:manage"])), "{}", r.body);
    let r = app.patch(&user(ann_id), &m, json!({"permissions": []})).await;
    assert_eq!(r.status, 200, "taking away what it holds is fine");
    assert_eq!(app.patch(&user(ann_id), &m, json!({"isActive": false})).await.status, 200);
    assert_eq!(app.delete(&user(ann_id), &m).await.status, 204);
}

#[rocket::async_test]
async fn a_demotion_is_not_undone_by_a_racing_patch() {
    let app = Arc::new(TestApp::new().await);
    let boss = Arc::new(app.admin("boss").await);
    let (mgr, _) = app.user_with("mgr", "user", &["users:manage"]).await;
    let mgr = Arc::new(mgr);
    let (_x, x_user) = app.signup("xavier").await;
    let x = x_user["id"].as_i64().unwrap();
    for round in 0..15 {
        app.exec("UPDATE users SET role = 'admin' WHERE id = $1", &[x.into()]).await;
        let rs = parallel(&app, 2, |app, i| {
            let token = if i == 0 { boss.clone() } else { mgr.clone() };
            async move {
                let body =
                    if i == 0 { json!({"role": "user"}) } else { json!({"role": "admin", "name": "X"}) };
                app.patch(&format!("/api/users/{x}"), &Req::bearer(&token), body).await
            }
        })
        .await;
        assert_eq!(rs[0].status, 200, "round {round}: {}", rs[0].body);
        assert_error(&rs[1], 403, "forbidden");
        let role = app.text("SELECT role FROM users WHERE id = $1", &[x.into()]).await;
        assert_eq!(role, "user", "round {round}");
    }
}

#[rocket::async_test]
async fn two_admins_demoting_each_other_at_once_leave_exactly_one() {
    let app = Arc::new(TestApp::new().await);
    let (ann, ann_user) = app.user_with("ann", "admin", &[]).await;
    let (bob, bob_user) = app.user_with("bob", "admin", &[]).await;
    let (ann_id, bob_id) = (ann_user["id"].as_i64().unwrap(), bob_user["id"].as_i64().unwrap());
    let tokens = Arc::new([(ann, bob_id), (bob, ann_id)]);
    for round in 0..10 {
        app.exec("UPDATE users SET role = 'admin'", &[]).await;
        let rs = parallel(&app, 2, |app, i| {
            let tokens = tokens.clone();
            async move {
                let (token, target) = &tokens[i];
                app.patch(&format!("/api/users/{target}"), &Req::bearer(token), json!({"role": "user"})).await
            }
        })
        .await;
        // The loser is refused as the last admin's demoter (409), or, when its request started
        // after the other's commit, as no longer an admin (403); never an error.
        let bodies: Vec<_> = rs.iter().map(|r| &r.body).collect();
        assert_eq!(rs.iter().filter(|r| r.status == 200).count(), 1, "round {round}: {bodies:?}");
        let loser = rs.iter().find(|r| r.status != 200).unwrap();
        assert!(
            matches!((loser.status, loser.code()), (409, "last_admin") | (403, "forbidden")),
            "round {round}: {bodies:?}"
        );
        assert_eq!(app.count("SELECT count(*) FROM users WHERE role = 'admin' AND is_active").await, 1);
    }
}

#[rocket::async_test]
async fn csrf_compares_the_whole_origin() {
    let app = TestApp::new().await;
    let (token, _) = app.signup("ann").await;
    let patch = |origin: &str| {
        let req = Req::cookie(&token).header("Host", "127.0.0.1:8000").header("Origin", origin);
        let app = &app;
        async move { app.patch("/api/users/me", &req, json!({"name": "X"})).await }
    };
    assert_eq!(patch("http://127.0.0.1:8000").await.status, 200);
    for other in
        ["https://127.0.0.1:8000", "http://127.0.0.1:8001", "http://127.0.0.2:8000", "null", "127.0.0.1:8000"]
    {
        assert_error(&patch(other).await, 403, "csrf_rejected");
    }
}

#[rocket::async_test]
async fn live_sessions_are_capped_at_a_hundred_oldest_first() {
    let app = TestApp::new().await;
    let (first, user) = app.signup("ann").await;
    let (second, _) = {
        let r = app.login("ann", PASSWORD).await;
        (r.body["token"].as_str().unwrap().to_owned(), ())
    };
    for _ in 0..99 {
        assert_eq!(app.login("ann", PASSWORD).await.status, 200);
    }
    let id = user["id"].as_i64().unwrap();
    assert_eq!(app.count(&format!("SELECT count(*) FROM sessions WHERE user_id = {id}")).await, 100);
    assert_error(&app.get("/api/users/me", &Req::bearer(&first)).await, 401, "unauthorized");
    assert_eq!(app.get("/api/users/me", &Req::bearer(&second)).await.status, 200);
    assert_eq!(
        app.get("/api/auth/sessions", &Req::bearer(&second)).await.body.as_array().unwrap().len(),
        100
    );
}

#[rocket::async_test]
async fn a_cart_add_that_would_overflow_the_total_is_refused_and_saves_nothing() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let (ann, _) = app.signup("ann").await;
    // Each line is worth 10^17 cents (the largest price × the largest stock); 92 of them fit in
    // 64-bit cents (9.2 × 10^18), the 93rd would not.
    let mut ids = Vec::new();
    for i in 0..93 {
        ids.push(product(&app, &clerk, &format!("Gold bar {i}"), 10_000_000_000, 10_000_000).await);
    }
    for id in &ids[..92] {
        assert_eq!(add_to_cart(&app, &ann, *id, 10_000_000).await.status, 200);
    }
    let r = add_to_cart(&app, &ann, ids[92], 10_000_000).await;
    assert_error(&r, 400, "validation_failed");
    assert!(fields(&r)["quantity"].as_str().unwrap().contains("too large"), "{}", r.body);
    let cart = app.get("/api/cart", &Req::bearer(&ann)).await;
    assert_eq!(cart.status, 200, "the cart still reads: {}", cart.body);
    assert_eq!(cart.body["items"].as_array().unwrap().len(), 92);
    assert_eq!(cart.body["total"], 9_200_000_000_000_000_000_i64);
    // Setting a line's quantity is held to the same rule.
    let small = add_to_cart(&app, &ann, ids[92], 1).await;
    assert_eq!(small.status, 200, "{}", small.body);
    let r =
        app.put(&format!("/api/cart/{}", ids[92]), &Req::bearer(&ann), json!({"quantity": 10_000_000})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(app.get("/api/cart", &Req::bearer(&ann)).await.body["items"][92]["quantity"], 1);
}

#[rocket::async_test]
async fn non_ascii_emails_log_in_in_any_case() {
    let app = TestApp::new().await;
    let r = app
        .post("/api/auth/signup", &Req::default(), json!({"email": "ÄNNE@Example.com", "password": PASSWORD}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["user"]["email"], "änne@example.com");
    for login in ["ÄNNE@example.com", "änne@EXAMPLE.COM", " Änne@example.com "] {
        assert_eq!(app.login(login, PASSWORD).await.status, 200, "{login}");
    }
    let dup = json!({"email": "änne@example.COM", "password": PASSWORD});
    assert_error(&app.post("/api/auth/signup", &Req::default(), dup).await, 409, "email_taken");
}

#[rocket::async_test]
async fn odd_paths_get_our_page_never_the_frameworks() {
    let app = TestApp::new().await;
    for path in ["/.env", "/.git/config", "/a/.hidden", "/no-such-file.png"] {
        let r = app.get(path, &Req::default()).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"), "{path}");
        assert!(
            r.header("content-security-policy").is_some_and(|c| c.contains("default-src 'self'")),
            "{path}"
        );
        let body = r.body.as_str().unwrap_or_default();
        assert!(body.contains("Not found") && body.contains("Stockroom"), "{path}: {body}");
        assert!(!body.to_lowercase().contains("rocket"), "{path}: {body}");
    }
    let r = app.get("/api/.env", &Req::default()).await;
    assert_error(&r, 404, "not_found");
}
