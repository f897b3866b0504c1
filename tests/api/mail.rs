//! §9 through the real app and a real SMTP server on 127.0.0.1 (`aiosmtpd`, see
//! tests/common/smtp.rs): the delivered message, verification and reset links that work once,
//! expiry, throttling, the enumeration-safe reset answer, retries while the server is down or
//! refusing, `require_verified_email`, and the outbox for user managers. On both engines.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{assert_error, fields, Req, TestApp, PASSWORD};
use crate::smtp::{free_port, Options, Sink};

const WAIT: Duration = Duration::from_secs(10);
/// Long enough for the first retry (15 s after a failed attempt).
const RETRY_WAIT: Duration = Duration::from_secs(40);
const NEW_PASSWORD: &str = "violet-canoe-thunder-88";

async fn mailing(sink: &Sink) -> TestApp {
    let url = sink.url();
    TestApp::with(move |f| f.merge(("smtp_url", url))).await
}

fn is_token(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn me(app: &TestApp, token: &str) -> Value {
    let r = app.get("/api/users/me", &Req::bearer(token)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// The outbox row of the latest mail to `to`: (status, attempts, last error).
async fn outbox(app: &TestApp, to: &str) -> (String, i64, Option<String>) {
    let admin = app.admin(&format!("ops{}", rand_suffix())).await;
    let r = app.get("/api/admin/mail?perPage=100", &Req::bearer(&admin)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let m = r.body["items"].as_array().unwrap().iter().find(|m| m["to"] == to).cloned();
    let m = m.unwrap_or_else(|| panic!("no mail to {to} in {}", r.body));
    (
        m["status"].as_str().unwrap().to_owned(),
        m["attempts"].as_i64().unwrap(),
        m["lastError"].as_str().map(str::to_owned),
    )
}

fn rand_suffix() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
    )
}

async fn eventually<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "{what} did not happen within {within:?}");
        rocket::tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[rocket::async_test]
async fn signup_mails_a_verification_link_that_works_once() {
    let sink = Sink::start();
    let app = mailing(&sink).await;
    let r = app
        .post(
            "/api/auth/signup",
            &Req::default(),
            json!({"email": "ann@example.com", "password": PASSWORD, "name": "<b>Ann</b> & \"co\""}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let token = r.body["token"].as_str().unwrap().to_owned();
    assert_eq!(r.body["user"]["emailVerified"], false);

    let mails = sink.arrival("ann@example.com", 1, WAIT).await;
    let m = &mails[0];
    assert_eq!(m.header("From"), Some("Stockroom <stockroom@localhost>"));
    assert_eq!(m.header("To"), Some("ann@example.com"));
    assert_eq!(m.subject(), "Confirm your email address for Stockroom");
    assert!(
        m.header("Message-ID").is_some_and(|id| id.starts_with('<') && id.ends_with("@localhost>")),
        "{m:?}"
    );
    assert!(m.header("Date").is_some());
    assert_eq!(m.header("Auto-Submitted"), Some("auto-generated"));
    assert_eq!(m.content_type, "multipart/alternative");
    let link = m.link("/verify-email").expect("a verification link in the text part");
    let secret = link.strip_prefix("http://127.0.0.1:8000/verify-email#token=").expect(&link);
    assert!(is_token(secret), "{link}");
    assert!(m.html.contains(&format!("href=\"{link}\"")), "the HTML part links it too: {}", m.html);
    assert!(m.text.contains("expires in 24 hours"), "{}", m.text);
    assert!(m.text.contains("Stockroom") && m.text.contains("Confirm my email"), "{}", m.text);
    // The name is escaped in the HTML part, plain in the text part.
    assert!(m.html.contains("Hello &lt;b&gt;Ann&lt;/b&gt; &amp; &quot;co&quot;,"), "{}", m.html);
    assert!(!m.html.contains("<b>Ann"));
    assert!(m.text.contains("Hello <b>Ann</b> & \"co\","));

    // Only the hash is stored; the sent mail's body and link are erased.
    let stored = app.text("SELECT token_hash FROM mail_tokens", &[]).await;
    assert_ne!(stored, secret);
    assert_eq!(stored.len(), 64);
    eventually("the outbox records the delivery", WAIT, || async {
        app.count("SELECT count(*) FROM mail_outbox WHERE status = 'sent' AND body_text IS NULL AND body_html IS NULL AND link IS NULL AND sent_at IS NOT NULL").await == 1
    })
    .await;

    let r = app.post("/api/auth/verify-email", &Req::default(), json!({"token": secret})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, json!({"message": "Your email address is verified."}));
    assert_eq!(me(&app, &token).await["emailVerified"], true);
    // Once only.
    let r = app.post("/api/auth/verify-email", &Req::default(), json!({"token": secret})).await;
    assert_error(&r, 400, "invalid_token");
    for bad in [json!({"token": "nope"}), json!({"token": secret.to_uppercase()})] {
        assert_error(&app.post("/api/auth/verify-email", &Req::default(), bad).await, 400, "invalid_token");
    }
    let r = app.post("/api/auth/verify-email", &Req::default(), json!({})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r)["token"], "is required");
    assert_eq!(sink.received().len(), 1, "one mail, delivered once");
}

#[rocket::async_test]
async fn mail_tokens_expire() {
    let sink = Sink::start();
    let url = sink.url();
    let app = TestApp::with(move |f| {
        f.merge(("smtp_url", url)).merge(("verify_token_ttl", 1)).merge(("reset_token_ttl", 1))
    })
    .await;
    app.signup("bea").await;
    let verify = sink.arrival("bea@example.com", 1, WAIT).await[0].token("/verify-email").unwrap();
    assert_eq!(
        app.post("/api/auth/password-reset", &Req::default(), json!({"email": "bea@example.com"}))
            .await
            .status,
        202
    );
    let mails = sink.arrival("bea@example.com", 2, WAIT).await;
    assert!(mails[1].text.contains("expires in 1 second"), "{}", mails[1].text);
    let reset = mails[1].token("/reset-password").unwrap();
    rocket::tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_error(
        &app.post("/api/auth/verify-email", &Req::default(), json!({"token": verify})).await,
        400,
        "invalid_token",
    );
    let r = app
        .post(
            "/api/auth/password-reset/confirm",
            &Req::default(),
            json!({"token": reset, "newPassword": NEW_PASSWORD}),
        )
        .await;
    assert_error(&r, 400, "invalid_token");
    assert_eq!(app.login("bea", PASSWORD).await.status, 200, "the password is unchanged");
}

#[rocket::async_test]
async fn resending_the_verification_is_throttled_to_one_mail_a_minute() {
    let sink = Sink::start();
    let app = mailing(&sink).await;
    let (token, _) = app.signup("cyd").await;
    sink.arrival("cyd@example.com", 1, WAIT).await;
    // The signup's mail counts: not again within 60 s.
    let r = app.post("/api/auth/verify-email/resend", &Req::bearer(&token), json!(null)).await;
    assert_error(&r, 429, "rate_limited");
    let wait: u64 = r.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let r = app.post("/api/auth/verify-email/resend", &Req::default(), json!(null)).await;
    assert_error(&r, 401, "unauthorized");

    // A minute later (the clock moved by rewriting when the last one was queued).
    app.exec("UPDATE mail_outbox SET created_at = '2000-01-01T00:00:00.000Z'", &[]).await;
    let r = app.post("/api/auth/verify-email/resend", &Req::bearer(&token), json!(null)).await;
    assert_eq!((r.status, &r.body), (202, &json!({"message": "A new verification link is on its way."})));
    let mails = sink.arrival("cyd@example.com", 2, WAIT).await;
    let (first, second) =
        (mails[0].token("/verify-email").unwrap(), mails[1].token("/verify-email").unwrap());
    assert_ne!(first, second);
    assert_error(
        &app.post("/api/auth/verify-email/resend", &Req::bearer(&token), json!(null)).await,
        429,
        "rate_limited",
    );
    // Either link verifies (the newer one does not void the older).
    assert_eq!(
        app.post("/api/auth/verify-email", &Req::default(), json!({"token": first})).await.status,
        200
    );
    let r = app.post("/api/auth/verify-email/resend", &Req::bearer(&token), json!(null)).await;
    assert_eq!((r.status, &r.body), (202, &json!({"message": "Your email address is verified already."})));
    rocket::tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 2);
}

#[rocket::async_test]
async fn a_password_reset_request_tells_nobody_whether_the_account_exists() {
    let sink = Sink::start();
    let app = mailing(&sink).await;
    let (_, dee) = app.signup("dee").await;
    app.signup("eve").await;
    let admin = app.admin("boss").await;
    let eve = app.login("eve", PASSWORD).await.body["user"]["id"].as_i64().unwrap();
    assert_eq!(
        app.patch(&format!("/api/users/{eve}"), &Req::bearer(&admin), json!({"isActive": false}))
            .await
            .status,
        200
    );
    assert_eq!(dee["id"], 1);

    let mut timings: Vec<(&str, Duration)> = Vec::new();
    let expected = json!({"message": "If that address belongs to an account, a link to reset its password is on its way."});
    for round in 0..4 {
        for email in ["dee@example.com", "DEE@Example.com", "nobody@example.com", "eve@example.com"] {
            let started = Instant::now();
            let r = app.post("/api/auth/password-reset", &Req::default(), json!({"email": email})).await;
            timings.push((email, started.elapsed()));
            assert_eq!((r.status, &r.body), (202, &expected), "{email} in round {round}");
        }
    }
    // About the same time: every answer waits for the same floor, whatever it found.
    let known: Vec<Duration> =
        timings.iter().filter(|(e, _)| e.starts_with("dee") || e.starts_with("DEE")).map(|t| t.1).collect();
    let unknown: Vec<Duration> =
        timings.iter().filter(|(e, _)| !e.starts_with("dee") && !e.starts_with("DEE")).map(|t| t.1).collect();
    let mean = |v: &[Duration]| v.iter().sum::<Duration>() / v.len() as u32;
    let (k, u) = (mean(&known), mean(&unknown));
    assert!(k >= Duration::from_millis(200) && u >= Duration::from_millis(200), "{k:?} {u:?}");
    assert!(k.abs_diff(u) < Duration::from_millis(40), "known {k:?} vs unknown {u:?}");

    // One mail for the active account (at most one a minute), none for the others.
    let mails = sink.arrival("dee@example.com", 2, WAIT).await;
    assert_eq!(mails.iter().filter(|m| m.subject() == "Reset your Stockroom password").count(), 1);
    rocket::tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sink.received().iter().all(|m| !m.envelope_to.iter().any(|t| t == "nobody@example.com")));
    assert_eq!(app.count("SELECT count(*) FROM mail_outbox WHERE template = 'password_reset'").await, 1);
    let r = app.post("/api/auth/password-reset", &Req::default(), json!({"email": "not an email"})).await;
    assert_error(&r, 400, "validation_failed");
    assert!(fields(&r).contains_key("email"));
}

