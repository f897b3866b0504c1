//! The real binary: CLI commands, startup refusals, port 0, graceful shutdown, logs. SQLite only:
//! these are about the file (`backup`, refusing foreign or newer files) and the process on it;
//! `tests/multi_instance.rs` and `tests/migrate_to.rs` run the binary on Postgres.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::json;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

use crate::helpers::PASSWORD;
use crate::server::{cmd, Server, BIN};

fn run_with_stdin(mut c: Command, input: &str) -> Output {
    let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn temp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    (dir, db)
}

fn create_admin(db: &Path, email: &str) -> Output {
    let mut c = cmd(db);
    c.args(["admin", "create", "--email", email, "--username", "boss", "--password-stdin"]);
    run_with_stdin(c, &format!("{PASSWORD}\n"))
}

#[test]
fn version_and_help() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).trim(), format!("stockroom {}", env!("CARGO_PKG_VERSION")));
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    for word in ["admin", "backup", "--db", "--port", "--address", "--demo"] {
        assert!(text(&out.stdout).contains(word), "--help lacks {word}");
    }
}

#[test]
fn admin_create_serve_login_and_graceful_shutdown() {
    let (_dir, db) = temp();
    let out = create_admin(&db, "Boss@Example.com");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Created admin boss@example.com"));
    let again = create_admin(&db, "boss@example.com");
    assert!(!again.status.success());
    let err = text(&again.stderr);
    assert!(err.contains("already registered") || err.contains("taken"), "{err}");
    let mut weak = cmd(&db);
    weak.args(["admin", "create", "--email", "w@example.com", "--password-stdin"]);
    let weak = run_with_stdin(weak, "password\n");
    assert!(!weak.status.success());
    assert!(text(&weak.stderr).contains("password"), "{}", text(&weak.stderr));

    let server = Server::start(&db);
    let (status, body) = server.login("boss", PASSWORD);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["role"], "admin");
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(server.call("GET", "/api/users", Some(&token), None).0, 200);
    let (status, _) = server.login("boss", "the-wrong-one-1");
    assert_eq!(status, 401);
    let (clean, log) = server.stop();
    assert!(clean, "SIGTERM ends the server cleanly; log:\n{log}");
    assert!(log.contains("login failed: client=127.0.0.1 login=\"boss\""), "fail2ban line missing:\n{log}");
    assert!(
        !log.contains(PASSWORD) && !log.contains("the-wrong-one-1") && !log.contains(&token),
        "secret logged"
    );
    assert!(log.contains("POST /api/auth/login 200"), "request log line missing:\n{log}");
    assert!(log.contains(&db.display().to_string()), "the resolved database path is logged");

    // The generated JWT secret lives in the database, so tokens survive a restart.
    let server = Server::start(&db);
    assert_eq!(server.call("GET", "/api/users/me", Some(&token), None).0, 200);
    server.stop();
}

