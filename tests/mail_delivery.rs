//! Mail through the real binary: the log line a laptop user gets without `smtp_url`, mail
//! queued before a SIGKILL delivered once after the restart, and SMTP over STARTTLS and
//! implicit TLS to a relay with a private certificate and a login, as configured with
//! `smtp_url` and `smtp_ca_file` — always against a real SMTP server on 127.0.0.1. On SQLite,
//! or on Postgres when `STOCKROOM_TEST_POSTGRES` names a server.

#[path = "common/postgres.rs"]
mod postgres;
#[path = "common/server.rs"]
mod server;
#[path = "common/smtp.rs"]
mod smtp;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server::Server;
use smtp::{free_port, Options, Security, Sink};

const PASSWORD: &str = "plum-sofa-riddle-42";
const WAIT: Duration = Duration::from_secs(15);
const RETRY_WAIT: Duration = Duration::from_secs(40);

fn database(dir: &Path) -> PathBuf {
    match postgres::server() {
        Some(pg) => PathBuf::from(postgres::fresh_database_blocking(&pg)),
        None => dir.join("mail.db"),
    }
}

fn signup(s: &Server, name: &str) {
    let body = json!({"email": format!("{name}@example.com"), "username": name, "password": PASSWORD});
    let (status, body) = s.call("POST", "/api/auth/signup", None, Some(body));
    assert_eq!(status, 201, "{body}");
}

