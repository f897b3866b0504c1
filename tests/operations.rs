//! §11 operations on the real binary: scheduled backups (on time, sound, rotated, not stopped by a
//! directory it cannot write), and `stockroom restore` (its refusals, and a whole cycle).

#[path = "common/server.rs"]
mod server;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use server::{cmd, Server};
use sqlx::{ConnectOptions, Connection};

const PASSWORD: &str = "plum-sofa-riddle-42";

fn signup(s: &Server, name: &str) {
    let body = json!({"email": format!("{name}@example.com"), "username": name, "password": PASSWORD});
    let (status, body) = s.call("POST", "/api/auth/signup", None, Some(body));
    assert_eq!(status, 201, "{body}");
}

fn wait_for(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what} did not happen within {within:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The text of `GET /metrics` from loopback.
fn metrics(s: &Server) -> String {
    let mut c = TcpStream::connect(&s.addr).unwrap();
    write!(c, "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", s.addr).unwrap();
    let mut raw = String::new();
    c.read_to_string(&mut raw).unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    raw.split_once("\r\n\r\n").unwrap().1.to_owned()
}

fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .parse()
        .unwrap()
}

/// The scheduled backups in `dir`, by name (oldest first).
fn backups_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    found.retain(|p| p.extension().is_some_and(|e| e == "db"));
    found.sort();
    found
}

async fn open(path: &Path) -> sqlx::SqliteConnection {
    sqlx::sqlite::SqliteConnectOptions::new().filename(path).connect().await.unwrap()
}

async fn usernames(path: &Path) -> Vec<String> {
    let mut c = open(path).await;
    let names = sqlx::query_scalar("SELECT username FROM users ORDER BY id").fetch_all(&mut c).await.unwrap();
    c.close().await.unwrap();
    names
}

async fn integrity(path: &Path) -> String {
    let mut c = open(path).await;
    let ok: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut c).await.unwrap();
    c.close().await.unwrap();
    ok
}

/// `stockroom --db DB ARGS…`: (succeeded, stdout, stderr).
fn run(db: &Path, args: &[&str]) -> (bool, String, String) {
    let out = cmd(db).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[tokio::test]
async fn scheduled_backups_come_on_time_are_sound_and_rotate() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let into = dir.path().join("backups");
    let env = [
        ("STOCKROOM_BACKUP_DIR", into.to_str().unwrap()),
        ("STOCKROOM_BACKUP_INTERVAL", "1"),
        ("STOCKROOM_BACKUP_KEEP", "2"),
    ];
    let s = Server::start_with(&db, &env);
    signup(&s, "ann");
    wait_for("three backups", Duration::from_secs(20), || s.log().matches("backup written").count() >= 3);
    let files = backups_in(&into);
    assert_eq!(files.len(), 2, "kept two: {files:?}");
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("shop-") && name.ends_with("Z.db"), "{name}");
        assert_eq!(integrity(f).await, "ok");
        assert_eq!(usernames(f).await, ["ann"]);
    }
    let leftovers: Vec<_> = std::fs::read_dir(&into)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let m = metrics(&s);
    assert!(sample(&m, "stockroom_backups_total{result=\"ok\"}") >= 3.0, "{m}");
    assert_eq!(sample(&m, "stockroom_backups_total{result=\"failed\"}"), 0.0);
    let last = sample(&m, "stockroom_backup_last_success_timestamp_seconds");
    assert!((chrono::Utc::now().timestamp() as f64 - last).abs() < 10.0, "{last}");
    let (stopped, _) = s.stop();
    assert!(stopped);
}

#[tokio::test]
async fn a_restart_takes_the_next_backup_one_interval_after_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let into = dir.path().join("backups");
    let env = [("STOCKROOM_BACKUP_DIR", into.to_str().unwrap()), ("STOCKROOM_BACKUP_INTERVAL", "3600")];
    let s = Server::start_with(&db, &env);
    // None yet: the first is due at once.
    wait_for("the first backup", Duration::from_secs(10), || backups_in(&into).len() == 1);
    s.stop();
    let s = Server::start_with(&db, &env);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(backups_in(&into).len(), 1, "not an extra one at each start");
    assert!(s.log().contains("backing up every 3600 s"), "{}", s.log());
    s.stop();
}

#[tokio::test]
async fn a_backup_directory_that_cannot_be_written_is_logged_and_counted_and_the_server_serves_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    // A directory under a regular file: refused even to root.
    std::fs::write(dir.path().join("plain-file"), "x").unwrap();
    let into = dir.path().join("plain-file").join("backups");
    let env = [("STOCKROOM_BACKUP_DIR", into.to_str().unwrap()), ("STOCKROOM_BACKUP_INTERVAL", "1")];
    let s = Server::start_with(&db, &env);
    wait_for("two failures", Duration::from_secs(15), || {
        s.log().matches("scheduled backup failed").count() >= 2
    });
    assert!(s.log().contains("cannot create"), "{}", s.log());
    signup(&s, "ann");
    assert_eq!(s.call("GET", "/api/health", None, None).0, 200);
    let m = metrics(&s);
    assert!(sample(&m, "stockroom_backups_total{result=\"failed\"}") >= 2.0, "{m}");
    assert_eq!(sample(&m, "stockroom_backup_last_success_timestamp_seconds"), 0.0);
    let (stopped, _) = s.stop();
    assert!(stopped, "a failing backup is never fatal");
}

