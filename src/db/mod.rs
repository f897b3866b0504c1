//! The database: a SQLite file (the default) or a PostgreSQL server, its pools, embedded
//! migrations, and the query functions (one file per table family; how a query reaches either
//! engine is in `engine`, the helpers they share in `query`).
//!
//! On SQLite, writes go through a pool of exactly one connection, so in-process write
//! transactions queue in Rust instead of racing for SQLite's lock (a deferred transaction that
//! upgrades to a write would otherwise fail with SQLITE_BUSY at once). Reads use a separate pool
//! and run in parallel (WAL). On Postgres both are one pool of `db_max_connections`.

pub mod api_tokens;
pub mod assets;
pub mod audit;
pub mod backup;
pub mod cart;
pub mod catalog;
pub mod copy;
pub mod engine;
pub mod ledger;
pub mod limits;
pub mod mail;
pub mod notify;
pub mod orders;
pub mod query;
pub mod sessions;
pub mod settings;
pub mod two_factor;
pub mod users;
pub mod watchlist;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rocket::figment::Figment;
use rocket_db_pools::Database;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqlitePool};

pub use engine::{Ex, Kind, Pool, Tx};

pub static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
pub static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// What `database` names: a SQLite file, or a Postgres server (a `postgres://` or
/// `postgresql://` URL, with libpq's parameters such as `sslmode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Target {
    pub fn of(database: &Path) -> Target {
        let text = database.to_string_lossy();
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Target::Postgres(text.into_owned())
        } else {
            Target::Sqlite(database.to_path_buf())
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Target::Sqlite(_) => Kind::Sqlite,
            Target::Postgres(_) => Kind::Postgres,
        }
    }
}

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How often committed WAL frames are copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);
/// WAL frames (pages) after which a checkpoint also makes the next write rewind the log: about
/// 64 MiB with 4 KiB pages. The writer truncates a rewound log back to `WAL_SIZE_LIMIT` bytes.
/// Each RESTART holds the writer off for several milliseconds (SQLite's busy handler backs off
/// in steps of milliseconds), so it must be rare: at 4,096 frames it ran about four times a
/// second under the order benchmark and cost about 10% of its throughput.
const RESTART_AFTER_FRAMES: i64 = 16_384;
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;
const READ_CONNECTIONS: u32 = 4;

#[derive(Database)]
#[database("stockroom")]
pub struct Db(pub Pools);

pub struct Pools {
    pub read: Pool,
    pub write: Pool,
    /// Requests being served; closing waits for them (see `TrackRequests`).
    pub in_flight: Arc<InFlight>,
    /// SQLite: the shared lock that tells `restore` this process has the file open.
    _held: Option<Arc<std::fs::File>>,
}

/// How many requests are being served. Rocket runs its shutdown fairings — and so closes the
/// pools — the moment shutdown starts, while requests are still in flight; `Pools::close`
/// waits for this to reach zero first, so a request caught mid-hash by SIGTERM still finishes
/// against the database.
#[derive(Default)]
pub struct InFlight(AtomicUsize);

/// One request being served; dropped with the request.
pub struct Serving(Arc<InFlight>);

impl Drop for Serving {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl InFlight {
    pub fn enter(self: &Arc<Self>) -> Serving {
        self.0.fetch_add(1, Ordering::AcqRel);
        Serving(self.clone())
    }

    /// How many requests are being served now.
    pub fn current(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// Waits until no request is being served, or `limit` has passed.
    async fn drained(&self, limit: Duration) {
        let deadline = std::time::Instant::now() + limit;
        while self.0.load(Ordering::Acquire) > 0 && std::time::Instant::now() < deadline {
            rocket::tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Counts every request as in flight until it is dropped (its response sent).
pub struct TrackRequests;

struct Tracked(#[allow(dead_code)] Option<Serving>);

#[rocket::async_trait]
impl rocket::fairing::Fairing for TrackRequests {
    fn info(&self) -> rocket::fairing::Info {
        rocket::fairing::Info { name: "in-flight requests", kind: rocket::fairing::Kind::Request }
    }

    async fn on_request(&self, req: &mut rocket::Request<'_>, _: &mut rocket::Data<'_>) {
        let serving = Db::fetch(req.rocket()).map(|db| db.in_flight.enter());
        req.local_cache(|| Tracked(serving));
    }
}

/// Longest a closing database waits for in-flight requests; Rocket ends the process after its
/// grace and mercy periods anyway.
const DRAIN_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{path} is not a Stockroom database (or it is corrupt): {source}")]
    NotADatabase { path: String, source: sqlx::Error },
    #[error(
        "{path} was written by a newer Stockroom (schema version {found}, this binary knows up to \
         {known}); refusing to open it. Upgrade Stockroom or point --db at another file."
    )]
    Newer { path: String, found: i64, known: i64 },
    #[error(
        "{path} was written by a newer Stockroom (schema version {found}, this binary knows up to \
         {known}); refusing to use it. Upgrade Stockroom."
    )]
    NewerServer { path: String, found: i64, known: i64 },
    #[error("could not switch {0} to WAL journaling (is the file on a network or read-only disk?)")]
    NoWal(String),
    #[error("migrating {path} failed: {source}")]
    Migrate { path: String, source: sqlx::migrate::MigrateError },
    #[error("database {0}: {1}")]
    Sqlx(String, sqlx::Error),
    #[error("database {0}: {1}")]
    Held(String, std::io::Error),
    #[error("database configuration: {0}")]
    Config(#[from] rocket::figment::Error),
}

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        .synchronous(SqliteSynchronous::Normal)
        .statement_cache_capacity(256)
        .log_statements(tracing::log::LevelFilter::Trace)
}

impl Pools {
    /// Opens the database `database` names (see `Target`) and migrates it.
    pub async fn open(database: &Path, max_connections: u32) -> Result<Pools, OpenError> {
        match Target::of(database) {
            Target::Sqlite(path) => Pools::open_sqlite(&path).await,
            Target::Postgres(url) => Pools::open_postgres(&url, max_connections).await,
        }
    }

