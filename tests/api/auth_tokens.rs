//! Tokens that must not work, CSRF on cookie requests, and the rate limits.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rocket::http::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_error, Req, TestApp, PASSWORD};

const SECRET: &str = "test-secret-that-is-long-enough-0123456789";

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
}

fn decode_part(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn claims_of(token: &str) -> Value {
    decode_part(token.split('.').nth(1).unwrap())
}

fn sign(header: Header, claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

async fn app_with_secret() -> TestApp {
    TestApp::with(|f| f.merge(("jwt_secret", SECRET))).await
}

#[rocket::async_test]
async fn token_claims_follow_the_spec() {
    let app = app_with_secret().await;
    let (token, user) = app.signup("ann").await;
    let c = claims_of(&token);
    assert_eq!(c["sub"], user["id"].to_string());
    assert_eq!(c["userId"], user["id"]);
    assert_eq!(c["username"], "ann");
    assert_eq!(c["email"], "ann@example.com");
    assert_eq!(c["name"], "ann");
    assert_eq!(c["role"], "user");
    assert!(c["sid"].as_i64().is_some());
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 604_800);
    let header = decode_part(token.split('.').next().unwrap());
    assert_eq!(header["alg"], "HS256");
}

#[rocket::async_test]
async fn forged_and_expired_tokens_are_rejected() {
    let app = app_with_secret().await;
    let (token, _) = app.signup("ann").await;
    assert_eq!(app.get("/api/users/me", &Req::bearer(&token)).await.status, 200);
    let claims = claims_of(&token);
    let now = chrono::Utc::now().timestamp();

    let mut bad: Vec<(&str, String)> = Vec::new();
    // Tampered payload, original signature.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut admin = claims.clone();
    admin["role"] = json!("admin");
    parts[1] = b64(&admin);
    bad.push(("tampered", parts.join(".")));
    // alg: none.
    bad.push(("alg none", format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&claims))));
    bad.push((
        "foreign secret",
        sign(Header::new(Algorithm::HS256), &claims, "another-secret-that-is-long-enough-xx"),
    ));
    bad.push(("HS512", sign(Header::new(Algorithm::HS512), &claims, SECRET)));
    bad.push(("HS384", sign(Header::new(Algorithm::HS384), &claims, SECRET)));
    let mut expired = claims.clone();
    expired["iat"] = json!(now - 100);
    expired["exp"] = json!(now - 1);
    bad.push(("expired", sign(Header::new(Algorithm::HS256), &expired, SECRET)));
    let mut string_exp = claims.clone();
    string_exp["exp"] = json!((now + 1000).to_string());
    bad.push(("string exp", sign(Header::new(Algorithm::HS256), &string_exp, SECRET)));
    let mut no_exp = claims.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    bad.push(("missing exp", sign(Header::new(Algorithm::HS256), &no_exp, SECRET)));
    let mut foreign_iss = claims.clone();
    foreign_iss["iss"] = json!("someone-else");
    bad.push(("foreign iss", sign(Header::new(Algorithm::HS256), &foreign_iss, SECRET)));
    let mut aud = claims.clone();
    aud["aud"] = json!("elsewhere");
    bad.push(("aud", sign(Header::new(Algorithm::HS256), &aud, SECRET)));
    let mut kid = Header::new(Algorithm::HS256);
    kid.kid = Some("k1".into());
    bad.push(("kid", sign(kid, &claims, SECRET)));
    let mut jku = Header::new(Algorithm::HS256);
    jku.jku = Some("https://evil.example/keys".into());
    bad.push(("jku", sign(jku, &claims, SECRET)));
    let mut other_user = claims.clone();
    other_user["userId"] = json!(999);
    other_user["sub"] = json!("999");
    bad.push(("session of another user", sign(Header::new(Algorithm::HS256), &other_user, SECRET)));
    bad.push(("garbage", "not.a.token".into()));

    // The control: re-signing the real claims with the real secret works, so each failure above
    // is down to the one thing changed.
    let control = sign(Header::new(Algorithm::HS256), &claims, SECRET);
    assert_eq!(app.get("/api/users/me", &Req::bearer(&control)).await.status, 200);
    for (what, t) in bad {
        let r = app.get("/api/users/me", &Req::bearer(&t)).await;
        assert_error(&r, 401, "unauthorized");
        assert_eq!(r.status, 401, "{what} was accepted");
    }
    let r =
        app.get("/api/users/me", &Req::default().header("Authorization", &format!("Basic {token}"))).await;
    assert_error(&r, 401, "unauthorized");
}

