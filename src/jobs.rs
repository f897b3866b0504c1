//! Background work, started once the server is up. Each job is a loop of its own that logs and
//! carries on when a round fails.

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket_db_pools::Database;

use crate::db::{self, Db};
use crate::App;

const SESSION_PURGE_EVERY: Duration = Duration::from_secs(3600);
const RATE_LIMIT_PURGE_EVERY: Duration = Duration::from_secs(600);

/// The fairing that starts every background job.
pub fn start() -> AdHoc {
    AdHoc::on_liftoff("background jobs", |rocket| {
        Box::pin(async move {
            let (Some(db), Some(app)) = (Db::fetch(rocket), rocket.state::<App>()) else { return };
            rocket::tokio::spawn(purge_sessions(db.write.clone()));
            rocket::tokio::spawn(crate::mail::worker::run(
                db.write.clone(),
                db.in_flight.clone(),
                app.mailer.clone(),
                app.metrics.clone(),
            ));
            if db.kind() == db::Kind::Postgres {
                let (pool, reads) = (db.write.clone(), app.reads.clone());
                rocket::tokio::spawn(async move { db::notify::subscribe(&pool, |e| reads.follow(e)).await });
                let (pool, reads) = (db.write.clone(), app.reads.clone());
                rocket::tokio::spawn(async move { reads.announce_writes(pool).await });
                let keep = crate::auth::limits::shared_counters_expire_after(&app.config);
                rocket::tokio::spawn(purge_rate_limits(db.write.clone(), keep));
            }
        })
    })
}

/// Counters whose window is over count nothing; this only keeps the table small.
async fn purge_rate_limits(write: db::Pool, keep: Duration) {
    loop {
        rocket::tokio::time::sleep(RATE_LIMIT_PURGE_EVERY).await;
        if write.is_closed() {
            return;
        }
        let before = chrono::Utc::now().timestamp_millis() - keep.as_millis() as i64;
        if let Err(e) = db::limits::purge(&write, before).await {
            tracing::warn!("purging rate-limit counters failed: {e}");
        }
    }
}

/// Expired sessions and mail tokens are dead already; this only keeps the table small.
async fn purge_sessions(write: db::Pool) {
    loop {
        if write.is_closed() {
            return;
        }
        let now = chrono::Utc::now().timestamp();
        if let Err(e) = db::sessions::purge_expired(&write, now).await {
            tracing::warn!("purging expired sessions failed: {e}");
        }
        if let Err(e) = db::mail::purge_expired_tokens(&write, now).await {
            tracing::warn!("purging expired mail tokens failed: {e}");
        }
        if let Err(e) = db::two_factor::purge_expired(&write, now).await {
            tracing::warn!("purging expired sign-in challenges failed: {e}");
        }
        rocket::tokio::time::sleep(SESSION_PURGE_EVERY).await;
    }
}
