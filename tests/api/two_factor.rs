//! §10 two-factor sign-in through the real app, with codes computed independently in the test
//! (the `totp-rs` crate fed the secret the setup answered): setup behind the password, enable
//! with a code, the two-step login, replay refused, the ±1-step window, the five-wrong-codes
//! death, the limiter, recovery codes once, disable, and the admin reset. On both engines.

use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::{assert_error, fields, Req, TestApp, PASSWORD};

fn totp(secret: &str) -> TOTP {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new())
}

pub fn now_step() -> u64 {
    chrono::Utc::now().timestamp() as u64 / 30
}

pub fn code(secret: &str, step: u64) -> String {
    totp(secret).generate(step * 30)
}

pub struct Enabled {
    pub token: String,
    pub secret: String,
    pub recovery: Vec<String>,
    /// The step whose code enabled 2FA (used up).
    pub step: u64,
}

/// Signs `name` up and turns two-factor sign-in on.
pub async fn enabled(app: &TestApp, name: &str) -> Enabled {
    let (token, _) = app.signup(name).await;
    let who = Req::bearer(&token);
    let r = app.post("/api/users/me/2fa/setup", &who, json!({"password": PASSWORD})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    let step = now_step();
    let r = app.post("/api/users/me/2fa/enable", &who, json!({"code": code(&secret, step)})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let recovery =
        r.body["recoveryCodes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    Enabled { token, secret, recovery, step }
}

pub async fn password_step(app: &TestApp, name: &str) -> String {
    let r = app.login(name, PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["mfaRequired"], true, "{}", r.body);
    r.body["mfaToken"].as_str().unwrap().to_owned()
}

pub async fn second_step(app: &TestApp, mfa_token: &str, code: &str) -> crate::helpers::Resp {
    app.post("/api/auth/login/2fa", &Req::default(), json!({"mfaToken": mfa_token, "code": code})).await
}

#[rocket::async_test]
async fn setup_enable_and_the_two_step_login() {
    let app = TestApp::new().await;
    let (token, _) = app.signup("ann").await;
    let other = app.login("ann", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let who = Req::bearer(&token);
    let r = app.post("/api/users/me/2fa/setup", &who, json!({"password": "wrong-password-1"})).await;
    assert_error(&r, 403, "wrong_password");
    let r = app.post("/api/users/me/2fa/setup", &who, json!({})).await;
    assert_eq!(fields(&r)["password"], "is required");
    let r = app.post("/api/users/me/2fa/setup", &who, json!({"password": PASSWORD})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 32, "160 bits, base32");
    let url = r.body["otpauthUrl"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/Stockroom:ann%40example.com?"), "{url}");
    assert!(url.contains(&format!("secret={secret}")) && url.contains("issuer=Stockroom"), "{url}");
    let svg = r.body["qrSvg"].as_str().unwrap();
    assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"), "an SVG document");
    assert_eq!(r.body.as_object().unwrap().len(), 3);
    // Not on until a code confirms it.
    assert_eq!(app.get("/api/users/me", &who).await.body["twoFactorEnabled"], false);
    assert_eq!(app.login("ann", PASSWORD).await.body["message"], "Login successful");

    let r = app.post("/api/users/me/2fa/enable", &who, json!({"code": "000000"})).await;
    let wrong = if code(&secret, now_step()) == "000000" { 200 } else { 400 };
    assert_eq!(r.status, wrong);
    assert_eq!(fields(&r)["code"], "is not the current code of the authenticator app");
    let step = now_step();
    let r = app.post("/api/users/me/2fa/enable", &who, json!({"code": code(&secret, step)})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let recovery: Vec<&str> =
        r.body["recoveryCodes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(recovery.len(), 10);
    assert_eq!(recovery.iter().collect::<std::collections::HashSet<_>>().len(), 10);
    // Stored hashed; the other session is signed out, this one stays.
    assert_eq!(app.count("SELECT count(*) FROM recovery_codes").await, 10);
    let stored = app.text("SELECT code_hash FROM recovery_codes LIMIT 1", &[]).await;
    assert!(!recovery.iter().any(|c| stored.contains(c)));
    assert_error(&app.get("/api/users/me", &Req::bearer(&other)).await, 401, "unauthorized");
    assert_eq!(app.get("/api/users/me", &who).await.body["twoFactorEnabled"], true);
    let r = app.post("/api/users/me/2fa/setup", &who, json!({"password": PASSWORD})).await;
    assert_error(&r, 409, "already_exists");

    // The password step: no session, no cookie, just the challenge.
    let r = app.login("ann", PASSWORD).await;
    assert_eq!(r.status, 200);
    let keys: Vec<&String> = r.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["mfaRequired", "mfaToken"], "{}", r.body);
    assert!(r.cookie().is_none(), "no cookie before the code");
    let sessions = app.count("SELECT count(*) FROM sessions").await;
    let mfa = r.body["mfaToken"].as_str().unwrap().to_owned();
    // The code that enabled 2FA is used up (replay), whatever step it is now.
    assert_error(&second_step(&app, &mfa, &code(&secret, step)).await, 401, "invalid_credentials");
    // The next step's code is inside the window.
    let r = second_step(&app, &mfa, &code(&secret, step + 1)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["message"], "Login successful");
    assert!(r.cookie().is_some_and(|c| c.starts_with("stockroom_token=")));
    let signed_in = r.body["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/users/me", &Req::bearer(&signed_in)).await.status, 200);
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, sessions + 1);
    // The challenge is spent, and that step is used now too.
    assert_error(&second_step(&app, &mfa, &code(&secret, step + 1)).await, 401, "invalid_credentials");
    let mfa = password_step(&app, "ann").await;
    assert_error(&second_step(&app, &mfa, &code(&secret, step + 1)).await, 401, "invalid_credentials");
    assert_error(&second_step(&app, &mfa, "12345").await, 401, "invalid_credentials");
    let r = app.post("/api/auth/login/2fa", &Req::default(), json!({"code": "123456"})).await;
    assert_eq!(fields(&r)["mfaToken"], "is required");
}

#[rocket::async_test]
async fn a_code_is_accepted_one_step_either_side_of_now_and_no_further() {
    let app = TestApp::with(|f| f.merge(("login_max_failures", 100))).await;
    let e = enabled(&app, "boo").await;
    let now = now_step();
    for far in [now + 2, now + 3, now.saturating_sub(2)] {
        let mfa = password_step(&app, "boo").await;
        let r = second_step(&app, &mfa, &code(&e.secret, far)).await;
        // A far code may coincide with a near one by chance (1 in 10^6); otherwise refused.
        if code(&e.secret, far) != code(&e.secret, now + 1) {
            assert_error(&r, 401, "invalid_credentials");
        }
    }
    // A step before the last one used is refused too, even inside the window.
    let mfa = password_step(&app, "boo").await;
    assert_eq!(second_step(&app, &mfa, &code(&e.secret, e.step.max(now) + 1)).await.status, 200);
    let mfa = password_step(&app, "boo").await;
    assert_error(
        &second_step(&app, &mfa, &code(&e.secret, e.step.max(now))).await,
        401,
        "invalid_credentials",
    );
}

#[rocket::async_test]
async fn an_mfa_token_dies_after_five_wrong_codes_or_its_lifetime() {
    let app = TestApp::with(|f| f.merge(("login_max_failures", 100)).merge(("mfa_token_ttl", 2))).await;
    let e = enabled(&app, "cy1").await;
    let mfa = password_step(&app, "cy1").await;
    let wrong = if code(&e.secret, now_step() + 1) == "999999" { "999998" } else { "999999" };
    for _ in 0..5 {
        assert_error(&second_step(&app, &mfa, wrong).await, 401, "invalid_credentials");
    }
    // The sixth try is refused even with the right code.
    assert_error(
        &second_step(&app, &mfa, &code(&e.secret, now_step() + 1)).await,
        401,
        "invalid_credentials",
    );
    // Expired.
    let mfa = password_step(&app, "cy1").await;
    rocket::tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_error(
        &second_step(&app, &mfa, &code(&e.secret, now_step() + 1)).await,
        401,
        "invalid_credentials",
    );
    // A fresh one works.
    let mfa = password_step(&app, "cy1").await;
    assert_eq!(second_step(&app, &mfa, &code(&e.secret, now_step() + 1)).await.status, 200);
    let _ = e.token;
}

#[rocket::async_test]
async fn wrong_codes_count_as_failed_logins() {
    let app = TestApp::new().await; // login_max_failures = 5
    let e = enabled(&app, "dee").await;
    let mfa = password_step(&app, "dee").await; // 1
    let wrong = if code(&e.secret, now_step() + 1) == "111111" { "111112" } else { "111111" };
    for _ in 0..4 {
        assert_error(&second_step(&app, &mfa, wrong).await, 401, "invalid_credentials");
        // 2..5
    }
    let r = second_step(&app, &mfa, &code(&e.secret, now_step() + 1)).await;
    assert_error(&r, 429, "rate_limited");
    assert!(r.header("Retry-After").is_some());
    assert_error(&app.login("dee", PASSWORD).await, 429, "rate_limited");
}

#[rocket::async_test]
async fn a_recovery_code_signs_in_once() {
    let app = TestApp::new().await;
    let e = enabled(&app, "eve").await;
    let mfa = password_step(&app, "eve").await;
    assert_eq!(second_step(&app, &mfa, &e.recovery[0]).await.status, 200);
    let mfa = password_step(&app, "eve").await;
    assert_error(&second_step(&app, &mfa, &e.recovery[0]).await, 401, "invalid_credentials");
    // Typed by hand: case, spaces and dashes don't matter.
    let typed = e.recovery[1].to_uppercase().replace('-', " ");
    assert_eq!(second_step(&app, &mfa, &typed).await.status, 200);
    assert_eq!(app.count("SELECT count(*) FROM recovery_codes").await, 8);
}

#[rocket::async_test]
async fn turning_it_off_takes_the_password_and_a_code() {
    let app = TestApp::with(|f| f.merge(("login_max_failures", 100))).await;
    let e = enabled(&app, "fay").await;
    let who = Req::bearer(&e.token);
    let other = {
        let mfa = password_step(&app, "fay").await;
        second_step(&app, &mfa, &e.recovery[0]).await.body["token"].as_str().unwrap().to_owned()
    };
    let off = |password: &str, code: &str| json!({"password": password, "code": code});
    let r = app
        .request(
            rocket::http::Method::Delete,
            "/api/users/me/2fa",
            &who,
            Some(off("nope-nope-nope", &e.recovery[1])),
        )
        .await;
    assert_error(&r, 403, "wrong_password");
    let wrong = if code(&e.secret, now_step() + 1) == "222222" { "222223" } else { "222222" };
    let r = app
        .request(rocket::http::Method::Delete, "/api/users/me/2fa", &who, Some(off(PASSWORD, wrong)))
        .await;
    assert_error(&r, 400, "validation_failed");
    assert!(fields(&r).contains_key("code"));
    let r = app
        .request(rocket::http::Method::Delete, "/api/users/me/2fa", &who, Some(off(PASSWORD, &e.recovery[1])))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(app.get("/api/users/me", &who).await.body["twoFactorEnabled"], false);
    assert_error(&app.get("/api/users/me", &Req::bearer(&other)).await, 401, "unauthorized");
    assert_eq!(app.login("fay", PASSWORD).await.body["message"], "Login successful");
    assert_eq!(app.count("SELECT count(*) FROM recovery_codes").await, 0);
}

#[rocket::async_test]
async fn setup_again_replaces_the_pending_secret() {
    let app = TestApp::new().await;
    let (token, _) = app.signup("gus").await;
    let who = Req::bearer(&token);
    let first =
        app.post("/api/users/me/2fa/setup", &who, json!({"password": PASSWORD})).await.body["secret"].clone();
    let second =
        app.post("/api/users/me/2fa/setup", &who, json!({"password": PASSWORD})).await.body["secret"].clone();
    assert_ne!(first, second);
    let step = now_step();
    let (first, second) = (first.as_str().unwrap(), second.as_str().unwrap());
    if code(first, step) != code(second, step) {
        let r = app.post("/api/users/me/2fa/enable", &who, json!({"code": code(first, step)})).await;
        assert_error(&r, 400, "validation_failed");
    }
    assert_eq!(
        app.post("/api/users/me/2fa/enable", &who, json!({"code": code(second, step)})).await.status,
        200
    );
    let (fresh, _) = app.signup("hal").await;
    let r = app.post("/api/users/me/2fa/enable", &Req::bearer(&fresh), json!({"code": "123456"})).await;
    assert_eq!(fields(&r)["code"], "has no setup to confirm: start the setup first");
}

#[rocket::async_test]
async fn a_user_manager_turns_it_off_for_a_lost_device() {
    let app = TestApp::new().await;
    let e = enabled(&app, "ida").await;
    let id: i64 = app.get("/api/users/me", &Req::bearer(&e.token)).await.body["id"].as_i64().unwrap();
    let (plain, _) = app.signup("joe").await;
    assert_error(&app.delete(&format!("/api/users/{id}/2fa"), &Req::bearer(&plain)).await, 403, "forbidden");
    let (manager, _) = app.user_with("kim", "user", &["users:manage"]).await;
    assert_eq!(app.delete(&format!("/api/users/{id}/2fa"), &Req::bearer(&manager)).await.status, 204);
    assert_eq!(app.login("ida", PASSWORD).await.body["message"], "Login successful");
    assert_error(&app.delete("/api/users/999/2fa", &Req::bearer(&manager)).await, 404, "not_found");
    // Only an admin may do it for an admin.
    let admin = enabled(&app, "root").await;
    app.exec("UPDATE users SET role = 'admin' WHERE username = 'root'", &[]).await;
    let root: Value = app.get("/api/users/me", &Req::bearer(&admin.token)).await.body;
    let path = format!("/api/users/{}/2fa", root["id"]);
    assert_error(&app.delete(&path, &Req::bearer(&manager)).await, 403, "forbidden");
    let other_admin = app.admin("boss").await;
    assert_eq!(app.delete(&path, &Req::bearer(&other_admin)).await.status, 204);
}
