//! Telling the other instances on a Postgres database that something changed (LISTEN/NOTIFY),
//! so that each can drop what it cached.

use std::time::Duration;

use sqlx::postgres::PgListener;

use super::engine::Pool;

pub const CHANNEL: &str = "stockroom_cache";

/// Notifies every instance listening on this database (itself included). No-op on SQLite.
pub async fn publish(db: &Pool) -> Result<(), sqlx::Error> {
    match db {
        Pool::Sqlite(_) => Ok(()),
        Pool::Postgres(p) => sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(p).await.map(drop),
    }
}

/// What a subscription reports.
pub enum Event {
    /// Listening (again): anything may have changed while we were not.
    Listening,
    /// Another write was announced.
    Changed,
    /// The connection is lost; nothing is heard until `Listening` comes again.
    Deaf,
}

/// Listens for `publish` until the pool closes, reporting to `on`. A lost connection is
/// reported at once, then retried every second.
pub async fn subscribe(db: &Pool, on: impl Fn(Event)) {
    let Pool::Postgres(pool) = db else { return };
    while !pool.is_closed() {
        let mut listener = match PgListener::connect_with(pool).await {
            Ok(l) => l,
            Err(e) => {
                on(Event::Deaf);
                tracing::warn!("cache invalidation: cannot connect to listen ({e}); retrying");
                rocket::tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            on(Event::Deaf);
            tracing::warn!("cache invalidation: LISTEN failed ({e}); retrying");
            rocket::tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        on(Event::Listening);
        loop {
            // `try_recv` answers `None` when the connection dropped; the next call reconnects,
            // but what was sent in between is lost, so we start over as after a fresh LISTEN.
            match listener.try_recv().await {
                Ok(Some(_)) => on(Event::Changed),
                Ok(None) | Err(_) => {
                    on(Event::Deaf);
                    break;
                }
            }
        }
    }
}
