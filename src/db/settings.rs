//! Instance settings kept in the database.

use super::engine::{with_conn, Pool};

/// The stored JWT secret, generated (256 random bits) on first start so tokens survive restarts.
/// Instances starting together on one database agree on the first one stored.
pub async fn jwt_secret(write: &Pool) -> Result<String, sqlx::Error> {
    let fresh = hex::encode(rand::random::<[u8; 32]>());
    with_conn!(write, |c| {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('jwt_secret', $1) ON CONFLICT (key) DO NOTHING",
        )
        .bind(&fresh)
        .execute(&mut *c)
        .await?;
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'jwt_secret'").fetch_one(c).await
    })
}
