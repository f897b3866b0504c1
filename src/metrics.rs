//! `GET /metrics` (§11): Prometheus's text format (OpenMetrics 1.0) from `prometheus-client`.
//! Counters and the latency histogram move as things happen; the gauges that describe a state
//! (pools, the hashing queue, the outbox) are read when scraped, so an idle server does no work.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use rocket::http::{ContentType, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{get, State};

use crate::auth::guards::client_ip;
use crate::auth::secrets::same;
use crate::db::{self, Db};
use crate::domain::audit::LoginFailure;
use crate::domain::mail::MailStatus;
use crate::domain::ClosedSet;
use crate::App;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    /// The route's template (`/api/products/<id>`), never the raw path; `unmatched` for a
    /// request no route took, so a scanner can't grow the label set.
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    in_flight: Gauge,
    hash_waiting: Gauge,
    hash_running: Gauge,
    pool: Family<PoolLabels, Gauge>,
    outbox: Family<StatusLabel, Gauge>,
    mail_attempts_failed: Counter,
    logins_failed: Family<ReasonLabel, Counter>,
    orders_placed: Counter,
    backups: Family<ResultLabel, Counter>,
    last_backup: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("stockroom");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by method, route template and status",
            requests.clone(),
        );
        // 1 ms to about 16 s.
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 15))
        });
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its response, by method and route template",
            Unit::Seconds,
            latency.clone(),
        );
        let in_flight = Gauge::default();
        registry.register("http_requests_in_flight", "Requests being served", in_flight.clone());
        let hash_waiting = Gauge::default();
        registry.register(
            "password_hash_queue",
            "Password hashes waiting for a hashing thread",
            hash_waiting.clone(),
        );
        let hash_running = Gauge::default();
        registry.register("password_hash_running", "Password hashes being computed", hash_running.clone());
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_connections",
            "Database connections by pool (read, write) and state (in_use, idle)",
            pool.clone(),
        );
        let outbox = Family::<StatusLabel, Gauge>::default();
        registry.register(
            "mail_outbox",
            "Mails in the outbox by status: queued is the backlog, failed gave up for good",
            outbox.clone(),
        );
        let mail_attempts_failed = Counter::default();
        registry.register(
            "mail_delivery_failures",
            "Delivery attempts this instance made that failed (retried or not)",
            mail_attempts_failed.clone(),
        );
        let logins_failed = Family::<ReasonLabel, Counter>::default();
        registry.register("logins_failed", "Failed sign-ins, by reason", logins_failed.clone());
        let orders_placed = Counter::default();
        registry.register("orders_placed", "Orders placed", orders_placed.clone());
        let backups = Family::<ResultLabel, Counter>::default();
        registry.register("backups", "Scheduled backups, by result (ok, failed)", backups.clone());
        let last_backup = Gauge::default();
        registry.register(
            "backup_last_success_timestamp_seconds",
            "When the last scheduled backup succeeded (unix time; 0 = none yet)",
            last_backup.clone(),
        );
        // Fixed label sets start at zero, so a dashboard sees the series before the first event.
        for reason in LoginFailure::ALL {
            drop(logins_failed.get_or_create(&ReasonLabel { reason: reason.as_str() }));
        }
        for result in ["ok", "failed"] {
            drop(backups.get_or_create(&ResultLabel { result }));
        }
        Metrics {
            registry,
            requests,
            latency,
            in_flight,
            hash_waiting,
            hash_running,
            pool,
            outbox,
            mail_attempts_failed,
            logins_failed,
            orders_placed,
            backups,
            last_backup,
        }
    }

    /// One answered request. `route` is the matched route's template, if any.
    pub fn request(&self, method: &'static str, route: Option<String>, status: u16, took: Duration) {
        let route = route.unwrap_or_else(|| "unmatched".to_owned());
        self.latency.get_or_create(&RouteLabels { method, route: route.clone() }).observe(took.as_secs_f64());
        self.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    }

    pub fn login_failed(&self, reason: LoginFailure) {
        self.logins_failed.get_or_create(&ReasonLabel { reason: reason.as_str() }).inc();
    }

    pub fn order_placed(&self) {
        self.orders_placed.inc();
    }

    pub fn mail_attempt_failed(&self) {
        self.mail_attempts_failed.inc();
    }

    pub fn backup(&self, ok: bool) {
        self.backups.get_or_create(&ResultLabel { result: if ok { "ok" } else { "failed" } }).inc();
        if ok {
            self.last_backup.set(chrono::Utc::now().timestamp());
        }
    }

    /// The text of a scrape: the state gauges are read now.
    async fn render(&self, app: &App, db: &Db) -> String {
        self.in_flight.set(db.in_flight.current() as i64);
        let (waiting, running) = app.hasher.load();
        self.hash_waiting.set(waiting as i64);
        self.hash_running.set(running as i64);
        let pools: &[(&'static str, &db::Pool)] = match db.kind() {
            db::Kind::Sqlite => &[("read", &db.read), ("write", &db.write)],
            db::Kind::Postgres => &[("shared", &db.write)],
        };
        for (name, pool) in pools {
            let (size, idle) = pool.usage();
            self.pool.get_or_create(&PoolLabels { pool: name, state: "idle" }).set(idle as i64);
            self.pool
                .get_or_create(&PoolLabels { pool: name, state: "in_use" })
                .set(size as i64 - idle as i64);
        }
        match db::mail::count_by_status(&db.read).await {
            Ok(counts) => {
                for status in MailStatus::ALL {
                    let n = counts.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
                    self.outbox.get_or_create(&StatusLabel { status: status.as_str() }).set(n);
                }
            }
            Err(e) => tracing::warn!("counting the outbox for /metrics failed: {e}"),
        }
        let mut out = String::with_capacity(8 * 1024);
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!("encoding the metrics failed: {e}");
        }
        out
    }
}

/// Loopback (after `trusted_proxies`, as for the limiters), or `Authorization: Bearer
/// <metrics_token>` when that is set; anyone else is told there is nothing here.
pub struct MayScrape;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MayScrape {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let app = req.rocket().state::<App>().expect("managed by build()");
        let ip = client_ip(req).to_canonical();
        let bearer = req.headers().get_one("Authorization").and_then(|h| h.strip_prefix("Bearer "));
        let token_ok = match (&app.config.metrics_token, bearer) {
            (Some(token), Some(given)) => same(token, given.trim()),
            _ => false,
        };
        if ip.is_loopback() || token_ok {
            Outcome::Success(MayScrape)
        } else {
            Outcome::Error((Status::NotFound, ()))
        }
    }
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![scrape]
}

const OPENMETRICS: (&str, &str) = ("application", "openmetrics-text");

#[get("/metrics")]
pub async fn scrape(_may: MayScrape, app: &State<App>, db: &Db) -> (ContentType, String) {
    let body = app.metrics.render(app, db).await;
    let ct = ContentType::new(OPENMETRICS.0, OPENMETRICS.1)
        .with_params([("version", "1.0.0"), ("charset", "utf-8")]);
    (ct, body)
}
