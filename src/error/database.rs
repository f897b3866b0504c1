//! Database errors as API errors: unique violations are the one place they become 409s, a busy,
//! full or read-only database is a 503, anything else a 500.

use super::ApiError;

/// Unique-constraint violations are the one place database errors become 409s.
impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                let msg = db.message();
                let (code, what) = if msg.contains("users.email") {
                    ("email_taken", "That email is already registered.")
                } else if msg.contains("users.username") {
                    ("username_taken", "That username is taken.")
                } else if msg.contains(".name") {
                    ("name_taken", "That name is already used.")
                } else if msg.contains(".symbol") {
                    ("symbol_taken", "That symbol is already listed.")
                } else {
                    ("already_exists", "It already exists.")
                };
                return ApiError::conflict(code, what);
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
        if matches!(e, sqlx::Error::PoolTimedOut) {
            return ApiError::Unavailable(e.to_string());
        }
        ApiError::Internal(e.to_string())
    }
}