#[test]
fn backup_settings_are_checked_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let out = cmd(&db).env("STOCKROOM_BACKUP_INTERVAL", "60").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`backup_dir` is required when `backup_interval` is set"), "{err}");
    let out = cmd(Path::new("postgres://nobody@127.0.0.1:1/shop"))
        .env("STOCKROOM_BACKUP_INTERVAL", "60")
        .env("STOCKROOM_BACKUP_DIR", dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("pg_dump"), "{err}");
    assert!(!db.exists(), "nothing was created");
}

/// A database with `names` signed up, and a copy made by `stockroom backup` while it ran.
fn shop_with_backup(dir: &Path, names: &[&str], more: &[&str]) -> (PathBuf, PathBuf) {
    let db = dir.join("shop.db");
    let copy = dir.join("copy.db");
    let s = Server::start(&db);
    for n in names {
        signup(&s, n);
    }
    let (ok, stdout, stderr) = run(&db, &["backup", copy.to_str().unwrap()]);
    assert!(ok, "{stdout}{stderr}");
    for n in more {
        signup(&s, n);
    }
    let (stopped, _) = s.stop();
    assert!(stopped);
    (db, copy)
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_sound_stockroom_database_and_leaves_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (db, copy) = shop_with_backup(dir.path(), &["ann"], &["bob"]);
    let refused = |backup: &Path, expect: &str| {
        let (ok, stdout, stderr) = run(&db, &["restore", backup.to_str().unwrap()]);
        assert!(!ok, "restored {}: {stdout}", backup.display());
        assert!(stderr.contains(expect), "{}: expected {expect:?} in {stderr}", backup.display());
    };

    refused(&dir.path().join("missing.db"), "no backup at");
    let text = dir.path().join("notes.db");
    std::fs::write(&text, "these are not the pages you are looking for\n".repeat(200)).unwrap();
    refused(&text, "is not a SQLite database");
    let other = dir.path().join("other.db");
    let mut c = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&other)
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    sqlx::query("CREATE TABLE notes (body TEXT)").execute(&mut c).await.unwrap();
    c.close().await.unwrap();
    refused(&other, "is a SQLite database but not a Stockroom one");

    // A Stockroom database from a newer version.
    let newer = dir.path().join("newer.db");
    std::fs::copy(&copy, &newer).unwrap();
    let mut c = open(&newer).await;
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (9999, 'future', 1, x'00', 0)")
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    refused(&newer, "written by a newer Stockroom");

    // A damaged one: the pages of the users table overwritten.
    let damaged = dir.path().join("damaged.db");
    std::fs::copy(&copy, &damaged).unwrap();
    let mut c = open(&damaged).await;
    let root: i64 = sqlx::query_scalar("SELECT rootpage FROM sqlite_master WHERE name = 'users'")
        .fetch_one(&mut c)
        .await
        .unwrap();
    let page: i64 = sqlx::query_scalar("PRAGMA page_size").fetch_one(&mut c).await.unwrap();
    c.close().await.unwrap();
    let mut bytes = std::fs::read(&damaged).unwrap();
    let at = ((root - 1) * page) as usize;
    bytes[at + 8..at + page as usize].fill(0xA5);
    std::fs::write(&damaged, bytes).unwrap();
    refused(&damaged, "fails the integrity check");

    // Not while a server has the file open.
    let s = Server::start(&db);
    refused(&copy, "is open in a running Stockroom; stop the server first");
    s.stop();

    assert_eq!(usernames(&db).await, ["ann", "bob"], "every refusal left the database as it was");
    assert!(!dir.path().join("shop.db.before-restore").exists());
    let (ok, _, stderr) =
        run(Path::new("postgres://nobody@127.0.0.1:1/shop"), &["restore", copy.to_str().unwrap()]);
    assert!(!ok && stderr.contains("pg_restore"), "{stderr}");
}

#[tokio::test]
async fn a_backup_restored_is_the_database_again_and_the_replaced_one_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (db, copy) = shop_with_backup(dir.path(), &["ann"], &["bob"]);
    let (ok, stdout, stderr) = run(&db, &["restore", copy.to_str().unwrap()]);
    assert!(ok, "{stdout}{stderr}");
    let before = dir.path().join("shop.db.before-restore");
    assert!(stdout.contains(&format!("kept as {}", before.display())), "{stdout}");
    assert!(!dir.path().join("shop.db-wal").exists());
    assert_eq!(usernames(&before).await, ["ann", "bob"], "the replaced database, whole");
    assert_eq!(usernames(&db).await, ["ann"]);

    let s = Server::start(&db);
    assert_eq!(s.login("ann", PASSWORD).0, 200);
    assert_eq!(s.login("bob", PASSWORD).0, 401);
    signup(&s, "cyd");
    s.stop();

    // Restoring again replaces the kept copy with the database as it was just now.
    let (ok, _, stderr) = run(&db, &["restore", copy.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert_eq!(usernames(&before).await, ["ann", "cyd"]);
    assert_eq!(usernames(&db).await, ["ann"]);
    // A database that does not exist yet is simply put in place.
    let fresh = dir.path().join("fresh.db");
    let (ok, stdout, stderr) = run(&fresh, &["restore", copy.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(!stdout.contains("kept as"), "{stdout}");
    assert_eq!(usernames(&fresh).await, ["ann"]);
}
