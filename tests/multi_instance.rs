//! Three real instances of the binary on one Postgres database: a client must not be able to
//! tell how many there are. Runs when `STOCKROOM_TEST_POSTGRES` names a server (CI sets it);
//! without one there is nothing to run these against and each test says so.

#[path = "common/postgres.rs"]
mod postgres;
#[path = "common/server.rs"]
mod server;
#[path = "common/smtp.rs"]
mod smtp;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server::Server;
use sqlx::{Connection, PgConnection};

const PASSWORD: &str = "plum-sofa-riddle-42";
const BURST_LIMIT: usize = 12;

struct Cluster {
    url: String,
    nodes: Vec<Server>,
    admin: String,
}

impl Cluster {
    /// Three instances started together on a fresh database (so they race to migrate it),
    /// behind a "proxy" at 127.0.0.1 that sets X-Forwarded-For, and an admin.
    fn start() -> Option<Cluster> {
        Cluster::start_with(&[])
    }

    /// As `start`, with more environment for every instance.
    fn start_with(extra: &[(&str, &str)]) -> Option<Cluster> {
        let Some(pg) = postgres::server() else {
            eprintln!("multi-instance tests need {}; skipped", postgres::ENV);
            return None;
        };
        let url = postgres::fresh_database_blocking(&pg);
        let mut env = vec![
            ("STOCKROOM_TRUSTED_PROXIES", "127.0.0.1"),
            ("STOCKROOM_AUTH_RATE_LIMIT", "12"),
            ("STOCKROOM_DB_MAX_CONNECTIONS", "8"),
        ];
        env.extend_from_slice(extra);
        let nodes: Vec<Server> = std::thread::scope(|s| {
            let starting: Vec<_> =
                (0..3).map(|_| s.spawn(|| Server::start_with(std::path::Path::new(&url), &env))).collect();
            starting.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let out = server::cmd(std::path::Path::new(&url))
            .args([
                "admin",
                "create",
                "--email",
                "boss@example.com",
                "--username",
                "boss",
                "--password-stdin",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes())?;
                child.wait_with_output()
            })
            .unwrap();
        assert!(out.status.success(), "admin create: {}", String::from_utf8_lossy(&out.stdout));
        let mut cluster = Cluster { url, nodes, admin: String::new() };
        let (status, body) =
            cluster.call(0, "POST", "/api/auth/login", None, Some(login("boss")), "10.0.0.1");
        assert_eq!(status, 200, "{body}");
        cluster.admin = body["token"].as_str().unwrap().to_owned();
        Some(cluster)
    }

    fn call(
        &self,
        node: usize,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        client: &str,
    ) -> (u16, Value) {
        self.nodes[node % 3].call_with(method, path, token, body, &[("X-Forwarded-For", client)])
    }

    /// A user signed up through `node`, from a client address of its own.
    fn signup(&self, node: usize, name: &str) -> String {
        let body = json!({"email": format!("{name}@example.com"), "username": name, "password": PASSWORD});
        let (status, body) = self.call(node, "POST", "/api/auth/signup", None, Some(body), &client_of(name));
        assert_eq!(status, 201, "signup {name}: {body}");
        body["token"].as_str().unwrap().to_owned()
    }

    fn product(&self, name: &str, quantity: i64) -> i64 {
        let body = json!({"name": name, "price": 1000, "quantity": quantity});
        let (status, body) = self.call(0, "POST", "/api/products", Some(&self.admin), Some(body), "10.0.0.1");
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().unwrap()
    }

    fn scalar(&self, sql: &str) -> i64 {
        let (url, sql) = (self.url.clone(), sql.to_owned());
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
                let mut c = PgConnection::connect(&url).await.unwrap();
                sqlx::query_scalar::<_, i64>(&sql).fetch_one(&mut c).await.unwrap()
            })
        })
        .join()
        .unwrap()
    }
}

fn login(name: &str) -> Value {
    json!({"login": name, "password": PASSWORD})
}

/// A distinct client address per name, as a proxy in front of the instances would report.
fn client_of(name: &str) -> String {
    let h = name.bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    format!("10.{}.{}.{}", 1 + h % 200, (h >> 8) % 250, 1 + (h >> 16) % 250)
}

fn add_to_cart(c: &Cluster, node: usize, token: &str, product: i64, client: &str) -> u16 {
    let body = json!({"productId": product, "quantity": 1});
    c.call(node, "POST", "/api/cart", Some(token), Some(body), client).0
}

