//! §11 `GET /metrics` through the real app: Prometheus text (OpenMetrics) that parses, route
//! templates and never raw paths in labels, counters that move with their events, and who may
//! scrape (loopback through `trusted_proxies`, or the bearer `metrics_token`). On both engines.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;

use crate::helpers::{Req, TestApp, PASSWORD};
use crate::store_support::{add_to_cart, clerk, product};

/// Every metric family the README lists for dashboards.
const FAMILIES: &[(&str, &str)] = &[
    ("stockroom_http_requests", "counter"),
    ("stockroom_http_request_duration_seconds", "histogram"),
    ("stockroom_http_requests_in_flight", "gauge"),
    ("stockroom_password_hash_queue", "gauge"),
    ("stockroom_password_hash_running", "gauge"),
    ("stockroom_db_connections", "gauge"),
    ("stockroom_mail_outbox", "gauge"),
    ("stockroom_mail_delivery_failures", "counter"),
    ("stockroom_logins_failed", "counter"),
    ("stockroom_orders_placed", "counter"),
    ("stockroom_backups", "counter"),
    ("stockroom_backup_last_success_timestamp_seconds", "gauge"),
];

#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the text format strictly: every line a comment of a known kind or a sample of a declared
/// family, label values quoted and escaped, values numbers, `# EOF` last. Answers the families'
/// types and the samples.
fn parse(text: &str) -> (HashMap<String, String>, Vec<Sample>) {
    let mut types = HashMap::new();
    let mut samples = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.last(), Some(&"# EOF"), "ends with # EOF");
    for line in &lines[..lines.len() - 1] {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kind, name) = (parts.next().unwrap(), parts.next().expect("a family name"));
            match kind {
                "TYPE" => {
                    types.insert(name.to_owned(), parts.next().expect("a type").to_owned());
                }
                "HELP" | "UNIT" => {}
                other => panic!("unknown comment {other}: {line}"),
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("not a number: {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series.to_owned(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("unclosed labels: {line}"));
                (name.to_owned(), parse_labels(body, line))
            }
        };
        assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':'), "{line}");
        let family = ["_total", "_bucket", "_count", "_sum", "_created", ""]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix).filter(|f| types.contains_key(*f)))
            .unwrap_or_else(|| panic!("a sample of no declared family: {line}"));
        assert!(!family.is_empty());
        samples.push(Sample { name, labels, value });
    }
    (types, samples)
}

fn parse_labels(body: &str, line: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut chars = body.chars().peekable();
    while chars.peek().is_some() {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        assert!(!key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "{line}");
        assert_eq!(chars.next(), Some('"'), "a quoted value: {line}");
        let mut value = String::new();
        loop {
            match chars.next().unwrap_or_else(|| panic!("unterminated value: {line}")) {
                '"' => break,
                '\\' => value.push(match chars.next() {
                    Some('n') => '\n',
                    Some(c @ ('\\' | '"')) => c,
                    other => panic!("bad escape {other:?}: {line}"),
                }),
                c => value.push(c),
            }
        }
        labels.insert(key, value);
        match chars.next() {
            None => break,
            Some(',') => {}
            Some(c) => panic!("unexpected {c:?}: {line}"),
        }
    }
    labels
}

struct Scrape(Vec<Sample>);

