//! Queries on `users`.

use sqlx::{SqliteConnection, SqliteExecutor};

use super::query::{contains_pattern, page_of, returning, timestamp, Filter, Listing};
use crate::domain::{DisplayName, Email, Permission, Role, Username};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub username: Option<String>,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    /// Comma-separated `Permission` names (see `permission_list`).
    pub permissions: String,
    pub is_active: bool,
    pub created_at: String,
    pub updated_at: String,
    pub last_login: Option<String>,
}

impl UserRow {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn permission_list(&self) -> Vec<Permission> {
        Permission::parse_list(&self.permissions)
    }

    /// An admin has every permission.
    pub fn can(&self, permission: Permission) -> bool {
        self.is_admin() || self.permission_list().contains(&permission)
    }
}

pub struct NewUser<'a> {
    pub email: &'a Email,
    pub username: Option<&'a Username>,
    pub name: &'a DisplayName,
    pub password_hash: &'a str,
    pub role: Role,
}

pub async fn insert(db: impl SqliteExecutor<'_>, u: &NewUser<'_>) -> Result<UserRow, sqlx::Error> {
    let now = timestamp();
    let query = sqlx::query_as(
        "INSERT INTO users (email, username, name, password_hash, role, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
    )
    .bind(u.email.as_str())
    .bind(u.username.map(Username::as_str))
    .bind(u.name.as_str())
    .bind(u.password_hash)
    .bind(u.role)
    .bind(now.clone())
    .bind(now);
    returning(query, db).await
}

pub async fn by_id(db: impl SqliteExecutor<'_>, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM users WHERE id = ?").bind(id).fetch_optional(db).await
}

/// `login` is an email when it contains `@` (usernames never do), else a username. Emails are
/// stored lowercased (Unicode) and are lowercased here the same way, in Rust: SQLite's `lower()`
/// folds ASCII only, so `ÄNNE@…` would never find `änne@…`. Usernames are ASCII.
pub async fn by_login(db: impl SqliteExecutor<'_>, login: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let login = login.trim();
    if login.contains('@') {
        sqlx::query_as("SELECT * FROM users WHERE email = ?")
            .bind(login.to_lowercase())
            .fetch_optional(db)
            .await
    } else {
        sqlx::query_as("SELECT * FROM users WHERE username = ? COLLATE NOCASE")
            .bind(login)
            .fetch_optional(db)
            .await
    }
}

pub async fn set_password(db: impl SqliteExecutor<'_>, id: i64, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?")
        .bind(hash)
        .bind(timestamp())
        .bind(id)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn touch_login(db: impl SqliteExecutor<'_>, id: i64) -> Result<String, sqlx::Error> {
    let now = timestamp();
    sqlx::query("UPDATE users SET last_login = ? WHERE id = ?").bind(&now).bind(id).execute(db).await?;
    Ok(now)
}

/// The full set of editable columns; callers start from the current row and change what they may.
pub async fn update(conn: &mut SqliteConnection, u: &UserRow) -> Result<UserRow, sqlx::Error> {
    let query = sqlx::query_as(
        "UPDATE users SET email = ?, username = ?, name = ?, role = ?, permissions = ?,
         is_active = ?, updated_at = ? WHERE id = ? RETURNING *",
    )
    .bind(&u.email)
    .bind(&u.username)
    .bind(&u.name)
    .bind(u.role)
    .bind(&u.permissions)
    .bind(u.is_active)
    .bind(timestamp())
    .bind(u.id);
    returning(query, conn).await
}

pub async fn delete(db: impl SqliteExecutor<'_>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM users WHERE id = ?").bind(id).execute(db).await.map(|_| ())
}

/// Active admins other than `except`: the last one may not be demoted, deactivated or deleted.
pub async fn other_active_admins(db: impl SqliteExecutor<'_>, except: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM users WHERE role = 'admin' AND is_active = 1 AND id != ?")
        .bind(except)
        .fetch_one(db)
        .await
}

pub async fn page(
    db: &sqlx::SqlitePool,
    q: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<UserRow>, i64), sqlx::Error> {
    let mut filter = Filter::default();
    filter.when(
        "(email LIKE ? ESCAPE '\\' OR username LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')",
        q.map(contains_pattern),
    );
    page_of(db, &Listing { columns: "*", from: "users", order_by: "id" }, filter, limit, offset).await
}
