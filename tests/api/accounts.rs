//! Signup, login, profile, password, deletion and user management, through the real app.

use futures::future::join_all;
use serde_json::json;

use crate::helpers::{assert_error, fields, Req, TestApp, PASSWORD};

fn is_timestamp(v: &serde_json::Value) -> bool {
    let s = v.as_str().unwrap_or_default();
    chrono::DateTime::parse_from_rfc3339(s).is_ok() && s.ends_with('Z') && s.len() == 24
}

#[rocket::async_test]
async fn signup_returns_user_token_and_cookie() {
    let app = TestApp::new().await;
    let r = app
        .post(
            "/api/auth/signup",
            &Req::default(),
            json!({"email": "  Ann@Example.COM ", "password": PASSWORD, "username": "ann_b"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["message"], "User created successfully");
    let user = &r.body["user"];
    assert_eq!(user["id"], 1);
    assert_eq!(user["email"], "ann@example.com");
    assert_eq!(user["username"], "ann_b");
    assert_eq!(user["name"], "ann_b");
    assert_eq!(user["role"], "user");
    assert_eq!(user["permissions"], json!([]));
    assert_eq!(user["isActive"], true);
    assert_eq!(user["lastLogin"], serde_json::Value::Null);
    assert_eq!(user["emailVerified"], false);
    assert_eq!(user["twoFactorEnabled"], false);
    assert!(is_timestamp(&user["createdAt"]) && is_timestamp(&user["updatedAt"]), "{user}");
    assert_eq!(user.as_object().unwrap().len(), 12, "exactly the spec's fields (§3, §9, §10): {user}");
    let token = r.body["token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3);
    let cookie = r.cookie().expect("cookie set");
    assert!(cookie.starts_with(&format!("stockroom_token={token}")), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
        assert!(cookie.contains(flag), "missing {flag}: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "cookie_secure=auto without HTTPS: {cookie}");
    // The stored password is an argon2id PHC string, never the password.
    let hash = app.text("SELECT password_hash FROM users", &[]).await;
    assert!(hash.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "{hash}");
}

#[rocket::async_test]
async fn signup_name_defaults_to_email_local_part_and_cookie_secure_is_configurable() {
    let app = TestApp::with(|f| f.merge(("cookie_secure", true))).await;
    let r = app
        .post("/api/auth/signup", &Req::default(), json!({"email": "bo@x.io", "password": PASSWORD}))
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["user"]["name"], "bo");
    assert_eq!(r.body["user"]["username"], serde_json::Value::Null);
    assert!(r.cookie().unwrap().contains("Secure"));
}

#[rocket::async_test]
async fn signup_reports_every_invalid_field() {
    let app = TestApp::new().await;
    let r = app.post("/api/auth/signup", &Req::default(), json!({})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r).len(), 2);
    assert_eq!(fields(&r)["email"], "is required");
    assert_eq!(fields(&r)["password"], "is required");

    let r = app
        .post(
            "/api/auth/signup",
            &Req::default(),
            json!({"email": "not-an-email", "password": "short", "username": "a@b", "name": "x".repeat(101)}),
        )
        .await;
    assert_error(&r, 400, "validation_failed");
    let f = fields(&r);
    assert_eq!(f["email"], "must be a valid email address");
    assert_eq!(f["password"], "must be 8 to 128 characters");
    assert!(
        f["username"].as_str().unwrap().starts_with("must be 3 to 32")
            || f["username"].as_str().unwrap().contains("only contain")
    );
    assert_eq!(f["name"], "must be at most 100 characters");

    let r = app
        .post("/api/auth/signup", &Req::default(), json!({"email": "c@x.io", "password": "password123"}))
        .await;
    assert_error(&r, 400, "validation_failed");
    assert!(fields(&r)["password"].as_str().unwrap().starts_with("is too easy to guess"), "{}", r.body);

    let r =
        app.post("/api/auth/signup", &Req::default(), json!({"email": "c@x.io", "password": 12345678})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r)["password"], "must be a string");
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0, "nothing stored");
}

#[rocket::async_test]
async fn email_and_username_are_unique_case_insensitively() {
    let app = TestApp::new().await;
    app.signup("ann").await;
    let taken =
        |email: &str, username: &str| json!({"email": email, "username": username, "password": PASSWORD});
    let r = app.post("/api/auth/signup", &Req::default(), taken("ANN@example.com", "other")).await;
    assert_error(&r, 409, "email_taken");
    let r = app.post("/api/auth/signup", &Req::default(), taken("new@example.com", "ANN")).await;
    assert_error(&r, 409, "username_taken");
    assert_eq!(app.count("SELECT count(*) FROM users").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_signups_with_one_email_create_exactly_one_user() {
    let app = TestApp::new().await;
    let tasks = (0..12).map(|i| {
        let client = app.client.clone();
        tokio::spawn(async move {
            let body =
                json!({"email": "race@example.com", "username": format!("racer{i}"), "password": PASSWORD});
            let res = client
                .post("/api/auth/signup")
                .header(rocket::http::ContentType::JSON)
                .body(body.to_string())
                .dispatch()
                .await;
            res.status().code
        })
    });
    let mut codes: Vec<u16> = join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    codes.sort();
    assert_eq!(codes[0], 201);
    assert!(codes[1..].iter().all(|c| *c == 409), "{codes:?}");
    assert_eq!(app.count("SELECT count(*) FROM users").await, 1);
}

#[rocket::async_test]
async fn login_by_username_or_email_in_any_case() {
    let app = TestApp::new().await;
    app.signup("ann").await;
    for login in ["ann", "ANN", "ann@example.com", " Ann@Example.com "] {
        let r = app.login(login, PASSWORD).await;
        assert_eq!(r.status, 200, "{login}: {}", r.body);
        assert_eq!(r.body["message"], "Login successful");
        assert_eq!(r.body["user"]["username"], "ann");
        assert!(is_timestamp(&r.body["user"]["lastLogin"]));
        assert!(r.cookie().is_some());
    }
    for body in [
        json!({"email": "ann@example.com", "password": PASSWORD}),
        json!({"username": "ann", "password": PASSWORD}),
    ] {
        assert_eq!(app.post("/api/auth/login", &Req::default(), body).await.status, 200);
    }
    let r = app.post("/api/auth/login", &Req::default(), json!({})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r).keys().collect::<Vec<_>>(), ["login", "password"]);
    let me = app
        .get("/api/users/me", &Req::bearer(app.login("ann", PASSWORD).await.body["token"].as_str().unwrap()))
        .await;
    assert!(is_timestamp(&me.body["lastLogin"]), "lastLogin is stored: {}", me.body);
}

#[rocket::async_test]
async fn unknown_login_and_wrong_password_are_indistinguishable() {
    let app = TestApp::new().await;
    app.signup("ann").await;
    let wrong = app.login("ann", "wrong-password-1").await;
    let unknown = app.login("nobody", PASSWORD).await;
    assert_error(&wrong, 401, "invalid_credentials");
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.status, unknown.status);
}

#[rocket::async_test]
async fn deactivated_account_is_told_only_after_a_correct_password() {
    let app = TestApp::new().await;
    let (token, user) = app.signup("ann").await;
    let boss = app.admin("boss").await;
    let id = user["id"].as_i64().unwrap();
    let r = app.patch(&format!("/api/users/{id}"), &Req::bearer(&boss), json!({"isActive": false})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["isActive"], false);
    assert_error(&app.get("/api/users/me", &Req::bearer(&token)).await, 401, "unauthorized");
    assert_error(&app.login("ann", "wrong-password-1").await, 401, "invalid_credentials");
    assert_error(&app.login("ann", PASSWORD).await, 403, "account_disabled");
    let r = app.patch(&format!("/api/users/{id}"), &Req::bearer(&boss), json!({"isActive": true})).await;
    assert_eq!(r.status, 200);
    assert_eq!(app.login("ann", PASSWORD).await.status, 200);
}

#[rocket::async_test]
async fn logout_revokes_the_token_and_clears_the_cookie() {
    let app = TestApp::new().await;
    let (token, _) = app.signup("ann").await;
    let other = app.login("ann", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let r = app.post("/api/auth/logout", &Req::bearer(&token), json!(null)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!({"message": "Logged out"}));
    let cleared = r.cookie().expect("cookie cleared");
    assert!(cleared.contains("Max-Age=0") || cleared.contains("expires="), "{cleared}");
    assert_error(&app.get("/api/users/me", &Req::bearer(&token)).await, 401, "unauthorized");
    assert_eq!(app.get("/api/users/me", &Req::bearer(&other)).await.status, 200, "other sessions live on");
    // Signing out always works: with the revoked token, a garbage one, or none at all.
    for req in [Req::bearer(&token), Req::cookie(&token), Req::bearer("garbage"), Req::default()] {
        let r = app.post("/api/auth/logout", &req, json!(null)).await;
        assert_eq!((r.status, &r.body), (200, &json!({"message": "Logged out"})));
        assert!(r.cookie().expect("cookie cleared").contains("Max-Age=0"));
    }
    // The one refusal: a live cookie session signed out by a cross-site request stays.
    let r = app
        .post("/api/auth/logout", &Req::cookie(&other).header("Origin", "https://evil.example"), json!(null))
        .await;
    assert_error(&r, 403, "csrf_rejected");
    assert_eq!(app.get("/api/users/me", &Req::bearer(&other)).await.status, 200);
}

#[rocket::async_test]
async fn logout_all_revokes_every_session() {
    let app = TestApp::new().await;
    let (a, _) = app.signup("ann").await;
    let b = app.login("ann", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let (c, _) = app.signup("cat").await;
    let r = app.post("/api/auth/logout-all", &Req::bearer(&a), json!(null)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["message"], "Logged out everywhere");
    assert_eq!(app.get("/api/users/me", &Req::bearer(&a)).await.status, 401);
    assert_eq!(app.get("/api/users/me", &Req::bearer(&b)).await.status, 401);
    assert_eq!(app.get("/api/users/me", &Req::bearer(&c)).await.status, 200, "other users unaffected");
}

#[rocket::async_test]
async fn refresh_issues_a_new_session_and_revokes_the_old() {
    let app = TestApp::new().await;
    let (old, _) = app.signup("ann").await;
    let r = app.post("/api/auth/refresh", &Req::bearer(&old), json!(null)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body.as_object().unwrap().keys().collect::<Vec<_>>(), ["token", "user"]);
    let new = r.body["token"].as_str().unwrap();
    assert_ne!(new, old);
    assert!(r.cookie().unwrap().contains(new));
    assert_eq!(app.get("/api/users/me", &Req::bearer(&old)).await.status, 401);
    assert_eq!(app.get("/api/users/me", &Req::bearer(new)).await.status, 200);
    assert_eq!(app.post("/api/auth/refresh", &Req::bearer(&old), json!(null)).await.status, 401);
}

#[rocket::async_test]
async fn sessions_are_listed_and_revocable_but_not_across_users() {
    let app = TestApp::new().await;
    let (first, _) = app.signup("ann").await;
    let second = app
        .request(
            rocket::http::Method::Post,
            "/api/auth/login",
            &Req::default().header("User-Agent", "PhoneBrowser/1.0").from("10.1.2.3:5555"),
            Some(json!({"login": "ann", "password": PASSWORD})),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.get("/api/auth/sessions", &Req::bearer(&first)).await;
    assert_eq!(r.status, 200);
    let list = r.body.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["current"], false, "newest first: {}", r.body);
    assert_eq!(list[0]["userAgent"], "PhoneBrowser/1.0");
    assert_eq!(list[0]["ip"], "10.1.2.3");
    assert_eq!(list[1]["current"], true);
    for s in list {
        assert_eq!(s.as_object().unwrap().len(), 6);
        assert!(is_timestamp(&s["createdAt"]) && is_timestamp(&s["lastSeenAt"]));
    }
    let second_id = list[0]["id"].as_i64().unwrap();

    let (cat, _) = app.signup("cat").await;
    let r = app.delete(&format!("/api/auth/sessions/{second_id}"), &Req::bearer(&cat)).await;
    assert_error(&r, 404, "not_found");
    assert_eq!(app.get("/api/users/me", &Req::bearer(&second)).await.status, 200);

    let r = app.delete(&format!("/api/auth/sessions/{second_id}"), &Req::bearer(&first)).await;
    assert_eq!(r.status, 204);
    assert_eq!(app.get("/api/users/me", &Req::bearer(&second)).await.status, 401);
    assert_eq!(app.get("/api/auth/sessions", &Req::bearer(&first)).await.body.as_array().unwrap().len(), 1);
    assert_error(&app.delete("/api/auth/sessions/999", &Req::bearer(&first)).await, 404, "not_found");
}

#[rocket::async_test]
async fn profile_has_the_original_shape() {
    let app = TestApp::new().await;
    let (token, user) = app.signup("ann").await;
    let r = app.get("/api/user/profile", &Req::bearer(&token)).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        json!({"message": "Profile retrieved successfully",
               "user": {"userId": user["id"], "email": "ann@example.com", "name": "ann", "username": "ann"}})
    );
    assert_error(&app.get("/api/user/profile", &Req::default()).await, 401, "unauthorized");
}

#[rocket::async_test]
async fn profile_update_rechecks_the_password_for_an_email_change() {
    let app = TestApp::new().await;
    let (token, _) = app.signup("ann").await;
    let me = Req::bearer(&token);
    let r = app.patch("/api/users/me", &me, json!({"name": "Ann B", "username": "annb"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["name"].as_str(), r.body["username"].as_str()), (Some("Ann B"), Some("annb")));

    let r = app.patch("/api/users/me", &me, json!({"email": "new@example.com"})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r)["currentPassword"], "is required to change the email");
    let r = app
        .patch("/api/users/me", &me, json!({"email": "new@example.com", "currentPassword": "nope-nope-1"}))
        .await;
    assert_error(&r, 403, "wrong_password");
    assert_eq!(app.get("/api/users/me", &me).await.status, 200, "a wrong password never ends the session");
    let r = app
        .patch("/api/users/me", &me, json!({"email": "New@Example.com", "currentPassword": PASSWORD}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["email"], "new@example.com");
    assert_eq!(app.login("new@example.com", PASSWORD).await.status, 200);

    let r = app.patch("/api/users/me", &me, json!({"username": null})).await;
    assert_eq!(r.body["username"], serde_json::Value::Null, "null removes the username");
    app.signup("bob").await;
    assert_error(&app.patch("/api/users/me", &me, json!({"username": "BOB"})).await, 409, "username_taken");
    let r = app.patch("/api/users/me", &me, json!({"role": "admin"})).await;
    assert_error(&r, 403, "forbidden");
    let r = app.patch("/api/users/me", &me, json!({"permissions": ["users:manage"]})).await;
    assert_error(&r, 403, "forbidden");
}

#[rocket::async_test]
async fn password_change_revokes_every_other_session() {
    let app = TestApp::new().await;
    let (token, _) = app.signup("ann").await;
    let other = app.login("ann", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let me = Req::bearer(&token);
    let new = "violet-canoe-thunder-7";
    let r = app
        .put("/api/users/me/password", &me, json!({"currentPassword": "wrong-one-1", "newPassword": new}))
        .await;
    assert_error(&r, 403, "wrong_password");
    assert_eq!(app.get("/api/users/me", &me).await.status, 200);
    let r = app
        .put("/api/users/me/password", &me, json!({"currentPassword": PASSWORD, "newPassword": "abc"}))
        .await;
    assert_error(&r, 400, "validation_failed");
    assert!(fields(&r).contains_key("newPassword"));
    let r = app
        .put("/api/users/me/password", &me, json!({"currentPassword": PASSWORD, "newPassword": new}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["message"], "Password changed");
    assert_eq!(app.get("/api/users/me", &me).await.status, 200, "this session stays");
    assert_eq!(app.get("/api/users/me", &Req::bearer(&other)).await.status, 401, "others are revoked");
    assert_error(&app.login("ann", PASSWORD).await, 401, "invalid_credentials");
    assert_eq!(app.login("ann", new).await.status, 200);
}

#[rocket::async_test]
async fn deleting_the_account_needs_the_password_and_ends_everything() {
    let app = TestApp::new().await;
    let (token, _) = app.signup("ann").await;
    let me = Req::bearer(&token);
    assert_error(
        &app.request(rocket::http::Method::Delete, "/api/users/me", &me, Some(json!({}))).await,
        400,
        "validation_failed",
    );
    let r = app
        .request(
            rocket::http::Method::Delete,
            "/api/users/me",
            &me,
            Some(json!({"password": "bad-bad-bad-1"})),
        )
        .await;
    assert_error(&r, 403, "wrong_password");
    let r = app
        .request(rocket::http::Method::Delete, "/api/users/me", &me, Some(json!({"password": PASSWORD})))
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.body, serde_json::Value::Null);
    assert_error(&app.get("/api/users/me", &me).await, 401, "unauthorized");
    assert_error(&app.login("ann", PASSWORD).await, 401, "invalid_credentials");
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
}

#[rocket::async_test]
async fn user_management_needs_users_manage() {
    let app = TestApp::new().await;
    let (ann, ann_user) = app.signup("ann").await;
    let (mgr, _) = app.user_with("mgr", "user", &["users:manage"]).await;
    for i in 0..3 {
        app.signup(&format!("extra{i}")).await;
    }
    assert_error(&app.get("/api/users", &Req::bearer(&ann)).await, 403, "forbidden");
    assert_error(&app.get("/api/users", &Req::default()).await, 401, "unauthorized");

    let r = app.get("/api/users?perPage=2&page=2", &Req::bearer(&mgr)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["page"], 2);
    assert_eq!(r.body["perPage"], 2);
    assert_eq!(r.body["totalItems"], 5);
    assert_eq!(r.body["totalPages"], 3);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["items"][0]["username"], "extra0");
    let r = app.get("/api/users?page=9", &Req::bearer(&mgr)).await;
    assert_eq!(r.body["items"], json!([]), "a page past the end has no items");
    let r = app.get("/api/users?q=EXTRA1", &Req::bearer(&mgr)).await;
    assert_eq!(r.body["totalItems"], 1);
    let r = app.get("/api/users?q=%25", &Req::bearer(&mgr)).await;
    assert_eq!(r.body["totalItems"], 0, "LIKE wildcards are literal");
    let r = app.get("/api/users?perPage=0&page=x", &Req::bearer(&mgr)).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r).keys().collect::<Vec<_>>(), ["page", "perPage"]);
    assert_error(&app.get("/api/users?perPage=101", &Req::bearer(&mgr)).await, 400, "validation_failed");

    let ann_id = ann_user["id"].as_i64().unwrap();
    let (cat, cat_user) = app.signup("cat").await;
    let cat_id = cat_user["id"].as_i64().unwrap();
    assert_eq!(app.get(&format!("/api/users/{ann_id}"), &Req::bearer(&ann)).await.status, 200, "self");
    assert_error(&app.get(&format!("/api/users/{cat_id}"), &Req::bearer(&ann)).await, 403, "forbidden");
    assert_error(
        &app.patch(&format!("/api/users/{cat_id}"), &Req::bearer(&ann), json!({"name": "x"})).await,
        403,
        "forbidden",
    );
    assert_error(&app.delete(&format!("/api/users/{cat_id}"), &Req::bearer(&ann)).await, 403, "forbidden");
    assert_eq!(app.get(&format!("/api/users/{cat_id}"), &Req::bearer(&mgr)).await.body["username"], "cat");
    assert_error(&app.get("/api/users/9999", &Req::bearer(&mgr)).await, 404, "not_found");

    // A manager grants only what it holds (here users:manage); an admin grants anything.
    let r = app
        .patch(
            &format!("/api/users/{cat_id}"),
            &Req::bearer(&mgr),
            json!({"permissions": ["users:manage", "users:manage"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["permissions"], json!(["users:manage"]));
    let r = app
        .patch(&format!("/api/users/{cat_id}"), &Req::bearer(&mgr), json!({"permissions": ["catalog:write"]}))
        .await;
    assert_error(&r, 403, "forbidden");
    let r = app
        .patch(&format!("/api/users/{cat_id}"), &Req::bearer(&mgr), json!({"permissions": ["root"]}))
        .await;
    assert_error(&r, 400, "validation_failed");
    assert!(fields(&r).contains_key("permissions"));
    let r = app.patch(&format!("/api/users/{cat_id}"), &Req::bearer(&mgr), json!({"role": "admin"})).await;
    assert_error(&r, 403, "forbidden");
    let r = app
        .patch(&format!("/api/users/{cat_id}"), &Req::bearer(&mgr), json!({"email": "cat2@example.com"}))
        .await;
    assert_eq!(r.body["email"], "cat2@example.com", "a manager needs no password for someone else");

    assert_eq!(app.delete(&format!("/api/users/{cat_id}"), &Req::bearer(&mgr)).await.status, 204);
    assert_eq!(app.get("/api/users/me", &Req::bearer(&cat)).await.status, 401);
    assert_error(&app.delete(&format!("/api/users/{cat_id}"), &Req::bearer(&mgr)).await, 404, "not_found");
}

#[rocket::async_test]
async fn revoking_a_permission_takes_effect_on_the_next_request() {
    let app = TestApp::new().await;
    let boss = app.admin("boss").await;
    let (mgr, mgr_user) = app.user_with("mgr", "user", &["users:manage"]).await;
    assert_eq!(app.get("/api/users", &Req::bearer(&mgr)).await.status, 200);
    let id = mgr_user["id"].as_i64().unwrap();
    let r = app.patch(&format!("/api/users/{id}"), &Req::bearer(&boss), json!({"permissions": []})).await;
    assert_eq!(r.status, 200);
    assert_error(&app.get("/api/users", &Req::bearer(&mgr)).await, 403, "forbidden");
}

#[rocket::async_test]
async fn the_last_active_admin_cannot_be_removed() {
    let app = TestApp::new().await;
    let (boss, boss_user) = app.user_with("boss", "admin", &[]).await;
    let id = boss_user["id"].as_i64().unwrap();
    let me = Req::bearer(&boss);
    assert_error(
        &app.patch(&format!("/api/users/{id}"), &me, json!({"role": "user"})).await,
        409,
        "last_admin",
    );
    assert_error(
        &app.patch(&format!("/api/users/{id}"), &me, json!({"isActive": false})).await,
        409,
        "last_admin",
    );
    assert_error(&app.delete(&format!("/api/users/{id}"), &me).await, 400, "validation_failed");
    let r = app
        .request(rocket::http::Method::Delete, "/api/users/me", &me, Some(json!({"password": PASSWORD})))
        .await;
    assert_error(&r, 409, "last_admin");
    assert_eq!(app.get("/api/users/me", &me).await.body["role"], "admin");

    let (_, second) = app.signup("second").await;
    let second_id = second["id"].as_i64().unwrap();
    let r = app.patch(&format!("/api/users/{second_id}"), &me, json!({"role": "admin"})).await;
    assert_eq!(r.body["role"], "admin", "an admin may grant the role");
    let r = app.patch(&format!("/api/users/{id}"), &me, json!({"role": "user"})).await;
    assert_eq!(r.status, 200, "no longer the last: {}", r.body);
    assert_error(&app.get("/api/users", &me).await, 403, "forbidden");
}

#[rocket::async_test]
async fn outdated_password_hashes_are_upgraded_at_login() {
    let app = TestApp::new().await;
    let (_, user) = app.signup("ann").await;
    let old_config =
        stockroom::config::Config { argon2_memory_kib: 128, argon2_iterations: 2, ..Default::default() };
    let old_hash = stockroom::auth::password::Hasher::new(&old_config).hash(PASSWORD).await.unwrap();
    assert!(old_hash.contains("m=128,t=2"));
    let id = user["id"].as_i64().unwrap();
    app.exec("UPDATE users SET password_hash = $1 WHERE id = $2", &[old_hash.as_str().into(), id.into()])
        .await;
    assert_eq!(app.login("ann", PASSWORD).await.status, 200);
    let hash = app.text("SELECT password_hash FROM users", &[]).await;
    assert!(hash.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "upgraded: {hash}");
    assert_eq!(app.login("ann", PASSWORD).await.status, 200, "the new hash verifies");
}

#[rocket::async_test]
async fn the_session_probe_answers_200_signed_in_or_not() {
    let app = TestApp::new().await;
    let (token, user) = app.signup("ann").await;
    let r = app.get("/api/session", &Req::default()).await;
    assert_eq!((r.status, &r.body), (200, &json!({"user": null})));
    assert_eq!(r.cookie(), None, "nothing to clear");
    let r = app.get("/api/session", &Req::cookie(&token)).await;
    assert_eq!((r.status, &r.body["user"]), (200, &user));
    assert_eq!(app.get("/api/session", &Req::bearer(&token)).await.body["user"]["id"], user["id"]);

    // A dead session reads as signed out, and its cookie is cleared.
    assert_eq!(app.post("/api/auth/logout", &Req::bearer(&token), json!(null)).await.status, 200);
    let r = app.get("/api/session", &Req::cookie(&token)).await;
    assert_eq!((r.status, &r.body), (200, &json!({"user": null})));
    let cleared = r.cookie().expect("the dead cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let r = app.get("/api/session", &Req::bearer("not-a-token")).await;
    assert_eq!((r.status, &r.body), (200, &json!({"user": null})));
}
