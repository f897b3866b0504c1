#![allow(dead_code)] // each test binary uses a different part of this shared harness
//! Fresh Postgres databases for tests, on the server `STOCKROOM_TEST_POSTGRES` names
//! (for example `postgres://postgres@127.0.0.1:5432/postgres`). Unset, tests run on SQLite.

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{Connection, PgConnection};

pub const ENV: &str = "STOCKROOM_TEST_POSTGRES";

/// The server URL, when the suite runs on Postgres.
pub fn server() -> Option<String> {
    std::env::var(ENV).ok().filter(|s| !s.trim().is_empty())
}

/// `url` with its database name replaced by `name` (libpq parameters are kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, params) = match url.split_once('?') {
        Some((b, p)) => (b, format!("?{p}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..].find('/').map(|i| i + scheme_end).unwrap_or(base.len());
    format!("{}/{name}{params}", &base[..host_end])
}

/// Creates an empty database on the server and returns its URL.
pub async fn fresh_database(server: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "stockroom_test_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        rand_suffix()
    );
    let mut admin = PgConnection::connect(server).await.expect("connect to STOCKROOM_TEST_POSTGRES");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    admin.close().await.ok();
    with_database(server, &name)
}

/// As `fresh_database`, from synchronous code (the real-binary tests).
pub fn fresh_database_blocking(server: &str) -> String {
    let server = server.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(fresh_database(&server))
    })
    .join()
    .unwrap()
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos() as u64).unwrap_or(0)
}
