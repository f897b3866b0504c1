//! Background work, started once the server is up. Each job is a loop of its own that logs and
//! carries on when a round fails.

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket_db_pools::Database;

use crate::db::{self, Db};
use crate::metrics::Metrics;
use crate::App;

const SESSION_PURGE_EVERY: Duration = Duration::from_secs(3600);
const RATE_LIMIT_PURGE_EVERY: Duration = Duration::from_secs(600);
const AUDIT_PURGE_EVERY: Duration = Duration::from_secs(3600);

/// The fairing that starts every background job.
pub fn start() -> AdHoc {
    AdHoc::on_liftoff("background jobs", |rocket| {
        Box::pin(async move {
            let (Some(db), Some(app)) = (Db::fetch(rocket), rocket.state::<App>()) else { return };
            rocket::tokio::spawn(purge_sessions(db.write.clone()));
            if app.config.audit_retention_days > 0 {
                rocket::tokio::spawn(purge_audit_log(db.write.clone(), app.config.audit_retention_days));
            }
            if let (Some(schedule), db::Pool::Sqlite(read)) = (backup_schedule(&app.config), &db.read) {
                rocket::tokio::spawn(backups(read.clone(), schedule, app.metrics.clone()));
            }
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

/// Events older than `audit_retention_days` go, hourly, one instance at a time.
async fn purge_audit_log(write: db::Pool, days: u64) {
    loop {
        if write.is_closed() {
            return;
        }
        let before = chrono::Utc::now() - chrono::Duration::days(days.min(100_000) as i64);
        let before = before.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        match db::audit::purge_older_than(&write, before).await {
            Ok(n) if n > 0 => tracing::info!("purged {n} audit events older than {days} days"),
            Ok(_) => {}
            Err(e) => tracing::warn!("purging the audit log failed: {e}"),
        }
        rocket::tokio::time::sleep(AUDIT_PURGE_EVERY).await;
    }
}

fn backup_schedule(config: &crate::config::Config) -> Option<db::backup::Schedule> {
    let dir = config.backup_dir.clone().filter(|_| config.backup_interval > 0)?;
    let stem = config.database.file_stem().and_then(|s| s.to_str()).unwrap_or("stockroom").to_owned();
    Some(db::backup::Schedule {
        dir,
        stem,
        keep: config.backup_keep as usize,
        every: Duration::from_secs(config.backup_interval),
    })
}

/// A backup each interval; a failure is logged and counted, and the next interval tries again.
async fn backups(read: sqlx::SqlitePool, schedule: db::backup::Schedule, metrics: std::sync::Arc<Metrics>) {
    tracing::info!(
        "backing up every {} s into {} (keeping {})",
        schedule.every.as_secs(),
        schedule.dir.display(),
        schedule.keep
    );
    rocket::tokio::time::sleep(schedule.wait()).await;
    loop {
        if read.is_closed() {
            return;
        }
        match schedule.run_once(&read).await {
            Ok(file) => {
                metrics.backup(true);
                tracing::info!("backup written: {}", file.display());
            }
            Err(e) => {
                if read.is_closed() {
                    return;
                }
                metrics.backup(false);
                tracing::error!("scheduled backup failed: {e}");
            }
        }
        rocket::tokio::time::sleep(schedule.every).await;
    }
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