fn admin(db: &Path) {
    use std::io::Write;
    let mut child = server::cmd(db)
        .args(["admin", "create", "--email", "boss@example.com", "--username", "boss", "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
}

fn outbox(s: &Server) -> Vec<Value> {
    let (_, login) = s.login("boss", PASSWORD);
    let token = login["token"].as_str().expect("the admin signs in").to_owned();
    let (status, page) = s.call("GET", "/api/admin/mail?perPage=100", Some(&token), None);
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// Waits for one mail to `to`; on a timeout the server's log says why.
fn arrives(sink: &Sink, s: &Server, to: &str) -> smtp::Mail {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(m) = sink.received().into_iter().find(|m| m.envelope_to == [to.to_owned()]) {
            return m;
        }
        assert!(Instant::now() < deadline, "no mail to {to}; the server logged:\n{}", s.log());
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn until(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !check() {
        assert!(Instant::now() < deadline, "{what} did not happen within {within:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

const QUICK: [(&str, &str); 1] = [("STOCKROOM_AUTH_RATE_LIMIT", "0")];

#[test]
fn without_smtp_url_each_mail_is_one_log_line_with_its_link() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_with(&database(dir.path()), &QUICK);
    assert!(s.log().contains("no `smtp_url` configured: mail is written to this log"), "{}", s.log());
    signup(&s, "ann");
    let prefix = format!(
        "mail to=ann@example.com subject=\"Confirm your email address for Stockroom\" link=http://{}/verify-email#token=",
        s.addr
    );
    until("the mail's log line", WAIT, || s.log().contains(&prefix));
    let log = s.log();
    let line = log.lines().find(|l| l.contains(&prefix)).unwrap();
    let token = line.split("#token=").nth(1).unwrap().split_whitespace().next().unwrap();
    assert_eq!(token.len(), 64, "{line}");
    let (status, body) = s.call("POST", "/api/auth/verify-email", None, Some(json!({"token": token})));
    assert_eq!((status, body), (200, json!({"message": "Your email address is verified."})));
    let (_, login) = s.login("ann", PASSWORD);
    assert_eq!(login["user"]["emailVerified"], true);
}

#[test]
fn mail_queued_before_a_sigkill_is_delivered_once_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    admin(&db);
    // The relay is down: the mails wait in the outbox.
    let port = free_port();
    let smtp_url = format!("smtp+plain://127.0.0.1:{port}");
    let env = [QUICK[0], ("STOCKROOM_SMTP_URL", &smtp_url)];
    let s = Server::start_with(&db, &env);
    let names = ["bo", "cy", "di"].map(|n| format!("{n}{n}"));
    for n in &names {
        signup(&s, n);
    }
    until("a failed attempt at each mail", WAIT, || {
        let items = outbox(&s);
        items.len() == 3 && items.iter().all(|m| m["status"] == "queued" && m["attempts"] == 1)
    });
    s.sigkill();
    s.kill();

    let sink = Sink::start_on(port, &Options::default());
    let s = Server::start_with(&db, &env);
    for n in &names {
        sink.wait_for(&format!("{n}@example.com"), 1, RETRY_WAIT);
    }
    until("every delivery recorded", WAIT, || outbox(&s).iter().all(|m| m["status"] == "sent"));
    std::thread::sleep(Duration::from_secs(2));
    let received = sink.received();
    assert_eq!(received.len(), 3, "each mail once: {received:#?}");
    for n in &names {
        let to = format!("{n}@example.com");
        let mail = received.iter().find(|m| m.envelope_to == [to.clone()]).unwrap();
        let token = mail.token("/verify-email").unwrap();
        let (status, _) = s.call("POST", "/api/auth/verify-email", None, Some(json!({"token": token})));
        assert_eq!(status, 200, "the link queued before the crash works");
    }
    assert!(outbox(&s).iter().all(|m| m["attempts"] == 2 && m["sentAt"].is_string()));
}

/// A self-signed certificate for 127.0.0.1, as a private relay would have.
fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap().self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.join("relay.pem"), dir.join("relay.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert_path, key_path)
}

fn relay(dir: &Path, security: Security) -> (Sink, PathBuf) {
    let (cert, key) = certificate(dir);
    let sink = Sink::start_on(
        0,
        &Options { tls: security, cert: Some((&cert, &key)), auth: Some("relay:s3cret/x") },
    );
    (sink, cert)
}

#[test]
fn starttls_to_a_relay_with_a_private_certificate_and_a_login() {
    let dir = tempfile::tempdir().unwrap();
    let (sink, ca) = relay(dir.path(), Security::StartTls);
    let url = format!("smtp://relay:s3cret%2Fx@127.0.0.1:{}", sink.port);
    let env = [QUICK[0], ("STOCKROOM_SMTP_URL", &url), ("STOCKROOM_SMTP_CA_FILE", ca.to_str().unwrap())];
    let s = Server::start_with(&database(dir.path()), &env);
    signup(&s, "eve");
    let mail = arrives(&sink, &s, "eve@example.com");
    assert_eq!(mail.subject(), "Confirm your email address for Stockroom");
    assert!(!s.log().contains("s3cret"), "the relay's password is never logged");
}

#[test]
fn implicit_tls_to_a_relay_with_a_private_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (sink, ca) = relay(dir.path(), Security::Implicit);
    let url = format!("smtps://relay:s3cret%2Fx@127.0.0.1:{}", sink.port);
    let env = [QUICK[0], ("STOCKROOM_SMTP_URL", &url), ("STOCKROOM_SMTP_CA_FILE", ca.to_str().unwrap())];
    let s = Server::start_with(&database(dir.path()), &env);
    signup(&s, "fay");
    arrives(&sink, &s, "fay@example.com");
}

#[test]
fn an_untrusted_certificate_or_a_relay_without_starttls_gets_no_mail() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    admin(&db);
    // The same relay, but its certificate not trusted: nothing is sent, the error is kept.
    let (tls_sink, _) = relay(dir.path(), Security::StartTls);
    let url = format!("smtp://relay:s3cret%2Fx@127.0.0.1:{}", tls_sink.port);
    let s = Server::start_with(&db, &[QUICK[0], ("STOCKROOM_SMTP_URL", &url)]);
    signup(&s, "gil");
    until("a failed attempt", WAIT, || {
        outbox(&s).iter().any(|m| m["to"] == "gil@example.com" && m["lastError"].is_string())
    });
    let error = outbox(&s).iter().find(|m| m["to"] == "gil@example.com").unwrap()["lastError"].clone();
    assert!(error.as_str().unwrap().to_lowercase().contains("certificate"), "{error}");
    s.stop();

    // smtp:// requires STARTTLS: a plain relay is never sent a mail in the clear.
    let plain = Sink::start();
    let url = format!("smtp://127.0.0.1:{}", plain.port);
    let s = Server::start_with(&db, &[QUICK[0], ("STOCKROOM_SMTP_URL", &url)]);
    signup(&s, "hal");
    until("a failed attempt", WAIT, || {
        outbox(&s).iter().any(|m| m["to"] == "hal@example.com" && m["lastError"].is_string())
    });
    assert!(plain.received().is_empty() && tls_sink.received().is_empty());
}

#[test]
fn bad_mail_settings_refuse_to_start() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value, says) in [
        ("STOCKROOM_SMTP_URL", "http://mail.example.com", "`smtp_url` must start with smtp://"),
        ("STOCKROOM_MAIL_FROM", "not an address", "`mail_from`"),
        ("STOCKROOM_PUBLIC_URL", "shop.example.com", "`public_url`"),
        ("STOCKROOM_SMTP_CA_FILE", "/nonexistent/ca.pem", "`smtp_ca_file`"),
    ] {
        let out =
            server::cmd(&dir.path().join("x.db")).args(["--port", "0"]).env(key, value).output().unwrap();
        assert!(!out.status.success(), "{key}={value} started");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{key}: {stderr}");
    }
}

#[test]
fn admin_create_users_are_verified_and_set_password_mails_them_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    admin(&db);
    let sink = Sink::start();
    let s = Server::start_with(&db, &[QUICK[0], ("STOCKROOM_SMTP_URL", &sink.url())]);
    let (status, login) = s.login("boss", PASSWORD);
    assert_eq!((status, &login["user"]["emailVerified"]), (200, &json!(true)));
    // The CLI queues the notice in the database; the running server's worker delivers it.
    use std::io::Write;
    let mut child = server::cmd(&db)
        .args(["admin", "set-password", "--username", "boss", "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a-brand-new-passphrase-9\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let notice = arrives(&sink, &s, "boss@example.com");
    assert_eq!(notice.subject(), "Your Stockroom password was changed");
    assert!(notice.text.contains("boss@example.com") && notice.html.contains("boss@example.com"));
}
