//! A small cache of public read answers (the product list, the screener), valid until the next
//! write.
//!
//! On Postgres, several instances may serve the database: writes are also announced to all of
//! them (`db::notify`, LISTEN/NOTIFY), and each drops its answers when it hears one. The
//! announcements are batched — one per `ANNOUNCE_EVERY` at most, however many writes — so the
//! others hear within tens of milliseconds without one NOTIFY per request for the database and
//! every listener to process. While an instance cannot listen (starting, or its connection
//! lost) it serves nothing from its cache, as it could miss a write.
//!
//! Invalidation cannot be forgotten: the `InvalidateOnWrite` fairing calls `invalidate` after
//! every API request that may change state (anything but GET/HEAD/OPTIONS), once its handler —
//! and so its transaction — is done. A reader takes the version *before* it queries and files its answer
//! under that version, so an answer computed while a write committed is never served after it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Method;
use rocket::{Request, Response};

use crate::db::notify::{self, Event};
use crate::db::Pool;
use crate::App;

const MAX_ENTRIES: usize = 512;
/// The shortest time between two announcements of writes to the other instances.
const ANNOUNCE_EVERY: Duration = Duration::from_millis(20);

pub struct ReadCache {
    version: AtomicU64,
    entries: Mutex<HashMap<String, (u64, Arc<str>)>>,
    /// False while writes elsewhere could go unheard.
    serving: AtomicBool,
    /// A write not yet announced to the other instances, and the announcer's wake-up.
    unannounced: AtomicBool,
    wake: rocket::tokio::sync::Notify,
}

impl Default for ReadCache {
    fn default() -> Self {
        ReadCache {
            version: AtomicU64::new(0),
            entries: Mutex::default(),
            serving: AtomicBool::new(true),
            unannounced: AtomicBool::new(false),
            wake: rocket::tokio::sync::Notify::new(),
        }
    }
}

impl ReadCache {
    /// Follows what the other instances announce (see `db::notify::subscribe`).
    pub fn follow(&self, event: Event) {
        match event {
            Event::Listening => {
                self.invalidate();
                self.serving.store(true, Ordering::Release);
            }
            Event::Changed => self.invalidate(),
            Event::Deaf => {
                self.serving.store(false, Ordering::Release);
                self.invalidate();
            }
        }
    }

    /// Until `follow` hears `Listening`: for an instance that shares its database.
    pub fn wait_for_listener(&self) {
        self.serving.store(false, Ordering::Release);
    }

    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub fn get(&self, key: &str, version: u64) -> Option<Arc<str>> {
        if !self.serving.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(key).filter(|(v, _)| *v == version).map(|(_, body)| body.clone())
    }

    pub fn put(&self, key: String, version: u64, body: Arc<str>) {
        if !self.serving.load(Ordering::Acquire) {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (version, body));
    }