    pub fn kind(&self) -> Kind {
        self.write.kind()
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    /// Connects to the server, refuses a database from a newer version, and runs the embedded
    /// migrations. sqlx runs them under `pg_advisory_lock`, so instances starting together
    /// migrate once, one after the other.
    async fn open_postgres(url: &str, max_connections: u32) -> Result<Pools, OpenError> {
        let shown = display_url(url);
        let sqlx_err = |e| OpenError::Sqlx(shown.clone(), e);
        let options: PgConnectOptions = url.parse().map_err(sqlx_err)?;
        // No ping before each acquire: on Postgres it is a round trip per query, and a
        // connection that broke meanwhile fails its query (a 503 the client may retry) and is
        // dropped by the pool.
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.log_statements(tracing::log::LevelFilter::Trace))
            .await
            .map_err(sqlx_err)?;
        let migrated: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&pool)
            .await
            .map_err(sqlx_err)?;
        let found: Option<i64> = if migrated {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&pool)
                .await
                .map_err(sqlx_err)?
        } else {
            None
        };
        let known = POSTGRES_MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        if let Some(found) = found.filter(|f| *f > known) {
            return Err(OpenError::NewerServer { path: shown, found, known });
        }
        POSTGRES_MIGRATOR
            .run(&pool)
            .await
            .map_err(|source| OpenError::Migrate { path: shown.clone(), source })?;
        let pool = Pool::Postgres(pool);
        Ok(Pools { read: pool.clone(), write: pool, in_flight: Arc::default(), _held: None })
    }

    /// Opens (creating if missing) the database file, refuses files from a newer version or that
    /// are not SQLite without writing to them, switches to WAL and runs the embedded migrations.
    async fn open_sqlite(path: &Path) -> Result<Pools, OpenError> {
        let shown = path.display().to_string();
        let sqlx_err = |e| OpenError::Sqlx(shown.clone(), e);
        // journal_mode is set once below, not per connection: WAL persists in the file, and a
        // file we refuse must not be changed.
        // The writer never checkpoints itself: copying pages back and fsyncing would stall
        // whichever request happened to commit past the threshold. `checkpoints` does it instead.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(
                options(path)
                    .pragma("wal_autocheckpoint", "0")
                    .pragma("journal_size_limit", WAL_SIZE_LIMIT.to_string()),
            )
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(ref db) if db.code().as_deref() == Some("26") => {
                    OpenError::NotADatabase { path: shown.clone(), source: e }
                }
                e => OpenError::Sqlx(shown.clone(), e),
            })?;
        let held = backup::hold(path).map_err(|e| OpenError::Held(shown.clone(), e))?;
        check_version(&write, &shown).await?;

        let mode: String =
            sqlx::query_scalar("PRAGMA journal_mode = WAL").fetch_one(&write).await.map_err(sqlx_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(OpenError::NoWal(shown));
        }
        SQLITE_MIGRATOR
            .run(&write)
            .await
            .map_err(|source| OpenError::Migrate { path: shown.clone(), source })?;

        let read = SqlitePoolOptions::new()
            .max_connections(READ_CONNECTIONS)
            .connect_with(options(path))
            .await
            .map_err(sqlx_err)?;
        rocket::tokio::spawn(checkpoints(read.clone()));
        Ok(Pools {
            read: Pool::Sqlite(read),
            write: Pool::Sqlite(write),
            in_flight: Arc::default(),
            _held: Some(Arc::new(held)),
        })
    }
}

/// Checkpoints off the request path, on a reader connection, until the pools close. SQLite also
/// checkpoints when the last connection closes, so a stopped server leaves no WAL behind.
///
/// A passive checkpoint never blocks anyone, but it only copies pages back: the log is rewound
/// by the next writer only if no reader is still using it, and under steady traffic some reader
/// always is, so the WAL grew by about 1 MiB/s in the soak (SQLite's "checkpoint starvation").
/// Past `RESTART_AFTER_FRAMES` a RESTART checkpoint holds writers off for the few milliseconds
/// the current readers need to finish, so the next write starts the log from the beginning.
async fn checkpoints(read: SqlitePool) {
    loop {
        rocket::tokio::time::sleep(CHECKPOINT_EVERY).await;
        if read.is_closed() {
            return;
        }
        let passive =
            sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&read).await;
        let outcome = match passive {
            Ok((_, frames, _)) if frames >= RESTART_AFTER_FRAMES => {
                sqlx::query("PRAGMA wal_checkpoint(RESTART)").execute(&read).await.map(drop)
            }
            other => other.map(drop),
        };
        if let Err(e) = outcome {
            if read.is_closed() {
                return;
            }
            tracing::warn!("checkpoint failed: {e}");
        }
    }
}

