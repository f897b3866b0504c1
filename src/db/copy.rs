//! `migrate-to`: copies a SQLite database into an empty Postgres one — every row, the same ids,
//! sequences moved past them (and past ids SQLite handed out and deleted since), the JWT secret
//! with the settings, so signed-in users stay signed in.
//!
//! The source is read in one read transaction (a consistent snapshot, even while a server
//! writes to it); the target is written in one transaction, schema included, so a failed copy
//! leaves it as empty as it was.

use std::path::Path;

use futures::TryStreamExt;
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteRow;
use sqlx::{Arguments, Connection, PgConnection, Row, SqliteConnection};

use super::engine::Pool;
use super::{display_url, Pools, POSTGRES_MIGRATOR};

/// Every table, parents before children (the foreign keys are checked row by row).
pub const TABLES: &[&str] = &[
    "settings",
    "users",
    "sessions",
    "mail_tokens",
    "mail_outbox",
    "recovery_codes",
    "mfa_challenges",
    "api_tokens",
    "audit_log",
    "categories",
    "products",
    "cart_items",
    "orders",
    "order_items",
    "assets",
    "holdings",
    "transactions",
    "price_history",
    "ledger_versions",
    "watchlist",
];

/// Postgres-only tables, whose SQLite counterparts live in memory (see `db::limits`).
pub const POSTGRES_ONLY: &[&str] = &["rate_limits"];

/// Rows per INSERT: well under Postgres's 65,535 parameters for the widest table.
const BATCH: usize = 500;

/// One copied table and its row count, as printed (`TABLE ROWS`).
pub struct Copied {
    pub table: &'static str,
    pub rows: i64,
}

pub async fn migrate_to(source: &Path, target: &str) -> Result<Vec<Copied>, String> {
    let shown = display_url(target);
    if !matches!(super::Target::of(target.as_ref()), super::Target::Postgres(_)) {
        return Err(format!("{target} is not a postgres:// or postgresql:// URL"));
    }
    if !source.exists() {
        return Err(format!("no database at {}", super::display(source)));
    }
    let pools = Pools::open(source, 1).await.map_err(|e| e.to_string())?;
    let Pool::Sqlite(read) = &pools.read else {
        return Err("migrate-to copies from a SQLite file; --db names a Postgres database".into());
    };
    let mut src = read.acquire().await.map_err(|e| e.to_string())?;
    let mut dst = PgConnection::connect(target).await.map_err(|e| format!("connecting to {shown}: {e}"))?;
    refuse_non_empty(&mut dst, &shown).await?;

    // Deferred: the snapshot is taken by the first read and holds for every table.
    let mut snapshot = src.begin().await.map_err(|e| e.to_string())?;
    let mut tx = dst.begin().await.map_err(|e| e.to_string())?;
    POSTGRES_MIGRATOR
        .run_direct(&mut *tx)
        .await
        .map_err(|e| format!("creating the schema on {shown}: {e}"))?;
    // The copied rows are whole already: the trigger that records each asset's price in
    // `price_history` stays off while the assets and their history are copied.
    sqlx::query("ALTER TABLE assets DISABLE TRIGGER USER")
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    let mut copied = Vec::new();
    for &table in TABLES {
        let rows =
            copy_table(&mut snapshot, &mut tx, table).await.map_err(|e| format!("copying {table}: {e}"))?;
        copied.push(Copied { table, rows });
    }
    for c in &copied {
        let on_target: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", c.table))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
        let in_source: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", c.table))
            .fetch_one(&mut *snapshot)
            .await
            .map_err(|e| e.to_string())?;
        if on_target != c.rows || in_source != c.rows {
            return Err(format!(
                "{}: {} rows read, {} in the source, {} on the target; nothing was committed",
                c.table, c.rows, in_source, on_target
            ));
        }
    }
    sqlx::query("ALTER TABLE assets ENABLE TRIGGER USER")
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| format!("committing the copy: {e}"))?;
    snapshot.rollback().await.ok();
    drop(src);
    pools.close().await;
    Ok(copied)
}