#[test]
fn instances_started_together_migrate_once_and_share_one_secret() {
    let Some(c) = Cluster::start() else { return };
    let known = stockroom::db::POSTGRES_MIGRATOR.iter().count() as i64;
    assert_eq!(c.scalar("SELECT count(*) FROM _sqlx_migrations"), known, "each migration applied once");
    for node in 0..3 {
        let (status, body) = c.call(node, "GET", "/api/health", None, None, "10.0.0.1");
        assert_eq!((status, body["databaseKind"].as_str()), (200, Some("postgres")));
        // A token issued by one instance is honoured by every other.
        assert_eq!(c.call(node, "GET", "/api/users/me", Some(&c.admin), None, "10.0.0.1").0, 200);
    }
}

#[test]
fn an_instance_older_than_the_database_refuses_to_start() {
    let Some(c) = Cluster::start() else { return };
    drop(c.nodes);
    let url = c.url.clone();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
            let mut db = PgConnection::connect(&url).await.unwrap();
            sqlx::query(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
                 VALUES (99990101000000, 'from the future', TRUE, '\\x00', 0)",
            )
            .execute(&mut db)
            .await
            .unwrap();
        })
    })
    .join()
    .unwrap();
    let out = server::cmd(std::path::Path::new(&c.url)).args(["--port", "0"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("newer Stockroom") && err.contains("99990101000000"), "{err}");
}

#[test]
fn libpq_parameters_in_the_url_are_honoured() {
    let Some(pg) = postgres::server() else { return };
    let url = postgres::fresh_database_blocking(&pg);
    // The test server speaks no TLS: demanding it must fail, not quietly connect in the clear.
    let sep = if url.contains('?') { '&' } else { '?' };
    let out = server::cmd(std::path::Path::new(&format!("{url}{sep}sslmode=require")))
        .args(["--port", "0"])
        .output();
    let out = out.unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(err.contains("tls") || err.contains("ssl"), "{err}");
}