#[test]
fn set_password_replaces_it_and_signs_the_user_out() {
    let (_dir, db) = temp();
    assert!(create_admin(&db, "boss@example.com").status.success());
    let server = Server::start(&db);
    let token = server.login("boss", PASSWORD).1["token"].as_str().unwrap().to_owned();
    let mut c = cmd(&db);
    c.args(["admin", "set-password", "--username", "boss", "--password-stdin"]);
    let out = run_with_stdin(c, "lantern-meadow-quartz-9\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(server.call("GET", "/api/users/me", Some(&token), None).0, 401);
    assert_eq!(server.login("boss", PASSWORD).0, 401);
    assert_eq!(server.login("boss@example.com", "lantern-meadow-quartz-9").0, 200);
    let mut c = cmd(&db);
    c.args(["admin", "set-password", "--email", "ghost@example.com", "--password-stdin"]);
    let out = run_with_stdin(c, "lantern-meadow-quartz-9\n");
    assert!(!out.status.success());
    server.stop();
}

#[test]
fn backup_is_a_consistent_copy_taken_while_serving() {
    let (dir, db) = temp();
    let server = Server::start(&db);
    for i in 0..5 {
        let body = json!({"email": format!("u{i}@example.com"), "password": PASSWORD});
        assert_eq!(server.call("POST", "/api/auth/signup", None, Some(body)).0, 201);
    }
    let out_path = dir.path().join("backup.db");
    let out = cmd(&db).arg("backup").arg(&out_path).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let again = cmd(&db).arg("backup").arg(&out_path).output().unwrap();
    assert!(!again.status.success(), "never overwrites");
    server.stop();
    rocket::execute(async {
        let mut conn =
            SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&out_path)).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&mut conn).await.unwrap();
        assert_eq!(n, 5);
        let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await.unwrap();
        assert_eq!(check, "ok");
    });
    let missing =
        cmd(&dir.path().join("nope.db")).arg("backup").arg(dir.path().join("x.db")).output().unwrap();
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("no database"));
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let (_dir, db) = temp();
    assert!(create_admin(&db, "boss@example.com").status.success());
    rocket::execute(async {
        let mut conn =
            SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&db)).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
             VALUES (99990101000000, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 0)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    });
    let before = std::fs::read(&db).unwrap();
    let out = cmd(&db).args(["--port", "0"]).output().unwrap();
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("newer Stockroom") && err.contains("99990101000000"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "the file is not modified");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused() {
    let (_dir, db) = temp();
    std::fs::write(
        &db,
        b"this is not a database, just some text that is long enough to look like a header......",
    )
    .unwrap();
    let out = cmd(&db).args(["--port", "0"]).output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("is not a Stockroom database"), "{}", text(&out.stderr));
}

#[test]
fn invalid_configuration_is_refused_with_the_key_named() {
    let (_dir, db) = temp();
    let out = cmd(&db).env("STOCKROOM_TOKEN_TTL", "soon").args(["--port", "0"]).output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("token_ttl"), "{}", text(&out.stderr));
    let out = cmd(&db).env("STOCKROOM_JWT_SECRET", "too-short").args(["--port", "0"]).output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("jwt_secret"), "{}", text(&out.stderr));
    assert!(!db.exists(), "nothing was created");
}

#[test]
fn a_method_http_does_not_know_is_405_with_allow() {
    let (_dir, db) = temp();
    let server = Server::start(&db);
    let (status, body) = server.call("QUERY", "/api/health", None, None);
    assert_eq!(status, 405, "{body}");
    assert_eq!(body["error"]["code"], "method_not_allowed");
    let (status, body) = server.call("QUERY", "/api/no-such-thing", None, None);
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    server.stop();
}

/// Rocket closes the pools as soon as shutdown starts; a request still hashing then found the
/// pool closed and answered 500. It must finish against the database, and only then may the
/// database close.
#[test]
fn sigterm_lets_a_request_caught_mid_hash_finish() {
    let (_dir, db) = temp();
    // An expensive hash (256 MiB, 8 passes), so SIGTERM lands while it runs.
    let slow = [
        ("STOCKROOM_ARGON2_MEMORY_KIB", "262144"),
        ("STOCKROOM_ARGON2_ITERATIONS", "8"),
        ("STOCKROOM_AUTH_RATE_LIMIT", "0"),
    ];
    let server = Server::start_with(&db, &slow);
    let started = std::time::Instant::now();
    let signup = json!({"email": "ann@example.com", "username": "ann", "password": PASSWORD});
    assert_eq!(server.call("POST", "/api/auth/signup", None, Some(signup)).0, 201);
    let hash = started.elapsed();
    assert!(hash > std::time::Duration::from_millis(300), "the hash must be slow enough to catch: {hash:?}");

    let answer = std::thread::scope(|s| {
        let login = s.spawn(|| {
            server.try_call(
                "POST",
                "/api/auth/login",
                None,
                Some(json!({"login": "ann", "password": PASSWORD})),
            )
        });
        std::thread::sleep(hash / 3);
        let sent = Command::new("kill").args(["-TERM", &server.pid().to_string()]).status().unwrap();
        assert!(sent.success());
        login.join().unwrap()
    });
    let (status, body) = answer.expect("the in-flight login gets its answer");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "Login successful");
    let (clean, log) = server.stop();
    assert!(clean, "the server still stops cleanly; log:\n{log}");
    assert!(!log.contains("closed pool"), "{log}");
    assert!(log.contains("POST /api/auth/login 200"), "{log}");
}
