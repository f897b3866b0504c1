//! Database errors as API errors: unique violations are the one place they become 409s, a busy,
//! full or read-only database is a 503, anything else a 500.

use super::ApiError;

/// Unique-constraint violations are the one place database errors become 409s.
impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                // SQLite names the columns (`users.email`), Postgres the index (`users_email`).
                let what = db.constraint().unwrap_or_else(|| db.message()).replace('.', "_");
                let (code, what) = if what.contains("users_email") {
                    ("email_taken", "That email is already registered.")
                } else if what.contains("users_username") {
                    ("username_taken", "That username is taken.")
                } else if what.contains("_name") {
                    ("name_taken", "That name is already used.")
                } else if what.contains("_symbol") {
                    ("symbol_taken", "That symbol is already listed.")
                } else {
                    ("already_exists", "It already exists.")
                };
                return ApiError::conflict(code, what);
            }
            // Postgres: a deadlock or serialization failure; the client may simply retry.
            if matches!(db.code().as_deref(), Some("40001" | "40P01")) {
                return ApiError::Unavailable(db.message().to_owned());
            }
            let msg = db.message();
            if msg.contains("database is locked")
                || msg.contains("readonly")
                || msg.contains("disk is full")
                || msg.contains("disk I/O error")
            {
                return ApiError::Unavailable(msg.to_owned());
            }
        }
        if matches!(e, sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed) {
            return ApiError::Unavailable(e.to_string());
        }
        ApiError::Internal(e.to_string())
    }
}