#[test]
fn twenty_buyers_spread_over_three_instances_get_exactly_five_units() {
    let Some(c) = Cluster::start() else { return };
    let mug = c.product("Mug", 5);
    let buyers: Vec<(String, String)> = (0..20)
        .map(|i| {
            let name = format!("buyer{i}");
            let token = c.signup(i, &name);
            assert_eq!(add_to_cart(&c, i, &token, mug, &client_of(&name)), 200);
            (name, token)
        })
        .collect();
    let start = Barrier::new(buyers.len());
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = buyers
            .iter()
            .enumerate()
            .map(|(i, (name, token))| {
                let (c, start) = (&c, &start);
                s.spawn(move || {
                    start.wait();
                    c.call(i, "POST", "/api/order", Some(token), None, &client_of(name)).0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 15, "{statuses:?}");
    assert_eq!(c.scalar(&format!("SELECT quantity FROM products WHERE id = {mug}")), 0);
    assert_eq!(c.scalar("SELECT CAST(SUM(quantity) AS BIGINT) FROM order_items"), 5);
}

#[test]
fn one_idempotency_key_sent_to_all_three_places_one_order() {
    let Some(c) = Cluster::start() else { return };
    let mug = c.product("Mug", 10);
    let ann = c.signup(0, "ann");
    let client = client_of("ann");
    assert_eq!(add_to_cart(&c, 1, &ann, mug, &client), 200);
    let start = Barrier::new(3);
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|node| {
                let (c, start, ann, client) = (&c, &start, &ann, &client);
                s.spawn(move || {
                    start.wait();
                    let headers =
                        [("X-Forwarded-For", client.as_str()), ("Idempotency-Key", "checkout-7f3a")];
                    c.nodes[node].call_with("POST", "/api/order", Some(ann), None, &headers)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ids: Vec<i64> = answers.iter().map(|(_, b)| b["id"].as_i64().unwrap_or(-1)).collect();
    assert!(answers.iter().all(|(status, _)| *status == 201), "{answers:?}");
    assert!(ids.iter().all(|id| *id == ids[0]), "one order: {ids:?}");
    assert_eq!(c.scalar("SELECT count(*) FROM orders"), 1);
    assert_eq!(c.scalar(&format!("SELECT quantity FROM products WHERE id = {mug}")), 9);
}

#[test]
fn the_login_and_burst_limits_hold_across_instances() {
    let Some(c) = Cluster::start() else { return };
    c.signup(0, "victim");
    let attacker = "10.66.0.1";
    let wrong = json!({"login": "victim", "password": "not-the-password"});
    for attempt in 0..5 {
        let (status, body) = c.call(attempt, "POST", "/api/auth/login", None, Some(wrong.clone()), attacker);
        assert_eq!(status, 401, "attempt {attempt}: {body}");
    }
    for node in 0..3 {
        let (status, body) = c.call(node, "POST", "/api/auth/login", None, Some(wrong.clone()), attacker);
        assert_eq!((status, body["error"]["code"].as_str()), (429, Some("rate_limited")), "node {node}");
    }
    let (status, _) = c.call(2, "POST", "/api/auth/login", None, Some(login("victim")), attacker);
    assert_eq!(status, 429, "even the right password, until the window passes");
    assert_eq!(c.call(1, "POST", "/api/auth/login", None, Some(login("victim")), "10.66.0.2").0, 200);

    // The burst limit on /api/auth/*: one client's requests count on every instance.
    let burster = "10.77.0.1";
    for i in 0..BURST_LIMIT {
        let body = json!({"login": format!("ghost{i}"), "password": "whatever-it-is"});
        let (status, body) = c.call(i, "POST", "/api/auth/login", None, Some(body), burster);
        assert_eq!(status, 401, "request {i}: {body}");
    }
    for node in 0..3 {
        let body = json!({"login": "ghost-late", "password": "whatever-it-is"});
        let (status, body) = c.call(node, "POST", "/api/auth/login", None, Some(body), burster);
        assert_eq!((status, body["error"]["code"].as_str()), (429, Some("rate_limited")), "node {node}");
    }
}

#[test]
fn a_logout_on_one_instance_is_effective_on_the_others_at_once() {
    let Some(c) = Cluster::start() else { return };
    let token = c.signup(0, "ann");
    let client = client_of("ann");
    for node in 0..3 {
        assert_eq!(c.call(node, "GET", "/api/users/me", Some(&token), None, &client).0, 200);
    }
    assert_eq!(c.call(0, "POST", "/api/auth/logout", Some(&token), None, &client).0, 200);
    for node in 1..3 {
        let (status, body) = c.call(node, "GET", "/api/users/me", Some(&token), None, &client);
        assert_eq!(status, 401, "node {node}: {body}");
    }
}

#[test]
fn a_write_on_one_instance_shows_in_the_others_public_lists_within_a_second() {
    let Some(c) = Cluster::start() else { return };
    let mug = c.product("Mug", 5);
    let asset = json!({"symbol": "MUG", "name": "Mug Corp", "price": 1000, "marketCap": 5});
    let (status, body) = c.call(0, "POST", "/api/assets", Some(&c.admin), Some(asset), "10.0.0.1");
    assert_eq!(status, 201, "{body}");
    let asset_path = format!("/api/assets/{}", body["id"]);
    let price_in_list = |node: usize| {
        c.call(node, "GET", "/api/products?sort=name", None, None, "10.0.0.9").1["items"][0]["price"].as_i64()
    };
    let price_in_screener = |node: usize| {
        c.call(node, "GET", "/api/assets?q=MUG", None, None, "10.0.0.9").1["items"][0]["price"].as_i64()
    };
    for round in 0..5 {
        let price = 2000 + round;
        // Warm every instance's cache with the current answer, twice.
        for node in (0..3).chain(0..3) {
            assert_eq!(price_in_list(node), Some(if round == 0 { 1000 } else { price - 1 }));
            assert_eq!(price_in_screener(node), Some(if round == 0 { 1000 } else { price - 1 }));
        }
        let writer = round as usize % 3;
        let patch = json!({"price": price});
        let path = format!("/api/products/{mug}");
        assert_eq!(c.call(writer, "PATCH", &path, Some(&c.admin), Some(patch.clone()), "10.0.0.1").0, 200);
        assert_eq!(c.call(writer, "PATCH", &asset_path, Some(&c.admin), Some(patch), "10.0.0.1").0, 200);
        let written = Instant::now();
        for node in (0..3).filter(|n| *n != writer) {
            while price_in_list(node) != Some(price) || price_in_screener(node) != Some(price) {
                assert!(written.elapsed() < Duration::from_secs(1), "round {round}: node {node} still stale");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

#[test]
fn sigkill_of_one_instance_under_order_load_loses_no_acknowledged_order() {
    let Some(c) = Cluster::start() else { return };
    let stock = 100_000;
    let mug = c.product("Mug", stock);
    let buyers: Vec<(String, String)> =
        (0..12).map(|i| (format!("buyer{i}"), c.signup(i, &format!("buyer{i}")))).collect();
    let acknowledged = Mutex::new(Vec::new());
    let (placed, stop) = (AtomicUsize::new(0), AtomicBool::new(false));
    std::thread::scope(|s| {
        for (i, (name, token)) in buyers.iter().enumerate() {
            let (c, acknowledged, placed, stop) = (&c, &acknowledged, &placed, &stop);
            s.spawn(move || {
                let (node, client) = (&c.nodes[i % 3], client_of(name));
                let headers = [("X-Forwarded-For", client.as_str())];
                while !stop.load(Ordering::Relaxed) {
                    let add = json!({"productId": mug, "quantity": 1});
                    match node.try_call_with("POST", "/api/cart", Some(token), Some(add), &headers) {
                        Ok((200, _)) => {}
                        Ok((status, body)) => panic!("{name}: add answered {status}: {body}"),
                        Err(_) => return, // its instance is gone
                    }
                    match node.try_call_with("POST", "/api/order", Some(token), None, &headers) {
                        Ok((201, body)) => {
                            acknowledged.lock().unwrap().push((token.clone(), body["id"].as_i64().unwrap()));
                            placed.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok((status, body)) => panic!("{name}: order answered {status}: {body}"),
                        Err(_) => return,
                    }
                }
            });
        }
        while placed.load(Ordering::Relaxed) < 60 {
            std::thread::sleep(Duration::from_millis(5));
        }
        c.nodes[2].sigkill();
        std::thread::sleep(Duration::from_millis(500));
        stop.store(true, Ordering::Relaxed);
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    assert!(acknowledged.len() >= 60);
    for (token, id) in &acknowledged {
        let (status, body) = c.call(0, "GET", &format!("/api/orders/{id}"), Some(token), None, "10.0.0.3");
        assert_eq!(status, 200, "acknowledged order {id} is there: {body}");
        assert_eq!(body["items"][0]["quantity"], 1);
    }
    let orders = c.scalar("SELECT count(*) FROM orders");
    assert!(orders >= acknowledged.len() as i64, "{orders} orders, {} acknowledged", acknowledged.len());
    assert_eq!(c.scalar("SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items WHERE order_id = o.id)"), 0);
    let sold = c.scalar("SELECT CAST(SUM(quantity) AS BIGINT) FROM order_items");
    assert_eq!(c.scalar(&format!("SELECT quantity FROM products WHERE id = {mug}")) + sold, stock);
    // The survivors carry on.
    assert_eq!(c.call(1, "GET", "/api/health", None, None, "10.0.0.1").0, 200);
}

#[test]
fn each_mail_is_delivered_once_whichever_instance_takes_it() {
    let sink = smtp::Sink::start();
    // Refused at first, so every mail is retried — by whichever of the three workers gets it.
    sink.refuse_temporarily();
    let url = sink.url();
    let Some(c) = Cluster::start_with(&[("STOCKROOM_SMTP_URL", &url)]) else { return };
    let names: Vec<String> = (0..24).map(|i| format!("mailee{i}")).collect();
    std::thread::scope(|s| {
        for (i, name) in names.iter().enumerate() {
            let c = &c;
            s.spawn(move || c.signup(i, name));
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, page) =
            c.call(1, "GET", "/api/admin/mail?status=queued&perPage=100", Some(&c.admin), None, "10.0.0.1");
        assert_eq!(status, 200, "{page}");
        let tried = page["items"].as_array().unwrap().iter().filter(|m| m["attempts"] == 1).count();
        if tried == names.len() {
            break;
        }
        assert!(Instant::now() < deadline, "not every mail was tried: {page}");
        std::thread::sleep(Duration::from_millis(100));
    }
    sink.accept_again();
    for name in &names {
        sink.wait_for(&format!("{name}@example.com"), 1, Duration::from_secs(40));
    }
    std::thread::sleep(Duration::from_secs(2));
    let received = sink.received();
    assert_eq!(received.len(), names.len(), "each mail once, none twice");
    let (_, page) =
        c.call(2, "GET", "/api/admin/mail?status=sent&perPage=100", Some(&c.admin), None, "10.0.0.1");
    assert_eq!(page["totalItems"], names.len(), "{page}");
}

#[test]
fn every_instance_writes_one_audit_log_and_they_purge_it_together_without_a_fault() {
    let Some(c) = Cluster::start() else { return };
    for (node, name) in ["ann", "bob", "cyd"].iter().enumerate() {
        c.signup(node, name);
        let (status, _) = c.call(node, "POST", "/api/auth/login", None, Some(login(name)), &client_of(name));
        assert_eq!(status, 200);
    }
    let (status, log) =
        c.call(2, "GET", "/api/audit?action=auth.login&perPage=100", Some(&c.admin), None, "10.0.0.1");
    assert_eq!(status, 200, "{log}");
    let mut ips: Vec<String> =
        log["items"].as_array().unwrap().iter().map(|e| e["ip"].as_str().unwrap().to_owned()).collect();
    ips.sort();
    let mut expected: Vec<String> = ["boss", "ann", "bob", "cyd"]
        .iter()
        .map(|n| if *n == "boss" { "10.0.0.1".to_owned() } else { client_of(n) })
        .collect();
    expected.sort();
    assert_eq!(ips, expected, "each sign-in, through whichever instance, from the client the proxy named");

    // Old events, then three instances starting together: each round of the purge runs once.
    let old = (chrono::Utc::now() - chrono::Duration::days(400)).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    c.scalar(&format!(
        "WITH added AS (INSERT INTO audit_log (at, action, details) SELECT '{old}', 'auth.login', '{{}}' \
         FROM generate_series(1, 500) RETURNING 1) SELECT count(*) FROM added"
    ));
    let recent = c.scalar("SELECT count(*) FROM audit_log WHERE at > '2026-01-01'");
    let url = c.url.clone();
    let admin = c.admin.clone();
    for node in c.nodes {
        node.stop();
    }
    let env = [("STOCKROOM_TRUSTED_PROXIES", "127.0.0.1"), ("STOCKROOM_AUDIT_RETENTION_DAYS", "365")];
    let nodes: Vec<Server> = std::thread::scope(|s| {
        let starting: Vec<_> =
            (0..3).map(|_| s.spawn(|| Server::start_with(std::path::Path::new(&url), &env))).collect();
        starting.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let c = Cluster { url, nodes, admin };
    let deadline = Instant::now() + Duration::from_secs(15);
    while c.scalar(&format!("SELECT count(*) FROM audit_log WHERE at = '{old}'")) > 0 {
        assert!(Instant::now() < deadline, "the old events were not purged");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(c.scalar("SELECT count(*) FROM audit_log WHERE at > '2026-01-01'"), recent);
    let purged: usize = c.nodes.iter().map(|n| n.log().matches("purged 500 audit events").count()).sum();
    assert_eq!(purged, 1, "one instance purged, once");
    for n in c.nodes {
        let (_, log) = n.stop();
        assert!(!log.contains("purging the audit log failed"), "{log}");
    }
}

#[test]
fn a_transaction_recorded_on_one_instance_is_in_the_portfolio_on_the_others_at_once() {
    let Some(c) = Cluster::start() else { return };
    let asset = json!({"symbol": "ACME", "name": "Acme", "price": 1_000, "marketCap": 1});
    let (status, asset) = c.call(0, "POST", "/api/assets", Some(&c.admin), Some(asset), "10.0.0.1");
    assert_eq!(status, 201, "{asset}");
    let ann = c.signup(0, "ann");
    let client = client_of("ann");
    let quantity = |node: usize| {
        let (status, p) = c.call(node, "GET", "/api/portfolio", Some(&ann), None, &client);
        assert_eq!(status, 200, "{p}");
        p["holdings"].as_array().unwrap().iter().map(|h| h["quantity"].as_i64().unwrap()).sum::<i64>()
    };
    // Every instance has read (and kept) the ledger before each change.
    for (i, step) in [5_i64, 3, -2, 7].into_iter().enumerate() {
        for node in 0..3 {
            quantity(node);
        }
        let kind = if step > 0 { "buy" } else { "sell" };
        let body = json!({"assetId": asset["id"], "type": kind, "quantity": step.abs(), "price": 900});
        let (status, t) = c.call(i, "POST", "/api/portfolio/transactions", Some(&ann), Some(body), &client);
        assert_eq!(status, 201, "{t}");
        let expected: i64 = [5, 3, -2, 7][..=i].iter().sum();
        for node in 0..3 {
            assert_eq!(quantity(node), expected, "instance {node} after change {i}");
        }
    }
}