    pub fn invalidate(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Drops this instance's answers and has the write announced to the others.
    fn written(&self) {
        self.invalidate();
        self.unannounced.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Announces writes to the other instances on `db` until it closes: as soon as one happens,
    /// then at most once per `ANNOUNCE_EVERY`. A failed announcement is retried.
    pub async fn announce_writes(&self, db: Pool) {
        while !db.is_closed() {
            if !self.unannounced.swap(false, Ordering::AcqRel) {
                // Checked again after at most a second, so a closed pool ends the loop.
                let _ = rocket::tokio::time::timeout(Duration::from_secs(1), self.wake.notified()).await;
                continue;
            }
            if let Err(e) = notify::publish(&db).await {
                self.unannounced.store(true, Ordering::Release);
                if !db.is_closed() {
                    tracing::error!("could not announce writes to the other instances: {e}");
                }
            }
            rocket::tokio::time::sleep(ANNOUNCE_EVERY).await;
        }
    }

    /// The cached answer for `key`, or `compute`'s, filed under the version seen before computing.
    pub async fn get_or<F, E>(&self, key: String, compute: F) -> Result<Arc<str>, E>
    where
        F: std::future::Future<Output = Result<String, E>>,
    {
        let version = self.version();
        if let Some(hit) = self.get(&key, version) {
            return Ok(hit);
        }
        let body: Arc<str> = compute.await?.into();
        self.put(key, version, body.clone());
        Ok(body)
    }
}

/// Clears the read cache after every API request that may have written, and has the write
/// announced to the other instances (see `ReadCache::announce_writes`).
pub struct InvalidateOnWrite;

#[rocket::async_trait]
impl Fairing for InvalidateOnWrite {
    fn info(&self) -> Info {
        Info { name: "read-cache invalidation", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, _: &mut Response<'r>) {
        let writes = !matches!(req.method(), Method::Get | Method::Head | Method::Options);
        if writes && req.uri().path().starts_with("/api") {
            if let Some(app) = req.rocket().state::<App>() {
                app.reads.written();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rocket::async_test]
    async fn answers_are_served_until_the_next_write() {
        let cache = ReadCache::default();
        let body = cache.get_or("k".into(), async { Ok::<_, ()>("one".into()) }).await.unwrap();
        assert_eq!(&*body, "one");
        let again = cache.get_or("k".into(), async { Ok::<_, ()>("two".into()) }).await.unwrap();
        assert_eq!(&*again, "one", "cached");
        cache.invalidate();
        let fresh = cache.get_or("k".into(), async { Ok::<_, ()>("two".into()) }).await.unwrap();
        assert_eq!(&*fresh, "two");
    }

    #[rocket::async_test]
    async fn an_answer_that_raced_a_write_is_not_served_after_it() {
        let cache = ReadCache::default();
        // The write commits (and invalidates) while the read is computing.
        let stale = cache
            .get_or("k".into(), async {
                cache.invalidate();
                Ok::<_, ()>("old".into())
            })
            .await
            .unwrap();
        assert_eq!(&*stale, "old", "the racing reader itself may see either");
        let next = cache.get_or("k".into(), async { Ok::<_, ()>("new".into()) }).await.unwrap();
        assert_eq!(&*next, "new");
    }
}

/// Most users whose ledgers are kept in memory at once.
const MAX_LEDGERS: usize = 1024;

/// Users' ledgers as last read and replayed, each under the ledger version it was read at
/// (`db::ledger::version`, bumped by every transaction that changes it). A reader reads the
/// version *before* the transactions, so what it files is never newer than its version claims
/// to be stale: at worst it reads again. Every read still asks the database for the version,
/// so another instance's change is seen at once.
#[derive(Default)]
pub struct Ledgers(Mutex<HashMap<i64, (i64, Arc<Ledger>)>>);

/// One user's transactions in the order they apply, grouped by holding, and each holding's
/// position (or why its transactions cannot stand).
pub struct Ledger {
    pub holdings: HashMap<i64, Book>,
}

pub struct Book {
    pub asset_id: i64,
    /// In `chronological` order.
    pub entries: Vec<crate::domain::ledger::Entry>,
    pub position: Result<crate::domain::ledger::Position, crate::domain::ledger::Refused>,
}

impl Ledgers {
    pub async fn of(&self, db: &Pool, user_id: i64) -> Result<Arc<Ledger>, sqlx::Error> {
        let version = crate::db::ledger::version(db, user_id).await?;
        if let Some((v, ledger)) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(&user_id) {
            if *v == version {
                return Ok(ledger.clone());
            }
        }
        let mut holdings: HashMap<i64, Book> = HashMap::new();
        for p in crate::db::ledger::posted(db, user_id).await? {
            let book = holdings.entry(p.holding_id).or_insert_with(|| Book {
                asset_id: p.asset_id,
                entries: Vec::new(),
                position: Ok(Default::default()),
            });
            book.entries.push(p.entry);
        }
        for book in holdings.values_mut() {
            book.entries.sort_by(crate::domain::ledger::chronological);
            book.position = crate::domain::ledger::replay(&book.entries);
        }
        let ledger = Arc::new(Ledger { holdings });
        let mut all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if all.len() >= MAX_LEDGERS {
            all.clear();
        }
        all.insert(user_id, (version, ledger.clone()));
        Ok(ledger)
    }
}
