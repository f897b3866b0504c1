//! What every query module shares: optional filters, paging, `RETURNING` run to completion,
//! literal LIKE patterns and timestamps.
//!
//! Two idioms, used everywhere:
//! - **Optional filters** go through `Filter`: a condition joins the SQL only when its value is
//!   present (fixed fragments whose `?` become numbered `$n` binds, never request text), so the
//!   engine can pick the index that serves it.
//! - **Inserts and updates** that hand a row back use `RETURNING` through `returning`, which
//!   runs the statement to completion (a failed commit is never reported as done).

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Database, Executor, FromRow, IntoArguments};

use super::engine::{bind_params, with_conn, Ex, Param};

/// The conditions of a filtered list and their values, in order.
#[derive(Default)]
pub struct Filter {
    conditions: Vec<String>,
    params: Vec<Param>,
}

impl Filter {
    /// Adds `condition` when `value` is present, binding the value once for each `?` in it.
    pub fn when<T: Into<Param>>(&mut self, condition: &str, value: Option<T>) -> &mut Self {
        if let Some(value) = value {
            let value = value.into();
            let mut numbered = String::with_capacity(condition.len() + 8);
            for (i, part) in condition.split('?').enumerate() {
                if i > 0 {
                    self.params.push(value.clone());
                    numbered.push_str(&format!("${}", self.params.len()));
                }
                numbered.push_str(part);
            }
            self.conditions.push(numbered);
        }
        self
    }

    /// Adds a condition that binds nothing.
    pub fn and(&mut self, condition: &str) -> &mut Self {
        self.conditions.push(condition.to_owned());
        self
    }

    fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conditions.join(" AND "))
        }
    }
}

/// What a paged list reads: `SELECT columns FROM from WHERE … ORDER BY order_by`.
pub struct Listing<'a> {
    pub columns: &'a str,
    pub from: &'a str,
    pub order_by: &'a str,
}

/// One page of a filtered list and the number of rows the filter matches.
pub async fn page_of<T>(
    db: impl Into<Ex<'_>>,
    listing: &Listing<'_>,
    filter: Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<T>, i64), sqlx::Error>
where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    let where_clause = filter.where_clause();
    let count_sql = format!("SELECT count(*) FROM {} {where_clause}", listing.from);
    let n = filter.params.len();
    let list_sql = format!(
        "SELECT {} FROM {} {where_clause} ORDER BY {} LIMIT ${} OFFSET ${}",
        listing.columns,
        listing.from,
        listing.order_by,
        n + 1,
        n + 2
    );
    let params = &filter.params;
    with_conn!(db, |c| {
        let total = bind_params!(sqlx::query_scalar(&count_sql), params).fetch_one(&mut *c).await?;
        let rows =
            bind_params!(sqlx::query_as(&list_sql), params).bind(limit).bind(offset).fetch_all(c).await?;
        Ok((rows, total))
    })
}

/// Runs an `INSERT/UPDATE ... RETURNING` to completion and gives its one row. `fetch_one` stops
/// after the first row; in autocommit mode SQLite commits only when the statement finishes, so a
/// failed commit (a full disk, say) would be lost and a write that never happened reported as done.
pub async fn returning<'q, 'c, DB, T, A, E>(
    query: sqlx::query::QueryAs<'q, DB, T, A>,
    db: E,
) -> Result<T, sqlx::Error>
where
    DB: Database,
    A: 'q + IntoArguments<'q, DB>,
    T: Send + Unpin + for<'r> FromRow<'r, DB::Row> + 'q,
    E: 'q + Executor<'c, Database = DB>,
    'c: 'q,
{
    returning_optional(query, db).await?.ok_or(sqlx::Error::RowNotFound)
}

/// As `returning`, for statements that may match no row.
pub async fn returning_optional<'q, 'c, DB, T, A, E>(
    query: sqlx::query::QueryAs<'q, DB, T, A>,
    db: E,
) -> Result<Option<T>, sqlx::Error>
where
    DB: Database,
    A: 'q + IntoArguments<'q, DB>,
    T: Send + Unpin + for<'r> FromRow<'r, DB::Row> + 'q,
    E: 'q + Executor<'c, Database = DB>,
    'c: 'q,
{
    Ok(query.fetch_all(db).await?.into_iter().next())
}

/// A LIKE pattern matching what starts with `text`, taken literally (`ESCAPE '\'`).
pub fn prefix_pattern(text: &str) -> String {
    let mut out = contains_pattern(text);
    out.remove(0);
    out
}

/// A LIKE pattern matching `text` anywhere, with the text taken literally (`ESCAPE '\'`).
pub fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Now, as the API writes timestamps: RFC 3339 UTC with milliseconds.
pub fn timestamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_literal() {
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn filters_join_only_what_is_present() {
        let mut f = Filter::default();
        f.when("a = ?", Some(1)).when("b = ?", None::<i64>).when("(c LIKE ? OR d LIKE ?)", Some("x"));
        assert_eq!(f.where_clause(), "WHERE a = $1 AND (c LIKE $2 OR d LIKE $3)");
        assert_eq!(Filter::default().where_clause(), "");
    }
}