#[rocket::async_test]
async fn a_reset_link_sets_a_new_password_once_and_signs_out_everywhere() {
    let sink = Sink::start();
    let app = mailing(&sink).await;
    let (first, _) = app.signup("fay").await;
    let second = app.login("fay", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post("/api/auth/password-reset", &Req::default(), json!({"email": "fay@example.com"}))
            .await
            .status,
        202
    );
    let mails = sink.arrival("fay@example.com", 2, WAIT).await;
    let m = mails.iter().find(|m| m.subject() == "Reset your Stockroom password").unwrap();
    let link = m.link("/reset-password").unwrap();
    assert!(link.starts_with("http://127.0.0.1:8000/reset-password#token="), "a fragment link: {link}");
    assert!(m.text.contains("expires in 30 minutes"), "{}", m.text);
    assert!(m.html.contains(&format!("href=\"{link}\"")));
    let token = m.token("/reset-password").unwrap();
    assert!(is_token(&token));

    // A password the policy refuses leaves the token usable.
    let confirm = |password: &str| json!({"token": token, "newPassword": password});
    let r = app.post("/api/auth/password-reset/confirm", &Req::default(), confirm("fay")).await;
    assert_error(&r, 400, "validation_failed");
    assert!(fields(&r).contains_key("newPassword"), "{}", r.body);
    let r = app.post("/api/auth/password-reset/confirm", &Req::default(), json!({"token": token})).await;
    assert_eq!(fields(&r)["newPassword"], "is required");

    let r = app.post("/api/auth/password-reset/confirm", &Req::default(), confirm(NEW_PASSWORD)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, json!({"message": "Your password was changed. Sign in with the new one."}));
    for old in [&first, &second] {
        assert_error(&app.get("/api/users/me", &Req::bearer(old)).await, 401, "unauthorized");
    }
    assert_error(&app.login("fay", PASSWORD).await, 401, "invalid_credentials");
    let signed_in = app.login("fay", NEW_PASSWORD).await;
    assert_eq!(signed_in.status, 200);
    assert_eq!(signed_in.body["user"]["emailVerified"], true, "the reset proved the address");
    assert_error(
        &app.post("/api/auth/password-reset/confirm", &Req::default(), confirm("another-fine-passphrase-7"))
            .await,
        400,
        "invalid_token",
    );

    let notice = sink.arrival("fay@example.com", 3, WAIT).await;
    assert_eq!(notice[2].subject(), "Your Stockroom password was changed");
    assert!(notice[2].link("/reset-password").is_none());
}

