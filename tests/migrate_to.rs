//! `stockroom --db FILE migrate-to URL` on the real binary: a populated SQLite database, copied
//! while its server runs, answers the same on Postgres — same ids, same bodies, signed-in users
//! still signed in. Needs `STOCKROOM_TEST_POSTGRES`; without it each test says so and stops.

#[path = "common/postgres.rs"]
mod postgres;
#[path = "common/server.rs"]
mod server;

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::{json, Value};
use server::Server;
use sqlx::{Connection, PgConnection, SqliteConnection};

const PASSWORD: &str = "plum-sofa-riddle-42";

fn pg() -> Option<String> {
    let server = postgres::server();
    if server.is_none() {
        eprintln!("migrate-to tests need {}; skipped", postgres::ENV);
    }
    server
}

fn stockroom(db: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = server::cmd(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn block_on<T: Send + 'static>(f: impl std::future::Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
    })
    .join()
    .unwrap()
}

fn sqlite_scalar(file: &Path, sql: &str) -> i64 {
    let (url, sql) = (format!("sqlite://{}", file.display()), sql.to_owned());
    block_on(async move {
        let mut c = SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_scalar::<_, i64>(&sql).fetch_one(&mut c).await.unwrap()
    })
}

fn pg_scalar(url: &str, sql: &str) -> i64 {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    block_on(async move {
        let mut c = PgConnection::connect(&url).await.unwrap();
        sqlx::query_scalar::<_, i64>(&sql).fetch_one(&mut c).await.unwrap()
    })
}

