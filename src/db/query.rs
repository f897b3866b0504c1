//! What every query module shares: optional filters, paging, `RETURNING` run to completion,
//! literal LIKE patterns and timestamps.
//!
//! Two idioms, used everywhere:
//! - **Optional filters** go through `Filter`: a condition joins the SQL only when its value is
//!   present (fixed fragments with plain `?` binds, never request text), so SQLite can pick the
//!   index that serves it.
//! - **Inserts and updates** that hand a row back use `RETURNING` through `returning`, which
//!   runs the statement to completion (a failed commit is never reported as done).

use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Encode, Sqlite, SqliteExecutor, SqlitePool, Type};

/// The conditions of a filtered list and their values, in order.
#[derive(Default)]
pub struct Filter<'q> {
    conditions: Vec<&'static str>,
    args: SqliteArguments<'q>,
}

impl<'q> Filter<'q> {
    /// Adds `condition` when `value` is present, binding the value once for each `?` in it.
    pub fn when<T>(&mut self, condition: &'static str, value: Option<T>) -> &mut Self
    where
        T: 'q + Send + Encode<'q, Sqlite> + Type<Sqlite> + Clone,
    {
        if let Some(value) = value {
            for _ in 0..condition.matches('?').count() {
                self.args.add(value.clone());
            }
            self.conditions.push(condition);
        }
        self
    }

    /// Adds a condition that binds nothing.
    pub fn and(&mut self, condition: &'static str) -> &mut Self {
        self.conditions.push(condition);
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
    db: &SqlitePool,
    listing: &Listing<'_>,
    filter: Filter<'_>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<T>, i64), sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + Send + Unpin,
{
    let where_clause = filter.where_clause();
    let count_sql = format!("SELECT count(*) FROM {} {where_clause}", listing.from);
    let total = sqlx::query_scalar_with(&count_sql, filter.args.clone()).fetch_one(db).await?;
    let list_sql = format!(
        "SELECT {} FROM {} {where_clause} ORDER BY {} LIMIT ? OFFSET ?",
        listing.columns, listing.from, listing.order_by
    );
    let mut args = filter.args;
    args.add(limit);
    args.add(offset);
    let rows = sqlx::query_as_with(&list_sql, args).fetch_all(db).await?;
    Ok((rows, total))
}

/// Runs an `INSERT/UPDATE ... RETURNING` to completion and gives its one row. `fetch_one` stops
/// after the first row; in autocommit mode SQLite commits only when the statement finishes, so a
/// failed commit (a full disk, say) would be lost and a write that never happened reported as done.
pub async fn returning<'q, T>(
    query: sqlx::query::QueryAs<'q, Sqlite, T, SqliteArguments<'q>>,
    db: impl SqliteExecutor<'_>,
) -> Result<T, sqlx::Error>
where
    T: Send + Unpin + for<'r> sqlx::FromRow<'r, SqliteRow>,
{
    returning_optional(query, db).await?.ok_or(sqlx::Error::RowNotFound)
}

/// As `returning`, for statements that may match no row.
pub async fn returning_optional<'q, T>(
    query: sqlx::query::QueryAs<'q, Sqlite, T, SqliteArguments<'q>>,
    db: impl SqliteExecutor<'_>,
) -> Result<Option<T>, sqlx::Error>
where
    T: Send + Unpin + for<'r> sqlx::FromRow<'r, SqliteRow>,
{
    Ok(query.fetch_all(db).await?.into_iter().next())
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
        assert_eq!(f.where_clause(), "WHERE a = ? AND (c LIKE ? OR d LIKE ?)");
        assert_eq!(Filter::default().where_clause(), "");
    }
}
