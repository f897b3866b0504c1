//! migrations/sqlite and migrations/postgres describe one schema: the same tables, columns,
//! nullability, keys, unique indexes, foreign keys, checks and triggers, once both are applied.
//! The differences are the documented ones: Postgres has BOOLEAN where SQLite has an integer
//! checked to 0/1, a `rowid` column standing in for SQLite's implicit one, and the tables
//! listed in `db::copy::POSTGRES_ONLY`. Needs `STOCKROOM_TEST_POSTGRES`.

use std::collections::BTreeMap;

use sqlx::{Connection, PgConnection};
use stockroom::db::{copy, Pool, Pools};

use crate::postgres;

/// Per table: columns (name → (type, not null)), primary key, unique indexes, foreign keys,
/// number of CHECK constraints, triggers.
#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    columns: BTreeMap<String, (String, bool)>,
    primary_key: Vec<String>,
    unique: Vec<Vec<String>>,
    foreign_keys: Vec<(String, String, String, String)>,
    checks: usize,
    triggers: Vec<String>,
}

async fn sqlite_schema() -> (BTreeMap<String, Table>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let pools = Pools::open(&dir.path().join("schema.db"), 1).await.unwrap();
    let Pool::Sqlite(db) = &pools.read else { unreachable!() };
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table'
         AND name NOT IN ('sqlite_sequence', '_sqlx_migrations') ORDER BY name",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let mut schema = BTreeMap::new();
    let mut rowid_tables = Vec::new();
    for (name, sql) in tables {
        let upper = sql.to_uppercase();
        if !upper.contains("WITHOUT ROWID") {
            rowid_tables.push(name.clone());
        }
        let mut t = Table::default();
        let cols: Vec<(String, String, bool, i64)> =
            sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid")
                .bind(&name)
                .fetch_all(db)
                .await
                .unwrap();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for (col, ty, not_null, pk_pos) in cols {
            let boolean = upper.contains(&format!("CHECK ({} IN (0, 1))", col.to_uppercase()));
            let ty = match (ty.as_str(), boolean) {
                ("INTEGER", true) => "bool",
                ("INTEGER", false) => "int",
                ("TEXT", _) => "text",
                (other, _) => panic!("{name}.{col}: unexpected SQLite type {other}"),
            };
            if pk_pos > 0 {
                pk.push((pk_pos, col.clone()));
            }
            t.columns.insert(col, (ty.to_owned(), not_null || pk_pos > 0));
        }
        pk.sort();
        t.primary_key = pk.into_iter().map(|(_, c)| c).collect();
        let indexes: Vec<(String, bool, String)> =
            sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list($1) ORDER BY name")
                .bind(&name)
                .fetch_all(db)
                .await
                .unwrap();
        for (index, unique, origin) in indexes {
            if unique && origin != "pk" {
                let cols: Vec<(String,)> =
                    sqlx::query_as("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                        .bind(&index)
                        .fetch_all(db)
                        .await
                        .unwrap();
                t.unique.push(cols.into_iter().map(|(c,)| c).collect());
            }
        }
        t.unique.sort();
        let fks: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list($1) ORDER BY \"from\"",
        )
        .bind(&name)
        .fetch_all(db)
        .await
        .unwrap();
        t.foreign_keys = fks;
        let booleans = t.columns.values().filter(|(ty, _)| ty == "bool").count();
        t.checks = upper.matches("CHECK (").count() - booleans;
        let triggers: Vec<(String,)> = sqlx::query_as(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = $1 ORDER BY name",
        )
        .bind(&name)
        .fetch_all(db)
        .await
        .unwrap();
        t.triggers = triggers.into_iter().map(|(n,)| n).collect();
        schema.insert(name, t);
    }
    pools.close().await;
    (schema, rowid_tables)
}

