//! How a query reaches either engine — the one place to read for that.
//!
//! `Pool` is an enum over the two concrete sqlx pools and `Tx` over their transactions. A query
//! function takes `impl Into<Ex>` (a pool, or a transaction in progress) and writes its body
//! once inside `with_conn!`, which expands it once per engine with `c` bound to that engine's
//! concrete connection:
//!
//! ```ignore
//! pub async fn by_id(db: impl Into<Ex<'_>>, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
//!     with_conn!(db, |c| sqlx::query_as("SELECT * FROM users WHERE id = $1").bind(id).fetch_optional(c).await)
//! }
//! ```
//!
//! So one SQL text serves both engines, fully typed (no `sqlx::Any`): `$1` placeholders work on
//! both in sqlx 0.7, and the schemas are kept alike (see `migrations/`). Where the dialects
//! differ, the function picks its text with `Kind::pick` (upserts and `LIKE` case rules, JSON
//! lists, row locks, `VACUUM INTO`).

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

/// Which engine a database runs on; `/api/health` reports it as `databaseKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Sqlite => "sqlite",
            Kind::Postgres => "postgres",
        }
    }

    /// The dialect-specific text of a statement.
    pub fn pick<T>(self, sqlite: T, postgres: T) -> T {
        match self {
            Kind::Sqlite => sqlite,
            Kind::Postgres => postgres,
        }
    }

    /// `FOR UPDATE` on Postgres: a row read to be changed in the same transaction. SQLite needs
    /// none, as its write transactions run one at a time on the single writer.
    pub fn for_update(self) -> &'static str {
        self.pick("", " FOR UPDATE")
    }

    /// Case-insensitive `LIKE` (SQLite's `LIKE` already ignores ASCII case).
    pub fn ilike(self) -> &'static str {
        self.pick("LIKE", "ILIKE")
    }
}

#[derive(Debug, Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

// Held for one request or one call; boxing the larger variant would cost an allocation per query.
#[allow(clippy::large_enum_variant)]
pub enum Tx {
    Sqlite(SqliteTx),
    Postgres(Transaction<'static, Postgres>),
}

/// A SQLite write transaction, run with plain BEGIN / COMMIT / ROLLBACK on a connection of its
/// own rather than sqlx's `Transaction`. Why: when a write fails for a full disk, SQLite may
/// roll the whole transaction back by itself; sqlx's ROLLBACK then fails, it believes the
/// transaction still open, its next BEGIN is a SAVEPOINT, and the next failure's ROLLBACK TO
/// leaves a transaction open for good — every later "committed" write vanished (the full-disk
/// fault test caught it). Here a transaction that does not end cleanly takes its connection out
/// of the pool and closes it (SQLite rolls back what was left); the pool opens a fresh one.
pub struct SqliteTx(Option<PoolConnection<Sqlite>>);

impl SqliteTx {
    async fn begin(pool: &SqlitePool) -> Result<SqliteTx, sqlx::Error> {
        let mut conn = pool.acquire().await?;
        sqlx::query("BEGIN").execute(&mut *conn).await?;
        Ok(SqliteTx(Some(conn)))
    }

    fn conn(&mut self) -> &mut SqliteConnection {
        self.0.as_mut().expect("an open transaction")
    }

    async fn end(mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        let mut conn = self.0.take().expect("an open transaction");
        match sqlx::query(sql).execute(&mut *conn).await {
            Ok(_) => Ok(()),
            Err(e) => {
                // Whatever state it is in, it is not used again.
                drop(conn.detach());
                Err(e)
            }
        }
    }
}

impl Drop for SqliteTx {
    /// Ended without COMMIT or ROLLBACK (an error, or a refusal, part-way): closing the
    /// connection rolls back what it did.
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            drop(conn.detach());
        }
    }
}

