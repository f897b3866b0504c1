//! Queries on `users`.

use super::engine::{with_conn, Ex, Pool};
use super::query::{contains_pattern, page_of, returning, timestamp, Filter, Listing};
use crate::domain::{ClosedSet, DisplayName, Email, Permission, Role, Username};

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
    pub email_verified: bool,
    /// Base32; set means two-factor sign-in is on.
    pub totp_secret: Option<String>,
    /// From a setup not yet confirmed with a code.
    pub totp_pending: Option<String>,
    /// The last 30-second step whose code was accepted.
    pub totp_last_step: Option<i64>,
}

impl UserRow {
    pub fn two_factor(&self) -> bool {
        self.totp_secret.is_some()
    }

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
    /// Known to be theirs already (`admin create`); else a verification mail is due.
    pub email_verified: bool,
}

pub async fn insert(db: impl Into<Ex<'_>>, u: &NewUser<'_>) -> Result<UserRow, sqlx::Error> {
    let now = timestamp();
    with_conn!(db, |c| {
        let query = sqlx::query_as(
            "INSERT INTO users (email, username, name, password_hash, role, email_verified, created_at,
                                updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *",
        )
        .bind(u.email.as_str())
        .bind(u.username.map(Username::as_str))
        .bind(u.name.as_str())
        .bind(u.password_hash)
        .bind(u.role)
        .bind(u.email_verified)
        .bind(&now);
        returning(query, c).await
    })
}

/// Whether any account exists.
pub async fn any(db: impl Into<Ex<'_>>) -> Result<bool, sqlx::Error> {
    with_conn!(db, |c| sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users)").fetch_one(c).await)
}

pub async fn by_id(db: impl Into<Ex<'_>>, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    with_conn!(db, |c| sqlx::query_as("SELECT * FROM users WHERE id = $1").bind(id).fetch_optional(c).await)
}

/// As `by_id`, in a write transaction that will change the row: no other transaction changes it
/// until this one ends.
pub async fn lock(tx: &mut super::Tx, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("SELECT * FROM users WHERE id = $1{}", tx.kind().for_update());
    with_conn!(tx, |c| sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

/// `login` is an email when it contains `@` (usernames never do), else a username. Emails are
/// stored lowercased (Unicode) and are lowercased here the same way, in Rust: SQLite's `lower()`
/// folds ASCII only, so `ÄNNE@…` would never find `änne@…`. Usernames are ASCII.
pub async fn by_login(db: impl Into<Ex<'_>>, login: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let login = login.trim();
    let (sql, key) = if login.contains('@') {
        ("SELECT * FROM users WHERE email = $1", login.to_lowercase())
    } else {
        ("SELECT * FROM users WHERE username = $1 COLLATE NOCASE", login.to_owned())
    };
    with_conn!(db, |c| sqlx::query_as(sql).bind(&key).fetch_optional(c).await)
}

pub async fn set_password(db: impl Into<Ex<'_>>, id: i64, hash: &str) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(timestamp())
        .bind(id)
        .execute(c)
        .await
        .map(|_| ()))
}

/// The email is known to be theirs (a verification link or a password reset reached it).
pub async fn set_verified(db: impl Into<Ex<'_>>, id: i64) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query("UPDATE users SET email_verified = TRUE, updated_at = $1 WHERE id = $2")
        .bind(timestamp())
        .bind(id)
        .execute(c)
        .await
        .map(drop))
}

pub async fn touch_login(db: impl Into<Ex<'_>>, id: i64) -> Result<String, sqlx::Error> {
    let now = timestamp();
    with_conn!(db, |c| sqlx::query("UPDATE users SET last_login = $1 WHERE id = $2")
        .bind(&now)
        .bind(id)
        .execute(c)
        .await
        .map(drop))?;
    Ok(now)
}

/// The full set of editable columns; callers start from the current row (read with `lock`) and
/// change what they may.
pub async fn update(tx: &mut super::Tx, u: &UserRow) -> Result<UserRow, sqlx::Error> {
    with_conn!(tx, |c| {
        let query = sqlx::query_as(
            "UPDATE users SET email = $1, username = $2, name = $3, role = $4, permissions = $5,
             is_active = $6, email_verified = $7, updated_at = $8 WHERE id = $9 RETURNING *",
        )
        .bind(&u.email)
        .bind(&u.username)
        .bind(&u.name)
        .bind(u.role)
        .bind(&u.permissions)
        .bind(u.is_active)
        .bind(u.email_verified)
        .bind(timestamp())
        .bind(u.id);
        returning(query, c).await
    })
}

pub async fn delete(db: impl Into<Ex<'_>>, id: i64) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(c).await.map(|_| ()))
}

/// Active admins other than `except`: the last one may not be demoted, deactivated or deleted.
/// On Postgres every such check takes one transaction-scoped advisory lock first, so the checks
/// run one at a time and each counts what the one before it committed (two admins demoting each
/// other can't both count the other). SQLite's write transactions run one at a time anyway.
pub async fn other_active_admins(tx: &mut super::Tx, except: i64) -> Result<i64, sqlx::Error> {
    if tx.kind() == super::Kind::Postgres {
        with_conn!(&mut *tx, |c| sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(LAST_ADMIN_LOCK)
            .execute(c)
            .await
            .map(drop))?;
    }
    with_conn!(tx, |c| sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE role = 'admin' AND is_active AND id <> $1"
    )
    .bind(except)
    .fetch_one(c)
    .await)
}

/// The advisory lock of `other_active_admins`.
const LAST_ADMIN_LOCK: i64 = 0x5354_0100;

pub async fn page(
    db: &Pool,
    q: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<UserRow>, i64), sqlx::Error> {
    let like = db.kind().ilike();
    let mut filter = Filter::default();
    filter.when(
        &format!(
            "(email {like} ? ESCAPE '\\' OR username {like} ? ESCAPE '\\' OR name {like} ? ESCAPE '\\')"
        ),
        q.map(contains_pattern),
    );
    page_of(db, &Listing { columns: "*", from: "users", order_by: "id" }, filter, limit, offset).await
}