async fn check_version(pool: &SqlitePool, shown: &str) -> Result<(), OpenError> {
    let not_db = |source| OpenError::NotADatabase { path: shown.to_owned(), source };
    let has_table: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(pool)
    .await
    .map_err(not_db)?;
    if has_table == 0 {
        return Ok(());
    }
    let found: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
            .fetch_one(pool)
            .await
            .map_err(not_db)?;
    let known = SQLITE_MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    match found {
        Some(found) if found > known => Err(OpenError::Newer { path: shown.to_owned(), found, known }),
        _ => Ok(()),
    }
}

#[rocket::async_trait]
impl rocket_db_pools::Pool for Pools {
    /// Handlers take `&Db` and choose the read or write pool; this is only the trait's due.
    type Connection = Pool;
    type Error = OpenError;

    async fn init(figment: &Figment) -> Result<Self, Self::Error> {
        let url: PathBuf = figment.extract_inner("url")?;
        let max_connections: u32 = figment.extract_inner("max_connections")?;
        Pools::open(&url, max_connections).await
    }

    async fn get(&self) -> Result<Self::Connection, Self::Error> {
        Ok(self.write.clone())
    }

    async fn close(&self) {
        self.in_flight.drained(DRAIN_LIMIT).await;
        Pools::close(self).await;
    }
}

/// Background jobs that may run on several instances at once (see `claim_round`).
#[derive(Debug, Clone, Copy)]
#[repr(i64)]
pub enum Job {
    SessionPurge = 0x5354_0001,
    RateLimitPurge = 0x5354_0002,
    MailTokenPurge = 0x5354_0003,
    ChallengePurge = 0x5354_0004,
    AuditPurge = 0x5354_0005,
}

/// Whether this instance runs this round of `job`: on Postgres, a transaction-scoped advisory
/// lock that one instance at a time holds (the others skip the round); on SQLite, always.
pub async fn claim_round(tx: &mut Tx, job: Job) -> Result<bool, sqlx::Error> {
    match tx {
        Tx::Sqlite(_) => Ok(true),
        Tx::Postgres(t) => {
            sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
                .bind(job as i64)
                .fetch_one(&mut **t)
                .await
        }
    }
}

/// One round of a purge job: `delete` (binding `bound` as `$1`) in a transaction that claims the
/// round first; 0 when another instance has it.
async fn purge_round(
    db: &Pool,
    job: Job,
    delete: &'static str,
    bound: impl Into<engine::Param>,
) -> Result<u64, sqlx::Error> {
    let bound = [bound.into()];
    let mut tx = db.begin().await?;
    if !claim_round(&mut tx, job).await? {
        return Ok(0);
    }
    let purged = engine::with_conn!(&mut tx, |c| engine::bind_params!(sqlx::query(delete), &bound)
        .execute(c)
        .await
        .map(|d| d.rows_affected()))?;
    tx.commit().await?;
    Ok(purged)
}

/// True when the database answers.
pub async fn ping(db: &Pool) -> bool {
    let result: Result<(), sqlx::Error> =
        async { engine::with_conn!(db, |c| sqlx::query("SELECT 1").execute(c).await.map(drop)) }.await;
    result.is_ok()
}

/// A Postgres URL without its password, for logs and messages.
pub fn display_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{}{user}{hidden}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// The database as logged at start (the resolved path, or the URL without its password), so a
/// mistyped `--db` is noticed.
pub fn display(database: &Path) -> String {
    match Target::of(database) {
        Target::Sqlite(path) => display_path(&path),
        Target::Postgres(url) => display_url(&url),
    }
}

/// The resolved path of a SQLite file.
pub fn display_path(path: &Path) -> String {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf())
    };
    abs.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_password() {
        assert_eq!(
            display_url("postgres://app:s3cret@db:5432/shop?sslmode=require"),
            "postgres://app:***@db:5432/shop?sslmode=require"
        );
        assert_eq!(display_url("postgresql://app@db/shop"), "postgresql://app@db/shop");
        assert_eq!(display_url("postgres://db/shop"), "postgres://db/shop");
    }

    #[test]
    fn a_database_is_a_url_or_a_file() {
        assert_eq!(Target::of(Path::new("postgres://db/shop")).kind(), Kind::Postgres);
        assert_eq!(Target::of(Path::new("postgresql://db/shop")).kind(), Kind::Postgres);
        assert_eq!(Target::of(Path::new("data/postgres.db")).kind(), Kind::Sqlite);
    }
}
