//! Crash safety: the real binary under concurrent order load is killed with SIGKILL while
//! requests are in flight, restarted on the same database file, and checked — several rounds in a
//! row on one file:
//!
//! - `PRAGMA integrity_check` is `ok` and `PRAGMA foreign_key_check` finds nothing;
//! - every order whose 201 arrived exists with exactly the items it was acknowledged with, and every
//!   acknowledged cancellation is still cancelled;
//! - no order lost its lines and every total matches its lines;
//! - for every product, initial stock − Σ quantity over all orders that are not cancelled = stock now;
//! - a token logged out before the first crash is still 401 after every restart, while a token that
//!   was never logged out still works (so the 401 is the revocation, not a restart forgetting keys).

#[path = "common/server.rs"]
mod server;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server::{cmd, Server};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, Row, SqliteConnection};

const PASSWORD: &str = "plum-sofa-riddle-42";
const ROUNDS: usize = 8;
const WORKERS: usize = 8;
/// Kill once this many orders have been acknowledged in the round (plus a random extra of up to
/// `ORDERS_SPREAD`)...
const ORDERS_BEFORE_KILL: usize = 20;
const ORDERS_SPREAD: u64 = 130;
/// ...or after this long, whichever comes first.
const ROUND_LIMIT: Duration = Duration::from_secs(5);
/// Initial stock per product: some run out during the test, so refusals (409) are exercised too.
const STOCK: [i64; 6] = [40, 90, 150, 300, 600, 5000];
const ENV: [(&str, &str); 2] = [("STOCKROOM_AUTH_RATE_LIMIT", "0"), ("STOCKROOM_LOGIN_MAX_FAILURES", "0")];

/// A tiny deterministic PRNG (xorshift64*), so no extra crate is needed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) % n
    }
}

/// An order's lines as (productId, quantity).
type Lines = Vec<(i64, i64)>;

/// What the clients were told: orders acknowledged with 201 (id → (productId, quantity) lines)
/// and cancellations acknowledged with 200.
#[derive(Default)]
struct Acks {
    orders: HashMap<i64, Lines>,
    /// Which shopper placed each order, and in which round.
    placed_by: HashMap<i64, (usize, usize)>,
    cancelled: Vec<i64>,
}

/// What the shoppers of one round share.
struct Round<'a> {
    number: usize,
    products: &'a [i64],
    stop: AtomicBool,
    counters: Counters,
    acks: &'a Mutex<Acks>,
    failures: &'a Mutex<Vec<String>>,
}

#[derive(Default)]
struct Counters {
    acked: AtomicUsize,
    refused: AtomicUsize,
    /// Exchanges cut off after the request was sent (the kill hit them in flight).
    cut_off: AtomicUsize,
}

fn create_admin(db: &Path) {
    let mut c = cmd(db);
    c.args(["admin", "create", "--email", "boss@example.com", "--username", "boss", "--password-stdin"]);
    let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "admin create: {}", String::from_utf8_lossy(&out.stderr));
}

fn signup(server: &Server, name: &str) -> String {
    let (status, body) = server.call(
        "POST",
        "/api/auth/signup",
        None,
        Some(json!({"email": format!("{name}@example.com"), "username": name, "password": PASSWORD})),
    );
    assert_eq!(status, 201, "signup {name}: {body}");
    body["token"].as_str().unwrap().to_owned()
}

/// One shopper: fill the cart with one or two lines, place the order, sometimes cancel it; until
/// told to stop. Any answer other than the expected ones (e.g. a 5xx) is recorded as a failure.
fn shop(server: &Server, shopper: usize, token: &str, seed: u64, round: &Round) {
    let Round { products, stop, counters, acks, failures, .. } = round;
    let mut rng = Rng(seed | 1);
    let fail = |what: String| failures.lock().unwrap().push(what);
    while !stop.load(Ordering::Relaxed) {
        let call = |method: &str, path: &str, body: Option<Value>| match server.try_call(
            method,
            path,
            Some(token),
            body,
        ) {
            Ok(answer) => Some(answer),
            Err(e) => {
                if e.kind() != std::io::ErrorKind::ConnectionRefused {
                    counters.cut_off.fetch_add(1, Ordering::Relaxed);
                }
                None
            }
        };
        let lines = 1 + rng.below(2);
        for _ in 0..lines {
            let product = products[rng.below(products.len() as u64) as usize];
            let quantity = 1 + rng.below(3);
            if let Some((status, body)) =
                call("POST", "/api/cart", Some(json!({"productId": product, "quantity": quantity})))
            {
                if status != 200 && status != 409 {
                    fail(format!("POST /api/cart → {status} {body}"));
                }
            }
        }
        let Some((status, body)) = call("POST", "/api/order", None) else { continue };
        match status {
            201 => {
                let id = body["id"].as_i64().expect("order id");
                let items = body["items"]
                    .as_array()
                    .expect("order items")
                    .iter()
                    .map(|i| (i["productId"].as_i64().unwrap(), i["quantity"].as_i64().unwrap()))
                    .collect();
                {
                    let mut acks = acks.lock().unwrap();
                    acks.orders.insert(id, items);
                    acks.placed_by.insert(id, (shopper, round.number));
                }
                counters.acked.fetch_add(1, Ordering::Relaxed);
                if rng.below(5) == 0 {
                    if let Some((status, body)) = call("POST", &format!("/api/orders/{id}/cancel"), None) {
                        match status {
                            200 => acks.lock().unwrap().cancelled.push(id),
                            _ => fail(format!("cancel {id} → {status} {body}")),
                        }
                    }
                }
            }
            409 => {
                counters.refused.fetch_add(1, Ordering::Relaxed);
                // Out of stock: start again with an empty cart.
                if let Some((status, body)) = call("DELETE", "/api/cart", None) {
                    if status >= 300 {
                        fail(format!("DELETE /api/cart → {status} {body}"));
                    }
                }
            }
            // The cart can be empty when the lines were refused (409) for want of stock.
            400 if body["error"]["code"] == "cart_empty" => {}
            _ => fail(format!("POST /api/order → {status} {body}")),
        }
    }
}

