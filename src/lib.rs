//! Stockroom: accounts, a store and a markets desk behind one login, as a JSON API and an
//! embedded web app on one SQLite file. `build` assembles the real application; the binary and
//! the tests both use it.

pub mod api;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod jobs;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod web;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Rocket};
use rocket_db_pools::Database;

use auth::limits::Limits;
use auth::password::Hasher;
use auth::token::Tokens;
use config::{Config, ConfigError};
use db::Db;
use domain::PasswordPolicy;

/// State shared by every request.
pub struct App {
    pub config: Config,
    pub hasher: Hasher,
    pub limits: Limits,
    /// Public read answers, cleared by every write (see `cache`).
    pub reads: std::sync::Arc<cache::ReadCache>,
    /// Renders and queues mail; its worker delivers it (see `mail`).
    pub mailer: std::sync::Arc<mail::Mailer>,
    pub metrics: std::sync::Arc<metrics::Metrics>,
    /// Users' ledgers as last replayed, checked against the database on every read.
    pub ledgers: cache::Ledgers,
}

impl App {
    pub fn new(config: Config) -> App {
        App {
            hasher: Hasher::new(&config),
            limits: Limits::new(&config),
            reads: Default::default(),
            mailer: std::sync::Arc::new(mail::Mailer::new(&config)),
            metrics: Default::default(),
            ledgers: Default::default(),
            config,
        }
    }

    pub fn password_policy(&self) -> PasswordPolicy {
        PasswordPolicy {
            min_length: self.config.min_password_length,
            min_score: self.config.min_password_score,
        }
    }
}

/// The application for a figment (see `config::figment`): validated config, database, routes.
pub fn build(figment: Figment) -> Result<Rocket<Build>, ConfigError> {
    let config = Config::from_figment(&figment)?;
    let figment = figment
        .merge(("databases.stockroom.url", &config.database))
        .merge(("databases.stockroom.max_connections", config.db_max_connections))
        .merge(("ident", "Stockroom"))
        // We derive the client address ourselves, honouring `trusted_proxies`.
        .merge(("ip_header", false));
    Ok(rocket::custom(figment)
        .manage(App::new(config))
        .attach(Db::init())
        .attach(db::TrackRequests)
        .attach(AdHoc::try_on_ignite("JWT secret", load_tokens))
        .attach(AdHoc::on_ignite("state shared by instances", share_between_instances))
        .attach(http::SecurityHeaders)
        .attach(http::RequestLog)
        .attach(cache::InvalidateOnWrite)
        .attach(AdHoc::on_liftoff("announce", |rocket| Box::pin(announce(rocket))))
        .attach(jobs::start())
        .mount("/api", api::routes())
        .mount("/", web::routes())
        .mount("/", metrics::routes())
        .register("/api", rocket::catchers![error::api_catcher])
        .register("/", rocket::catchers![web::not_found]))
}

async fn load_tokens(rocket: Rocket<Build>) -> rocket::fairing::Result {
    let app = rocket.state::<App>().expect("managed in build()");
    let (configured, ttl) = (app.config.jwt_secret.clone(), app.config.token_ttl);
    let Some(db) = Db::fetch(&rocket) else { return Err(rocket) };
    let secret = match configured {
        Some(s) => s,
        None => match db::settings::jwt_secret(&db.write).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("could not load or store the JWT secret: {e}");
                return Err(rocket);
            }
        },
    };
    Ok(rocket.manage(Tokens::new(secret.as_bytes(), ttl)))
}

/// On Postgres, where several instances may serve the database: rate-limit counters move into
/// it, and the read cache follows the writes the others announce.
async fn share_between_instances(rocket: Rocket<Build>) -> Rocket<Build> {
    let (Some(app), Some(db)) = (rocket.state::<App>(), Db::fetch(&rocket)) else { return rocket };
    if db.kind() == db::Kind::Postgres {
        app.limits.share_through(db.write.clone());
        app.reads.wait_for_listener();
    }
    rocket
}

async fn announce(rocket: &Rocket<rocket::Orbit>) {
    let app = rocket.state::<App>().expect("managed in build()");
    let c = rocket.config();
    app.mailer.listening_on(c.address, c.port);
    if app.config.smtp_url.is_none() {
        tracing::info!("no `smtp_url` configured: mail is written to this log instead of being sent");
    }
    tracing::info!(
        "Stockroom {} listening on http://{}:{} (database {})",
        env!("CARGO_PKG_VERSION"),
        c.address,
        c.port,
        db::display(&app.config.database)
    );
}