#[rocket::async_test]
async fn newer_requests_and_any_password_change_void_older_reset_links() {
    let sink = Sink::start();
    let app = mailing(&sink).await;
    let (token, _) = app.signup("gus").await;
    let nobody = Req::default();
    let ask = || app.post("/api/auth/password-reset", &nobody, json!({"email": "gus@example.com"}));
    assert_eq!(ask().await.status, 202);
    let older = sink.arrival("gus@example.com", 2, WAIT).await[1].token("/reset-password").unwrap();
    // Within the minute: answered the same, but no second mail.
    assert_eq!(ask().await.status, 202);
    app.exec("UPDATE mail_outbox SET created_at = '2000-01-01T00:00:00.000Z'", &[]).await;
    assert_eq!(ask().await.status, 202);
    let mails = sink.arrival("gus@example.com", 3, WAIT).await;
    let newer = mails[2].token("/reset-password").unwrap();
    let confirm = |t: &str| json!({"token": t, "newPassword": NEW_PASSWORD});
    assert_error(
        &app.post("/api/auth/password-reset/confirm", &Req::default(), confirm(&older)).await,
        400,
        "invalid_token",
    );

    // A password change by another route voids the newer one too, and sends the notice.
    let r = app
        .put(
            "/api/users/me/password",
            &Req::bearer(&token),
            json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_error(
        &app.post("/api/auth/password-reset/confirm", &Req::default(), confirm(&newer)).await,
        400,
        "invalid_token",
    );
    let mails = sink.arrival("gus@example.com", 4, WAIT).await;
    assert_eq!(mails[3].subject(), "Your Stockroom password was changed");
    assert_eq!(app.count("SELECT count(*) FROM mail_tokens WHERE purpose = 'password_reset'").await, 0);
}

#[rocket::async_test]
async fn a_new_email_is_unverified_until_confirmed_and_the_old_address_is_told() {
    let sink = Sink::start();
    let app = mailing(&sink).await;
    let (token, _) = app.signup("hal").await;
    let first = sink.arrival("hal@example.com", 1, WAIT).await[0].token("/verify-email").unwrap();
    assert_eq!(
        app.post("/api/auth/verify-email", &Req::default(), json!({"token": first})).await.status,
        200
    );
    let (unused_token, _) = (sink.received().len(), ());
    assert_eq!(unused_token, 1);

    let r = app
        .patch(
            "/api/users/me",
            &Req::bearer(&token),
            json!({"email": "hal@new.example", "currentPassword": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["emailVerified"], false);
    let to_new = sink.arrival("hal@new.example", 1, WAIT).await;
    let to_old = sink.arrival("hal@example.com", 2, WAIT).await;
    assert_eq!(to_new[0].subject(), "Confirm your email address for Stockroom");
    assert!(to_new[0].text.contains("hal@new.example"));
    assert_eq!(to_old[1].subject(), "Your Stockroom email address was changed");
    assert!(
        to_old[1].text.contains("from hal@example.com to\nhal@new.example")
            || to_old[1].text.contains("hal@new.example"),
        "{}",
        to_old[1].text
    );
    assert!(to_old[1].link("/verify-email").is_none(), "the old address gets no link");
    let new_token = to_new[0].token("/verify-email").unwrap();
    assert_eq!(
        app.post("/api/auth/verify-email", &Req::default(), json!({"token": new_token})).await.status,
        200
    );
    assert_eq!(me(&app, &token).await["emailVerified"], true);
}

#[rocket::async_test]
async fn a_link_for_an_address_the_account_no_longer_has_is_dead() {
    let sink = Sink::start();
    let app = mailing(&sink).await;
    let (token, user) = app.signup("ida").await;
    let stale = sink.arrival("ida@example.com", 1, WAIT).await[0].token("/verify-email").unwrap();
    let admin = app.admin("chief").await;
    // A manager changes the address (and vouches for the new one in the same patch).
    let id = user["id"].as_i64().unwrap();
    let r = app
        .patch(
            &format!("/api/users/{id}"),
            &Req::bearer(&admin),
            json!({"email": "ida@elsewhere.example", "emailVerified": true}),
        )
        .await;
    assert_eq!((r.status, &r.body["emailVerified"]), (200, &json!(true)), "{}", r.body);
    assert_error(
        &app.post("/api/auth/verify-email", &Req::default(), json!({"token": stale})).await,
        400,
        "invalid_token",
    );
    // No verification mail when the manager vouched; the old address is still told.
    let old = sink.arrival("ida@example.com", 2, WAIT).await;
    assert_eq!(old[1].subject(), "Your Stockroom email address was changed");
    rocket::tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sink.received().iter().all(|m| !m.envelope_to.iter().any(|t| t == "ida@elsewhere.example")));
    assert_eq!(me(&app, &token).await["emailVerified"], true);
}

#[rocket::async_test]
async fn only_user_managers_set_email_verified() {
    let app = TestApp::new().await;
    let (token, user) = app.signup("joan").await;
    let id = user["id"].as_i64().unwrap();
    let r = app.patch("/api/users/me", &Req::bearer(&token), json!({"emailVerified": true})).await;
    assert_error(&r, 403, "forbidden");
    let (manager, _) = app.user_with("kim", "user", &["users:manage"]).await;
    let r =
        app.patch(&format!("/api/users/{id}"), &Req::bearer(&manager), json!({"emailVerified": true})).await;
    assert_eq!((r.status, &r.body["emailVerified"]), (200, &json!(true)));
    let r =
        app.patch(&format!("/api/users/{id}"), &Req::bearer(&manager), json!({"emailVerified": "yes"})).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(fields(&r)["emailVerified"], "must be true or false");
    let r =
        app.patch(&format!("/api/users/{id}"), &Req::bearer(&manager), json!({"emailVerified": false})).await;
    assert_eq!((r.status, &r.body["emailVerified"]), (200, &json!(false)));
}

#[rocket::async_test]
async fn require_verified_email_leaves_open_only_what_fixes_the_address() {
    let sink = Sink::start();
    let url = sink.url();
    let app =
        TestApp::with(move |f| f.merge(("smtp_url", url)).merge(("require_verified_email", true))).await;
    let (token, _) = app.signup("lee").await;
    let who = Req::bearer(&token);
    let (manager, _) = app.user_with("moe", "user", &["users:manage"]).await;
    // Signed in, but everything that needs a signed-in user is closed...
    for (method, path, body) in [
        ("GET", "/api/cart", None),
        ("POST", "/api/cart", Some(json!({"productId": 1, "quantity": 1}))),
        ("GET", "/api/orders/me", None),
        ("GET", "/api/watchlist", None),
        ("GET", "/api/portfolio", None),
        ("GET", "/api/users/1", None),
        ("PATCH", "/api/users/1", Some(json!({"name": "x"}))),
    ] {
        let r = app.request(method.parse().unwrap(), path, &who, body).await;
        assert_error(&r, 403, "email_unverified");
        assert_eq!(r.status, 403, "{method} {path}");
    }
    assert_error(&app.get("/api/users", &Req::bearer(&manager)).await, 403, "email_unverified");
    // ...except the auth routes and one's own account,
    assert_eq!(app.get("/api/users/me", &who).await.status, 200);
    assert_eq!(app.get("/api/user/profile", &who).await.status, 200);
    assert_eq!(app.get("/api/auth/sessions", &who).await.status, 200);
    assert_eq!(app.get("/api/session", &who).await.body["user"]["emailVerified"], false);
    let r = app
        .patch("/api/users/me", &who, json!({"email": "lee@fixed.example", "currentPassword": PASSWORD}))
        .await;
    assert_eq!(r.status, 200, "a mistyped address can be fixed: {}", r.body);
    let r = app
        .put(
            "/api/users/me/password",
            &who,
            json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_error(&app.post("/api/auth/verify-email/resend", &who, json!(null)).await, 429, "rate_limited");
    // ...and public routes stay public, with or without the token.
    assert_eq!(app.get("/api/products", &who).await.status, 200);
    assert_eq!(app.get("/api/assets", &Req::default()).await.status, 200);
    assert_eq!(app.get("/api/health", &who).await.status, 200);

    let link = sink.arrival("lee@fixed.example", 1, WAIT).await[0].token("/verify-email").unwrap();
    assert_eq!(app.post("/api/auth/verify-email", &Req::default(), json!({"token": link})).await.status, 200);
    assert_eq!(app.get("/api/cart", &who).await.status, 200);
    let r = app.delete("/api/users/me", &who).await;
    assert_ne!(r.code(), "email_unverified");
}

#[rocket::async_test]
async fn the_outbox_is_for_user_managers_and_never_shows_a_body_or_a_link() {
    let sink = Sink::start();
    let app = mailing(&sink).await;
    let (plain, _) = app.signup("ned").await;
    sink.arrival("ned@example.com", 1, WAIT).await;
    assert_error(&app.get("/api/admin/mail", &Req::bearer(&plain)).await, 403, "forbidden");
    assert_error(&app.get("/api/admin/mail", &Req::default()).await, 401, "unauthorized");
    let (manager, _) = app.user_with("ola", "user", &["users:manage"]).await;
    let mail = sink.arrival("ola@example.com", 1, WAIT).await;
    let secret = mail[0].token("/verify-email").unwrap();
    eventually("both mails are recorded as sent", WAIT, || async {
        app.count("SELECT count(*) FROM mail_outbox WHERE status = 'sent'").await == 2
    })
    .await;
    let r = app.get("/api/admin/mail?perPage=1", &Req::bearer(&manager)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["totalItems"].clone(), r.body["totalPages"].clone()), (json!(2), json!(2)));
    let item = &r.body["items"][0];
    let mut keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["attempts", "createdAt", "id", "lastError", "sentAt", "status", "template", "to"]);
    assert_eq!(item["to"], "ola@example.com", "newest first");
    assert_eq!(
        (item["template"].clone(), item["status"].clone(), item["attempts"].clone()),
        (json!("verify_email"), json!("sent"), json!(1))
    );
    assert_eq!(item["lastError"], Value::Null);
    assert!(!r.body.to_string().contains(&secret));
    let r = app.get("/api/admin/mail?status=queued", &Req::bearer(&manager)).await;
    assert_eq!(r.body["totalItems"], 0);
    let r = app.get("/api/admin/mail?status=lost", &Req::bearer(&manager)).await;
    assert_error(&r, 400, "validation_failed");
    assert!(fields(&r).contains_key("status"));
}

#[rocket::async_test]
async fn mail_waits_for_a_server_that_is_down_and_arrives_once_it_is_up() {
    let port = free_port();
    let app = TestApp::with(move |f| f.merge(("smtp_url", format!("smtp+plain://127.0.0.1:{port}")))).await;
    app.signup("pia").await;
    eventually("a failed first attempt", WAIT, || async {
        let (status, attempts, error) = outbox(&app, "pia@example.com").await;
        status == "queued" && attempts == 1 && error.is_some()
    })
    .await;
    let sink = Sink::start_on(port, &Options::default());
    let mails = sink.arrival("pia@example.com", 1, RETRY_WAIT).await;
    assert_eq!(mails[0].subject(), "Confirm your email address for Stockroom");
    eventually("the delivery is recorded", WAIT, || async {
        outbox(&app, "pia@example.com").await.0 == "sent"
    })
    .await;
    let (_, attempts, _) = outbox(&app, "pia@example.com").await;
    assert_eq!(attempts, 2);
    assert_eq!(sink.received().iter().filter(|m| m.envelope_to == ["pia@example.com"]).count(), 1);
}

#[rocket::async_test]
async fn a_temporary_refusal_is_retried() {
    let sink = Sink::start();
    sink.refuse_temporarily();
    let app = mailing(&sink).await;
    app.signup("quinn").await;
    eventually("a 451 recorded", WAIT, || async {
        let (status, attempts, error) = outbox(&app, "quinn@example.com").await;
        status == "queued" && attempts >= 1 && error.is_some_and(|e| e.contains("451"))
    })
    .await;
    sink.accept_again();
    sink.arrival("quinn@example.com", 1, RETRY_WAIT).await;
    eventually("the delivery is recorded", WAIT, || async {
        outbox(&app, "quinn@example.com").await.0 == "sent"
    })
    .await;
    assert_eq!(sink.received().iter().filter(|m| m.envelope_to == ["quinn@example.com"]).count(), 1);
}