/// Opens the database file on a connection of its own (the restarted server keeps running) and
/// checks every invariant; returns the number of orders in the file.
fn check_database(db: &Path, initial: &HashMap<i64, i64>, acks: &Acks, round: usize) -> usize {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut conn =
            SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(db)).await.unwrap();

        let integrity: Vec<String> =
            sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await.unwrap();
        assert_eq!(integrity, ["ok"], "round {round}: integrity_check");
        let dangling = sqlx::query("PRAGMA foreign_key_check").fetch_all(&mut conn).await.unwrap();
        assert!(dangling.is_empty(), "round {round}: foreign_key_check found {} rows", dangling.len());

        let mut lines: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for row in sqlx::query("SELECT order_id, product_id, quantity FROM order_items ORDER BY rowid")
            .fetch_all(&mut conn)
            .await
            .unwrap()
        {
            lines.entry(row.get(0)).or_default().push((row.get(1), row.get(2)));
        }
        let orders = sqlx::query(
            "SELECT o.id, o.status, o.total_price, \
                    (SELECT COALESCE(SUM(unit_price * quantity), 0) FROM order_items WHERE order_id = o.id) \
             FROM orders o",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let mut status: HashMap<i64, String> = HashMap::new();
        for row in &orders {
            let id: i64 = row.get(0);
            assert!(lines.contains_key(&id), "round {round}: order {id} has no lines");
            assert_eq!(row.get::<i64, _>(2), row.get::<i64, _>(3), "round {round}: order {id} total");
            status.insert(id, row.get(1));
        }
        assert_eq!(lines.len(), orders.len(), "round {round}: lines of orders that do not exist");

        for (id, items) in &acks.orders {
            let stored =
                lines.get(id).unwrap_or_else(|| panic!("round {round}: acknowledged order {id} lost"));
            let (mut stored, mut items) = (stored.clone(), items.clone());
            stored.sort_unstable();
            items.sort_unstable();
            assert_eq!(stored, items, "round {round}: acknowledged order {id} changed its items");
        }
        for id in &acks.cancelled {
            assert_eq!(status[id], "cancelled", "round {round}: acknowledged cancellation of {id} lost");
        }

        let mut ordered: HashMap<i64, i64> = HashMap::new();
        for (id, items) in &lines {
            if status[id] != "cancelled" {
                for (product, quantity) in items {
                    *ordered.entry(*product).or_default() += quantity;
                }
            }
        }
        for row in sqlx::query("SELECT id, quantity FROM products").fetch_all(&mut conn).await.unwrap() {
            let (id, now): (i64, i64) = (row.get(0), row.get(1));
            let sold = ordered.get(&id).copied().unwrap_or(0);
            assert_eq!(
                initial[&id] - sold,
                now,
                "round {round}: product {id}: initial {} − ordered {sold} ≠ stock {now}",
                initial[&id]
            );
        }
        conn.close().await.unwrap();
        orders.len()
    })
}