impl Pool {
    /// Connections open, and of those how many are idle.
    pub fn usage(&self) -> (u32, usize) {
        match self {
            Pool::Sqlite(p) => (p.size(), p.num_idle()),
            Pool::Postgres(p) => (p.size(), p.num_idle()),
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Pool::Sqlite(_) => Kind::Sqlite,
            Pool::Postgres(_) => Kind::Postgres,
        }
    }

    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => Tx::Sqlite(SqliteTx::begin(p).await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub fn is_closed(&self) -> bool {
        match self {
            Pool::Sqlite(p) => p.is_closed(),
            Pool::Postgres(p) => p.is_closed(),
        }
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    pub fn kind(&self) -> Kind {
        match self {
            Tx::Sqlite(_) => Kind::Sqlite,
            Tx::Postgres(_) => Kind::Postgres,
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.end("COMMIT").await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.end("ROLLBACK").await,
            Tx::Postgres(t) => t.rollback().await,
        }
    }
}

/// Where a query runs: on a pool (one pooled connection for the call) or in a transaction.
pub enum Ex<'a> {
    Pool(&'a Pool),
    Tx(&'a mut Tx),
}

impl<'a> From<&'a Pool> for Ex<'a> {
    fn from(p: &'a Pool) -> Self {
        Ex::Pool(p)
    }
}

impl<'a> From<&'a mut Tx> for Ex<'a> {
    fn from(t: &'a mut Tx) -> Self {
        Ex::Tx(t)
    }
}

impl Ex<'_> {
    pub fn kind(&self) -> Kind {
        match self {
            Ex::Pool(p) => p.kind(),
            Ex::Tx(t) => t.kind(),
        }
    }
}

/// A connection held for one query function: pooled (returned when dropped) or the
/// transaction's own.
#[allow(clippy::large_enum_variant)]
pub enum Held<'a> {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
    SqliteTx(&'a mut SqliteConnection),
    PostgresTx(&'a mut PgConnection),
}

/// The concrete connection `with_conn!` hands to the body of each arm.
pub enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl<'a> Held<'a> {
    pub async fn of(ex: Ex<'a>) -> Result<Held<'a>, sqlx::Error> {
        Ok(match ex {
            Ex::Pool(Pool::Sqlite(p)) => Held::Sqlite(p.acquire().await?),
            Ex::Pool(Pool::Postgres(p)) => Held::Postgres(p.acquire().await?),
            Ex::Tx(Tx::Sqlite(t)) => Held::SqliteTx(t.conn()),
            Ex::Tx(Tx::Postgres(t)) => Held::PostgresTx(&mut *t),
        })
    }

    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Held::Sqlite(c) => Conn::Sqlite(&mut *c),
            Held::Postgres(c) => Conn::Postgres(&mut *c),
            Held::SqliteTx(c) => Conn::Sqlite(c),
            Held::PostgresTx(c) => Conn::Postgres(c),
        }
    }
}

/// Runs `$body` on the connection of `$db` (a `&Pool` or `&mut Tx`), once written, compiled for
/// each engine with `$c` bound to its concrete `&mut …Connection`. Use `&mut *$c` for a second
/// statement in the same body.
macro_rules! with_conn {
    ($db:expr, |$c:ident| $body:expr) => {{
        let mut held = $crate::db::engine::Held::of($db.into()).await?;
        match held.conn() {
            $crate::db::engine::Conn::Sqlite($c) => $body,
            $crate::db::engine::Conn::Postgres($c) => $body,
        }
    }};
}
pub(crate) use with_conn;

/// Binds each `Param` in turn to a query (any engine, any query kind).
macro_rules! bind_params {
    ($query:expr, $params:expr) => {{
        let mut q = $query;
        for p in $params {
            q = match p {
                $crate::db::engine::Param::Int(v) => q.bind(*v),
                $crate::db::engine::Param::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }};
}
pub(crate) use bind_params;

/// A value bound to a dynamically built statement (see `query::Filter`).
#[derive(Debug, Clone)]
pub enum Param {
    Int(i64),
    Text(String),
}

impl From<i64> for Param {
    fn from(v: i64) -> Param {
        Param::Int(v)
    }
}

impl From<String> for Param {
    fn from(v: String) -> Param {
        Param::Text(v)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Param {
        Param::Text(v.to_owned())
    }
}