impl Scrape {
    /// The sum of the samples named `name` whose labels include `with`.
    fn value(&self, name: &str, with: &[(&str, &str)]) -> f64 {
        self.0
            .iter()
            .filter(|s| {
                s.name == name && with.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }
}

async fn scrape(app: &TestApp) -> Scrape {
    let r = app.get("/metrics", &Req::default().from("127.0.0.1:40000")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let ct = r.header("content-type").unwrap_or_default();
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    let text = r.body.as_str().expect("a text body");
    let (types, samples) = parse(text);
    for (family, kind) in FAMILIES {
        assert_eq!(types.get(*family).map(String::as_str), Some(*kind), "{family} in\n{text}");
    }
    Scrape(samples)
}

#[rocket::async_test]
async fn metrics_parse_and_use_route_templates_never_raw_paths() {
    let app = TestApp::new().await;
    assert_eq!(app.get("/api/products/98765", &Req::default()).await.status, 404);
    assert_eq!(app.get("/api/products/98765", &Req::default()).await.status, 404);
    assert_eq!(app.get("/api/health", &Req::default()).await.status, 200);
    assert_eq!(app.get("/api/no-such-route-4242", &Req::default()).await.status, 404);
    assert_eq!(app.get("/no/such/page/31337.png", &Req::default()).await.status, 404);
    let m = scrape(&app).await;
    let route = |r: &str, status: &str| {
        m.value("stockroom_http_requests_total", &[("method", "GET"), ("route", r), ("status", status)])
    };
    assert_eq!(route("/api/products/<id>", "404"), 2.0);
    assert_eq!(route("/api/health", "200"), 1.0);
    for s in &m.0 {
        for v in s.labels.values() {
            assert!(
                !["98765", "4242", "31337", "no-such"].iter().any(|raw| v.contains(raw)),
                "a raw path in {s:?}"
            );
        }
    }
    // The latency histogram: cumulative buckets ending in +Inf, which equals the count.
    let health = [("method", "GET"), ("route", "/api/health")];
    let buckets: Vec<&Sample> =
        m.0.iter()
            .filter(|s| {
                s.name == "stockroom_http_request_duration_seconds_bucket"
                    && s.labels.get("route").map(String::as_str) == Some("/api/health")
            })
            .collect();
    assert!(buckets.len() >= 10, "{buckets:?}");
    assert!(buckets.windows(2).all(|w| w[0].value <= w[1].value), "cumulative: {buckets:?}");
    assert_eq!(buckets.last().unwrap().labels["le"], "+Inf");
    assert_eq!(
        buckets.last().unwrap().value,
        m.value("stockroom_http_request_duration_seconds_count", &health)
    );
    assert_eq!(m.value("stockroom_http_request_duration_seconds_count", &health), 1.0);
    assert!(m.value("stockroom_http_request_duration_seconds_sum", &health) > 0.0);
    // The scrape itself is in flight while it is answered.
    assert!(m.value("stockroom_http_requests_in_flight", &[]) >= 1.0);
    assert_eq!(m.value("stockroom_password_hash_queue", &[]), 0.0);
    let pool = if app.on_postgres() { "shared" } else { "write" };
    assert!(
        m.0.iter().any(|s| s.name == "stockroom_db_connections" && s.labels["pool"] == pool),
        "{:?}",
        m.0
    );
}

#[rocket::async_test]
async fn counters_move_when_their_events_happen() {
    let app = TestApp::new().await;
    assert_eq!(app.get("/api/health", &Req::default()).await.status, 200);
    let before = scrape(&app).await;
    let failed = |m: &Scrape, reason: &str| m.value("stockroom_logins_failed_total", &[("reason", reason)]);
    assert_eq!(failed(&before, "wrong_password"), 0.0);
    assert_eq!(before.value("stockroom_orders_placed_total", &[]), 0.0);

    let (buyer, _) = app.signup("bea").await;
    assert_eq!(app.login("bea", "wrong-password-12").await.status, 401);
    assert_eq!(app.login("bea", "wrong-password-13").await.status, 401);
    assert_eq!(app.login("nobody", PASSWORD).await.status, 401);
    let c = clerk(&app).await;
    let pid = product(&app, &c, "Mug", 450, 5).await;
    assert_eq!(add_to_cart(&app, &buyer, pid, 1).await.status, 200);
    assert_eq!(app.post("/api/orders", &Req::bearer(&buyer), json!({})).await.status, 201);
    // A refused order counts nothing.
    assert_eq!(app.post("/api/orders", &Req::bearer(&buyer), json!({})).await.status, 400);

    let after = scrape(&app).await;
    assert_eq!(failed(&after, "wrong_password"), 2.0);
    assert_eq!(failed(&after, "unknown_login"), 1.0);
    assert_eq!(after.value("stockroom_orders_placed_total", &[]), 1.0);
    let login_401 = [("method", "POST"), ("route", "/api/auth/login"), ("status", "401")];
    assert_eq!(after.value("stockroom_http_requests_total", &login_401), 3.0);
    // Two signups queued two verification mails (written to the log here: sent at once).
    let outbox = after.value("stockroom_mail_outbox", &[("status", "queued")])
        + after.value("stockroom_mail_outbox", &[("status", "sent")]);
    assert_eq!(outbox, 2.0);
    assert_eq!(after.value("stockroom_mail_outbox", &[("status", "failed")]), 0.0);
}

#[rocket::async_test]
async fn only_loopback_or_the_metrics_token_may_scrape() {
    let app = TestApp::new().await;
    for who in
        [Req::default(), Req::default().from("10.1.2.3:5000"), Req::default().from("[2001:db8::1]:5000")]
    {
        let r = app.get("/metrics", &who).await;
        assert_eq!(r.status, 404, "{:?}", who.remote);
        assert!(!r.body.to_string().contains("stockroom_http"), "nothing leaks: {}", r.body);
    }
    assert_eq!(app.get("/metrics", &Req::default().from("[::1]:5000")).await.status, 200);
    let stranger = Req::bearer("anything-at-all-0123456789").from("10.1.2.3:5000");
    assert_eq!(app.get("/metrics", &stranger).await.status, 404, "no token is configured");

    let token = "scrape-secret-0123456789abcdef";
    let app = TestApp::with(move |f| f.merge(("metrics_token", token))).await;
    let far = |t: &str| Req::bearer(t).from("10.1.2.3:5000");
    assert_eq!(app.get("/metrics", &far(token)).await.status, 200);
    assert_eq!(app.get("/metrics", &far("scrape-secret-0123456789abcdeF")).await.status, 404);
    assert_eq!(app.get("/metrics", &Req::default().from("10.1.2.3:5000")).await.status, 404);

    // Behind a trusted proxy the client is who the proxy says.
    let app = TestApp::with(|f| f.merge(("trusted_proxies", ["127.0.0.1"]))).await;
    let via_proxy = |client: &str| Req::default().from("127.0.0.1:5000").header("X-Forwarded-For", client);
    assert_eq!(app.get("/metrics", &via_proxy("198.51.100.4")).await.status, 404);
    assert_eq!(app.get("/metrics", &via_proxy("127.0.0.1")).await.status, 200);
    assert_eq!(app.get("/metrics", &Req::default().from("127.0.0.1:5000")).await.status, 200);

    let short = stockroom::config::figment(&Default::default()).merge(("metrics_token", "short"));
    let e = stockroom::config::Config::from_figment(&short).unwrap_err().to_string();
    assert!(e.contains("`metrics_token` must be at least 16 characters"), "{e}");
}