#[test]
fn sigkill_under_order_load_loses_nothing() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    create_admin(&db);
    let mut server = Server::start_with(&db, &ENV);

    let (status, body) = server.login("boss", PASSWORD);
    assert_eq!(status, 200, "{body}");
    let admin = body["token"].as_str().unwrap().to_owned();
    let (status, body) = server.call(
        "POST",
        "/api/categories",
        Some(&admin),
        Some(json!({"name": "Crash", "description": null})),
    );
    assert_eq!(status, 201, "{body}");
    let category = body["id"].as_i64().unwrap();
    let mut initial = HashMap::new();
    let mut products = Vec::new();
    for (i, stock) in STOCK.iter().enumerate() {
        let (status, body) = server.call(
            "POST",
            "/api/products",
            Some(&admin),
            Some(json!({"name": format!("Widget {i}"), "price": 100 + 37 * i, "quantity": stock, "categoryId": category})),
        );
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_i64().unwrap();
        initial.insert(id, *stock);
        products.push(id);
    }

    // One user logs out before any crash; another keeps a live token.
    let gone = signup(&server, "leaver");
    let kept = signup(&server, "stayer");
    let (status, body) = server.call("POST", "/api/auth/logout", Some(&gone), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.call("GET", "/api/users/me", Some(&gone), None).0, 401);

    let shoppers: Vec<String> = (0..WORKERS).map(|i| signup(&server, &format!("shopper{i}"))).collect();
    let acks = Mutex::new(Acks::default());
    let failures = Mutex::new(Vec::new());
    let mut rng = Rng(0x5EED_CAFE);
    let mut report = Vec::new();
    let mut total_cut_off = 0;

    for round in 1..=ROUNDS {
        let round_state = Round {
            number: round,
            products: &products,
            stop: AtomicBool::new(false),
            counters: Counters::default(),
            acks: &acks,
            failures: &failures,
        };
        let target = ORDERS_BEFORE_KILL + rng.below(ORDERS_SPREAD) as usize;
        std::thread::scope(|scope| {
            for (i, token) in shoppers.iter().enumerate() {
                let (server, round_state) = (&server, &round_state);
                let seed = (round * 1000 + i) as u64 * 0x9E37_79B9;
                scope.spawn(move || shop(server, i, token, seed, round_state));
            }
            let deadline = Instant::now() + ROUND_LIMIT;
            while round_state.counters.acked.load(Ordering::Relaxed) < target && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
            // A random moment shortly after, while the shoppers are mid-request.
            std::thread::sleep(Duration::from_millis(rng.below(20)));
            server.sigkill();
            round_state.stop.store(true, Ordering::Relaxed);
        });
        let log = server.kill();
        assert!(!log.contains("database is locked"), "round {round}: 'database is locked' logged");
        assert!(!log.contains("panicked"), "round {round}: the server panicked:\n{log}");
        let counters = round_state.counters;
        let acked = counters.acked.load(Ordering::Relaxed);
        assert!(acked > 0, "round {round}: no order was acknowledged before the kill");

        server = Server::start_with(&db, &ENV);
        let in_db = check_database(&db, &initial, &acks.lock().unwrap(), round);
        let (status, body) = server.call("GET", "/api/users/me", Some(&gone), None);
        assert_eq!(status, 401, "round {round}: the logged-out token works again: {body}");
        let (status, body) = server.call("GET", "/api/users/me", Some(&kept), None);
        assert_eq!(status, 200, "round {round}: a live token died with the restart: {body}");
        // The API agrees with the file about this round's acknowledged orders, for their owners.
        let this_round: Vec<(i64, usize, Lines)> = {
            let acks = acks.lock().unwrap();
            acks.placed_by
                .iter()
                .filter(|(_, (_, r))| *r == round)
                .map(|(id, (who, _))| (*id, *who, acks.orders[id].clone()))
                .collect()
        };
        for (id, who, items) in &this_round {
            let (status, body) = server.call("GET", &format!("/api/order/{id}"), Some(&shoppers[*who]), None);
            assert_eq!(status, 200, "round {round}: GET /api/order/{id}: {body}");
            let served: Vec<(i64, i64)> = body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| (i["productId"].as_i64().unwrap(), i["quantity"].as_i64().unwrap()))
                .collect();
            assert_eq!(&served, items, "round {round}: order {id} as served after the restart");
        }

        let cut_off = counters.cut_off.load(Ordering::Relaxed);
        total_cut_off += cut_off;
        report.push(format!(
            "round {round}: {acked} orders acknowledged, {} refused (409), {cut_off} requests cut off by SIGKILL; \
             {in_db} orders in the file, {} of them committed but never acknowledged",
            counters.refused.load(Ordering::Relaxed),
            in_db - acks.lock().unwrap().orders.len(),
        ));
    }

    assert!(total_cut_off > 0, "no request was in flight at any of the kills");
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "unexpected answers under load:\n{}", failures.join("\n"));
    let acks = acks.into_inner().unwrap();
    let (clean, log) = server.stop();
    assert!(clean, "the last restart shuts down cleanly:\n{log}");
    for line in &report {
        eprintln!("{line}");
    }
    eprintln!(
        "{ROUNDS} SIGKILL rounds survived: {} orders and {} cancellations acknowledged, all present; {:.1} s",
        acks.orders.len(),
        acks.cancelled.len(),
        started.elapsed().as_secs_f64()
    );
}