/// A target with any Stockroom table (or migration history) is refused untouched.
async fn refuse_non_empty(dst: &mut PgConnection, shown: &str) -> Result<(), String> {
    let mut names: Vec<String> = TABLES.iter().chain(POSTGRES_ONLY).map(|t| t.to_string()).collect();
    names.push("_sqlx_migrations".into());
    let found: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_name = ANY($1) ORDER BY 1",
    )
    .bind(&names)
    .fetch_all(&mut *dst)
    .await
    .map_err(|e| e.to_string())?;
    if found.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{shown} already has Stockroom tables ({}); migrate-to only copies into an empty database",
            found.join(", ")
        ))
    }
}

/// The target's columns of `table` and whether each is boolean (SQLite stores those as 0/1).
async fn columns(dst: &mut PgConnection, table: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(dst)
    .await
}

async fn copy_table(
    src: &mut SqliteConnection,
    dst: &mut PgConnection,
    table: &str,
) -> Result<i64, sqlx::Error> {
    let cols = columns(dst, table).await?;
    let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
    // `rowid` on Postgres is SQLite's implicit rowid, selected by that name.
    let select = format!("SELECT {} FROM {table} ORDER BY rowid", names.join(", "));
    let select = if table == "cart_items" {
        format!("SELECT {} FROM {table} ORDER BY user_id, product_id", names.join(", "))
    } else {
        select
    };
    let mut total = 0i64;
    let mut batch: Vec<SqliteRow> = Vec::with_capacity(BATCH);
    {
        let mut rows = sqlx::query(&select).fetch(&mut *src);
        while let Some(row) = rows.try_next().await? {
            batch.push(row);
            if batch.len() == BATCH {
                total += insert(dst, table, &cols, &batch).await?;
                batch.clear();
            }
        }
    }
    total += insert(dst, table, &cols, &batch).await?;
    move_sequences(src, dst, table, &cols).await?;
    Ok(total)
}

async fn insert(
    dst: &mut PgConnection,
    table: &str,
    cols: &[(String, String)],
    rows: &[SqliteRow],
) -> Result<i64, sqlx::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    let mut args = PgArguments::default();
    let mut tuples = Vec::with_capacity(rows.len());
    let mut n = 0;
    for row in rows {
        let mut slots = Vec::with_capacity(cols.len());
        for (i, (_, ty)) in cols.iter().enumerate() {
            match ty.as_str() {
                "bigint" => args.add(row.try_get::<Option<i64>, _>(i)?),
                "boolean" => args.add(row.try_get::<Option<bool>, _>(i)?),
                _ => args.add(row.try_get::<Option<String>, _>(i)?),
            }
            n += 1;
            slots.push(format!("${n}"));
        }
        tuples.push(format!("({})", slots.join(", ")));
    }
    let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
    let sql = format!("INSERT INTO {table} ({}) VALUES {}", names.join(", "), tuples.join(", "));
    let done = sqlx::query_with(&sql, args).execute(dst).await?;
    Ok(done.rows_affected() as i64)
}

/// Moves each identity sequence of `table` past the largest id copied and past what SQLite's
/// AUTOINCREMENT handed out (ids of deleted rows are never reused: old tokens carry session ids).
async fn move_sequences(
    src: &mut SqliteConnection,
    dst: &mut PgConnection,
    table: &str,
    cols: &[(String, String)],
) -> Result<(), sqlx::Error> {
    for (col, _) in cols {
        let sequence: Option<String> = sqlx::query_scalar("SELECT pg_get_serial_sequence($1, $2)")
            .bind(table)
            .bind(col)
            .fetch_one(&mut *dst)
            .await?;
        let Some(sequence) = sequence else { continue };
        let max: Option<i64> =
            sqlx::query_scalar(&format!("SELECT MAX({col}) FROM {table}")).fetch_one(&mut *dst).await?;
        let handed_out: Option<i64> = if col == "id" {
            sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = $1")
                .bind(table)
                .fetch_optional(&mut *src)
                .await?
        } else {
            None
        };
        let last = max.unwrap_or(0).max(handed_out.unwrap_or(0));
        if last > 0 {
            sqlx::query("SELECT setval($1, $2)").bind(&sequence).bind(last).execute(&mut *dst).await?;
        }
    }
    Ok(())
}