async fn postgres_schema(url: &str) -> BTreeMap<String, Table> {
    let pools = Pools::open(url.as_ref(), 1).await.unwrap();
    pools.close().await;
    let mut db = PgConnection::connect(url).await.unwrap();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    let mut schema = BTreeMap::new();
    for (name,) in tables {
        let mut t = Table::default();
        let cols: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(&name)
        .fetch_all(&mut db)
        .await
        .unwrap();
        for (col, ty, nullable) in cols {
            let ty = match ty.as_str() {
                "bigint" => "int",
                "boolean" => "bool",
                "text" => "text",
                other => panic!("{name}.{col}: unexpected Postgres type {other}"),
            };
            t.columns.insert(col, (ty.to_owned(), nullable == "NO"));
        }
        let indexes: Vec<(bool, Vec<String>)> = sqlx::query_as(
            "SELECT i.indisprimary,
                    array_agg(a.attname::text ORDER BY k.ord)
             FROM pg_index i
             JOIN pg_class c ON c.oid = i.indrelid
             CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE c.relname = $1 AND i.indisunique AND c.relnamespace = current_schema()::regnamespace
             GROUP BY i.indexrelid, i.indisprimary",
        )
        .bind(&name)
        .fetch_all(&mut db)
        .await
        .unwrap();
        for (primary, cols) in indexes {
            if primary {
                t.primary_key = cols;
            } else {
                t.unique.push(cols);
            }
        }
        t.unique.sort();
        let fks: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT a.attname::text, f.relname::text, fa.attname::text,
                    CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'r' THEN 'RESTRICT'
                         WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END
             FROM pg_constraint c
             JOIN pg_class r ON r.oid = c.conrelid
             JOIN pg_class f ON f.oid = c.confrelid
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
             JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
             WHERE c.contype = 'f' AND r.relname = $1 ORDER BY 1",
        )
        .bind(&name)
        .fetch_all(&mut db)
        .await
        .unwrap();
        t.foreign_keys = fks;
        let checks: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
             WHERE c.contype = 'c' AND r.relname = $1",
        )
        .bind(&name)
        .fetch_one(&mut db)
        .await
        .unwrap();
        t.checks = checks as usize;
        let triggers: Vec<(String,)> = sqlx::query_as(
            "SELECT tgname::text FROM pg_trigger g JOIN pg_class r ON r.oid = g.tgrelid
             WHERE r.relname = $1 AND NOT g.tgisinternal ORDER BY 1",
        )
        .bind(&name)
        .fetch_all(&mut db)
        .await
        .unwrap();
        t.triggers = triggers.into_iter().map(|(n,)| n).collect();
        schema.insert(name, t);
    }
    db.close().await.ok();
    schema
}

#[rocket::async_test]
async fn both_migration_folders_describe_one_schema() {
    let Some(server) = postgres::server() else {
        eprintln!("the schema parity test needs {}; skipped", postgres::ENV);
        return;
    };
    let (sqlite, rowid_tables) = sqlite_schema().await;
    let mut pg = postgres_schema(&postgres::fresh_database(&server).await).await;
    for only in copy::POSTGRES_ONLY {
        assert!(pg.remove(*only).is_some(), "{only} is listed as Postgres-only but does not exist");
        assert!(!sqlite.contains_key(*only));
    }
    for (name, t) in pg.iter_mut() {
        if let Some(rowid) = t.columns.remove("rowid") {
            assert_eq!(rowid, ("int".to_owned(), true), "{name}.rowid");
            assert!(
                rowid_tables.contains(name),
                "{name} has a rowid on Postgres but is WITHOUT ROWID on SQLite"
            );
        }
    }
    assert_eq!(sqlite.keys().collect::<Vec<_>>(), pg.keys().collect::<Vec<_>>(), "the same tables");
    for (name, s) in &sqlite {
        assert_eq!(s, &pg[name], "table {name}: SQLite (left) and Postgres (right) differ");
    }
    let tables: Vec<&str> = sqlite.keys().map(String::as_str).collect();
    let mut copied = copy::TABLES.to_vec();
    copied.sort();
    assert_eq!(copied, tables, "migrate-to copies every table");
}