#[rocket::async_test]
async fn a_session_id_is_never_reused_by_a_later_login() {
    let app = TestApp::new().await;
    let (first, _) = app.signup("ann").await;
    assert_eq!(app.post("/api/auth/logout", &Req::bearer(&first), json!(null)).await.status, 200);
    let again = app.login("ann", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    assert_ne!(claims_of(&first)["sid"], claims_of(&again)["sid"]);
    assert_eq!(app.get("/api/users/me", &Req::bearer(&first)).await.status, 401);
}

#[rocket::async_test]
async fn role_is_read_from_the_database_not_the_token() {
    let app = TestApp::new().await;
    let (boss, _) = app.user_with("boss", "admin", &[]).await;
    assert_eq!(claims_of(&boss)["role"], "user", "token minted before promotion");
    assert_eq!(app.get("/api/users", &Req::bearer(&boss)).await.status, 200);
}

#[rocket::async_test]
async fn cookie_writes_need_same_origin_or_the_stockroom_header() {
    let app = TestApp::new().await;
    let (token, _) = app.signup("ann").await;
    let cookie = || Req::cookie(&token);
    assert_eq!(app.get("/api/users/me", &cookie()).await.status, 200, "reads need no header");

    let patch = |req: Req| {
        let app = &app;
        async move { app.patch("/api/users/me", &req, json!({"name": "X"})).await }
    };
    assert_error(&patch(cookie()).await, 403, "csrf_rejected");
    assert_error(&patch(cookie().header("Origin", "https://evil.example")).await, 403, "csrf_rejected");
    assert_error(
        &patch(cookie().header("Origin", "https://evil.example").header("X-Requested-With", "stockroom"))
            .await,
        403,
        "csrf_rejected",
    );
    assert_error(&patch(cookie().header("X-Requested-With", "XMLHttpRequest")).await, 403, "csrf_rejected");
    assert_eq!(patch(cookie().header("X-Requested-With", "stockroom")).await.status, 200);
    let same = cookie().header("Host", "shop.example:8000").header("Origin", "http://shop.example:8000");
    assert_eq!(patch(same).await.status, 200);
    // Bearer requests are exempt.
    assert_eq!(patch(Req::bearer(&token).header("Origin", "https://evil.example")).await.status, 200);
    // Logout by cookie is a state change too.
    let r = app.post("/api/auth/logout", &cookie(), json!(null)).await;
    assert_error(&r, 403, "csrf_rejected");
    assert_eq!(app.get("/api/users/me", &cookie()).await.status, 200, "refused logout changed nothing");
}

#[rocket::async_test]
async fn bearer_wins_over_the_cookie() {
    let app = TestApp::new().await;
    let (ann, _) = app.signup("ann").await;
    let (bob, _) = app.signup("bob").await;
    let both = Req { token: Some(ann.clone()), cookie: Some(bob.clone()), ..Req::default() };
    assert_eq!(app.get("/api/users/me", &both).await.body["username"], "ann");
    let dead_bearer = Req { token: Some("x.y.z".into()), cookie: Some(bob), ..Req::default() };
    assert_eq!(app.get("/api/users/me", &dead_bearer).await.status, 401, "no fallback to the cookie");
}

#[rocket::async_test]
async fn failed_logins_are_limited_per_client_and_identifier() {
    let app = TestApp::with(|f| f.merge(("login_max_failures", 3)).merge(("login_window", 600))).await;
    app.signup("ann").await;
    app.signup("bob").await;
    let attempt = |login: &'static str, password: &'static str, from: &'static str| {
        let req = Req::default().from(from);
        let app = &app;
        async move {
            app.request(
                Method::Post,
                "/api/auth/login",
                &req,
                Some(json!({"login": login, "password": password})),
            )
            .await
        }
    };
    // A success before the limit resets the count.
    for _ in 0..2 {
        assert_eq!(attempt("ann", "wrong-wrong-1", "1.1.1.1:1").await.status, 401);
    }
    assert_eq!(attempt("ann", PASSWORD, "1.1.1.1:1").await.status, 200);
    for _ in 0..3 {
        assert_eq!(attempt("ann", "wrong-wrong-1", "1.1.1.1:1").await.status, 401);
    }
    let r = attempt("ann", PASSWORD, "1.1.1.1:2").await;
    assert_error(&r, 429, "rate_limited");
    let retry: u64 = r.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    assert_eq!(attempt("ANN", PASSWORD, "1.1.1.1:3").await.status, 429, "identifier is case-insensitive");
    assert_eq!(attempt("ann", PASSWORD, "2.2.2.2:1").await.status, 200, "another client is not blocked");
    assert_eq!(attempt("bob", PASSWORD, "1.1.1.1:1").await.status, 200, "another identifier is not blocked");
    for _ in 0..3 {
        assert_eq!(attempt("ghost", "whatever-1", "3.3.3.3:1").await.status, 401);
    }
    assert_eq!(attempt("ghost", "whatever-1", "3.3.3.3:1").await.status, 429, "unknown identifiers too");
}