fn tables_in(url: &str) -> i64 {
    pg_scalar(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()")
}

fn signup(s: &Server, name: &str) -> (String, i64) {
    let body = json!({"email": format!("{name}@example.com"), "username": name, "password": PASSWORD});
    let (status, body) = s.call("POST", "/api/auth/signup", None, Some(body));
    assert_eq!(status, 201, "{body}");
    (body["token"].as_str().unwrap().to_owned(), body["user"]["id"].as_i64().unwrap())
}

/// What a user sees, through every kind of read: compared across the move, byte for byte.
fn views(s: &Server, token: &str, order: i64) -> Vec<(String, Value)> {
    [
        "/api/users/me".to_owned(),
        format!("/api/orders/{order}"),
        "/api/users/me/orders".to_owned(),
        "/api/cart".to_owned(),
        "/api/products?sort=newest".to_owned(),
        "/api/categories".to_owned(),
        "/api/assets".to_owned(),
        "/api/watchlist".to_owned(),
        "/api/portfolio".to_owned(),
    ]
    .into_iter()
    .map(|path| {
        let (status, body) = s.call("GET", &path, Some(token), None);
        assert_eq!(status, 200, "{path}: {body}");
        (path, body)
    })
    .collect()
}

#[test]
fn a_populated_database_moves_to_postgres_while_its_server_runs_and_everyone_stays_signed_in() {
    let Some(pg) = pg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.db");
    let out =
        stockroom(&file, &["admin", "create", "--email", "boss@example.com", "--password-stdin"], PASSWORD);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let old = Server::start_with(&file, &[("STOCKROOM_AUTH_RATE_LIMIT", "0")]);
    let (_, boss) = old.login("boss@example.com", PASSWORD);
    let boss = boss["token"].as_str().unwrap().to_owned();
    let (ann, _) = signup(&old, "ann");
    let (bob, _) = signup(&old, "bob");

    // A catalog with a gap in its ids, an order, a cart line, a watchlist and a holding.
    let cat =
        old.call("POST", "/api/categories", Some(&boss), Some(json!({"name": "Kitchen"}))).1["id"].clone();
    let mut products = Vec::new();
    for (name, price) in [("Mug", 1250), ("Gone", 100), ("Pot", 4599)] {
        let body = json!({"name": name, "price": price, "quantity": 10, "categoryId": cat});
        let (status, body) = old.call("POST", "/api/products", Some(&boss), Some(body));
        assert_eq!(status, 201, "{body}");
        products.push(body["id"].as_i64().unwrap());
    }
    assert_eq!(old.call("DELETE", &format!("/api/products/{}", products[1]), Some(&boss), None).0, 204);
    for (product, quantity) in [(products[0], 2), (products[2], 1)] {
        let body = json!({"productId": product, "quantity": quantity});
        assert_eq!(old.call("POST", "/api/cart", Some(&ann), Some(body)).0, 200);
    }
    let (status, order) = old.call("POST", "/api/order", Some(&ann), None);
    assert_eq!(status, 201, "{order}");
    let order = order["id"].as_i64().unwrap();
    assert_eq!(old.call("POST", "/api/cart", Some(&ann), Some(json!({"productId": products[2]}))).0, 200);
    let asset =
        json!({"symbol": "ACME", "name": "Acme", "price": 123_456, "marketCap": 9_000_000, "rating": "AA"});
    let (status, asset) = old.call("POST", "/api/assets", Some(&boss), Some(asset));
    assert_eq!(status, 201, "{asset}");
    let asset = asset["id"].as_i64().unwrap();
    assert_eq!(old.call("POST", "/api/watchlist", Some(&ann), Some(json!({"assetId": asset}))).0, 201);
    let holding = json!({"assetId": asset, "quantity": 3, "costBasis": 300_000});
    assert_eq!(old.call("POST", "/api/portfolio", Some(&ann), Some(holding)).0, 201);
    // Bob signs out: his session's id is used up, and the newest one handed out.
    assert_eq!(old.call("POST", "/api/auth/logout", Some(&bob), None).0, 200);
    let before = views(&old, &ann, order);
    let sessions_handed_out = sqlite_scalar(&file, "SELECT seq FROM sqlite_sequence WHERE name = 'sessions'");

    // The copy, while the old server still runs.
    let url = block_on({
        let pg = pg.clone();
        async move { postgres::fresh_database(&pg).await }
    });
    let out = stockroom(&file, &["migrate-to", &url], "");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    for &table in stockroom::db::copy::TABLES {
        let expected = sqlite_scalar(&file, &format!("SELECT count(*) FROM {table}"));
        let line = stdout.lines().find(|l| l.split_whitespace().next() == Some(table));
        assert_eq!(
            line.map(|l| l.split_whitespace().collect::<Vec<_>>()),
            Some(vec![table, &expected.to_string()])
        );
        assert_eq!(
            pg_scalar(&url, &format!("SELECT count(*) FROM {table}")),
            expected,
            "{table} on the target"
        );
    }
    drop(old);

    let new = Server::start_with(Path::new(&url), &[("STOCKROOM_AUTH_RATE_LIMIT", "0")]);
    assert_eq!(
        views(&new, &ann, order),
        before,
        "every answer is the same, ids, money and timestamps included"
    );
    assert_eq!(new.call("GET", "/api/users/me", Some(&boss), None).0, 200, "the admin is still signed in");
    assert_eq!(new.call("GET", "/api/users/me", Some(&bob), None).0, 401, "a revoked token stays revoked");
    // New rows continue past every id SQLite handed out.
    let (_, carol) = signup(&new, "carol");
    assert_eq!(carol, 4);
    assert!(pg_scalar(&url, "SELECT MAX(id) FROM sessions") > sessions_handed_out);
    let body = json!({"name": "Pan", "price": 1, "quantity": 1});
    assert_eq!(new.call("POST", "/api/products", Some(&boss), Some(body)).1["id"], products[2] + 1);
    // The price history came over as it was, and prices still make more of it.
    let history = |s: &Server| s.call("GET", &format!("/api/assets/{asset}/prices"), None, None).1;
    assert_eq!(history(&new).as_array().unwrap().len(), 1);
    let (status, _) =
        new.call("PATCH", &format!("/api/assets/{asset}"), Some(&boss), Some(json!({"price": 123_000})));
    assert_eq!(status, 200);
    assert_eq!(history(&new).as_array().unwrap().len(), 2);
    // The order can still be cancelled, and gives its stock back.
    assert_eq!(new.call("POST", &format!("/api/orders/{order}/cancel"), Some(&ann), None).0, 200);
    assert_eq!(new.call("GET", &format!("/api/products/{}", products[0]), None, None).1["quantity"], 10);

    // A second copy into the same database is refused and changes nothing.
    let users = pg_scalar(&url, "SELECT count(*) FROM users");
    let out = stockroom(&file, &["migrate-to", &url], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already has Stockroom tables"));
    assert_eq!(pg_scalar(&url, "SELECT count(*) FROM users"), users);
}

#[test]
fn a_copy_that_fails_leaves_the_target_empty() {
    let Some(pg) = pg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.db");
    let out =
        stockroom(&file, &["admin", "create", "--email", "boss@example.com", "--password-stdin"], PASSWORD);
    assert!(out.status.success());
    // Text Postgres can't store (a NUL character), as an older or hand-edited file might hold:
    // the copy fails after the schema and the first tables went in.
    let url = format!("sqlite://{}", file.display());
    block_on(async move {
        let mut c = SqliteConnection::connect(&url).await.unwrap();
        sqlx::query(
            "INSERT INTO products (name, description, price, quantity, created_at, updated_at)
             VALUES ('Mug', 'a' || char(0) || 'b', 1, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
        )
        .execute(&mut c)
        .await
        .unwrap();
    });
    let target = block_on({
        let pg = pg.clone();
        async move { postgres::fresh_database(&pg).await }
    });
    let out = stockroom(&file, &["migrate-to", &target], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("copying products"), "{out:?}");
    assert_eq!(tables_in(&target), 0, "nothing is left behind, not even the schema");
}

#[test]
fn backup_on_postgres_is_refused_naming_pg_dump() {
    let Some(pg) = pg() else { return };
    let url = block_on(async move { postgres::fresh_database(&pg).await });
    let dir = tempfile::tempdir().unwrap();
    let out = stockroom(Path::new(&url), &["backup", dir.path().join("copy.db").to_str().unwrap()], "");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pg_dump"), "{err}");
    assert!(!dir.path().join("copy.db").exists());
}
