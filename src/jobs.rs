//! Background work, started once the server is up. Each job is a loop of its own that logs and
//! carries on when a round fails.

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket_db_pools::Database;

use crate::db::{self, Db};

const SESSION_PURGE_EVERY: Duration = Duration::from_secs(3600);

/// The fairing that starts every background job.
pub fn start() -> AdHoc {
    AdHoc::on_liftoff("background jobs", |rocket| {
        Box::pin(async move {
            if let Some(db) = Db::fetch(rocket) {
                rocket::tokio::spawn(purge_sessions(db.write.clone()));
            }
        })
    })
}

/// Expired sessions are dead already; this only keeps the table small.
async fn purge_sessions(write: db::Pool) {
    loop {
        if write.is_closed() {
            return;
        }
        let now = chrono::Utc::now().timestamp();
        if let Err(e) = db::sessions::purge_expired(&write, now).await {
            tracing::warn!("purging expired sessions failed: {e}");
        }
        rocket::tokio::time::sleep(SESSION_PURGE_EVERY).await;
    }
}