#[rocket::async_test]
async fn login_limit_can_be_switched_off() {
    let app = TestApp::with(|f| f.merge(("login_max_failures", 0))).await;
    app.signup("ann").await;
    for _ in 0..10 {
        assert_eq!(app.login("ann", "wrong-wrong-1").await.status, 401);
    }
    assert_eq!(app.login("ann", PASSWORD).await.status, 200);
}

#[rocket::async_test]
async fn auth_routes_are_rate_limited_per_client() {
    let app = TestApp::with(|f| f.merge(("auth_rate_limit", 4))).await;
    let (token, _) = app.signup("ann").await; // 1 request from the unspecified address
    let from = |addr: &str| Req::default().from(addr);
    for _ in 0..4 {
        let r = app
            .request(
                Method::Post,
                "/api/auth/login",
                &from("5.5.5.5:1"),
                Some(json!({"login": "ann", "password": PASSWORD})),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    let r = app
        .request(
            Method::Post,
            "/api/auth/login",
            &from("5.5.5.5:1"),
            Some(json!({"login": "ann", "password": PASSWORD})),
        )
        .await;
    assert_error(&r, 429, "rate_limited");
    let retry: u64 = r.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    let r = app
        .request(
            Method::Post,
            "/api/auth/login",
            &from("6.6.6.6:1"),
            Some(json!({"login": "ann", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, 200, "other clients are unaffected");
    for _ in 0..6 {
        assert_eq!(
            app.get("/api/users/me", &Req::bearer(&token).from("5.5.5.5:1")).await.status,
            200,
            "only /api/auth/* counts"
        );
    }
}

#[rocket::async_test]
async fn forwarded_for_counts_only_from_trusted_proxies() {
    let login = json!({"login": "ann", "password": "wrong-wrong-1"});
    // Untrusted peer: X-Forwarded-For is ignored, so both "clients" are the peer and share a limit.
    let app = TestApp::with(|f| f.merge(("login_max_failures", 2))).await;
    app.signup("ann").await;
    for xff in ["9.9.9.1", "9.9.9.2"] {
        let req = Req::default().from("7.7.7.7:1").header("X-Forwarded-For", xff);
        assert_eq!(app.request(Method::Post, "/api/auth/login", &req, Some(login.clone())).await.status, 401);
    }
    let req = Req::default().from("7.7.7.7:1").header("X-Forwarded-For", "9.9.9.3");
    assert_eq!(app.request(Method::Post, "/api/auth/login", &req, Some(login.clone())).await.status, 429);

    // Trusted proxy: each forwarded client has its own count.
    let app =
        TestApp::with(|f| f.merge(("login_max_failures", 2)).merge(("trusted_proxies", vec!["7.7.7.7"])))
            .await;
    app.signup("ann").await;
    for xff in ["9.9.9.1", "9.9.9.2", "9.9.9.3"] {
        let req = Req::default().from("7.7.7.7:1").header("X-Forwarded-For", &format!("{xff}, 7.7.7.7"));
        assert_eq!(app.request(Method::Post, "/api/auth/login", &req, Some(login.clone())).await.status, 401);
    }
    let r = app
        .request(
            Method::Post,
            "/api/auth/login",
            &Req::default().from("7.7.7.7:1").header("X-Forwarded-For", "9.9.9.1"),
            Some(json!({"login": "ann", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, 200, "9.9.9.1 failed only once");
    let sessions = app.get("/api/auth/sessions", &Req::bearer(r.body["token"].as_str().unwrap())).await;
    assert_eq!(sessions.body[0]["ip"], "9.9.9.1", "the session records the forwarded client");
}
