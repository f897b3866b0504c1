//! Instance settings kept in the database.

use sqlx::SqlitePool;

/// The stored JWT secret, generated (256 random bits) on first start so tokens survive restarts.
pub async fn jwt_secret(write: &SqlitePool) -> Result<String, sqlx::Error> {
    let fresh = hex::encode(rand::random::<[u8; 32]>());
    sqlx::query("INSERT OR IGNORE INTO settings (key, value) VALUES ('jwt_secret', ?)")
        .bind(&fresh)
        .execute(write)
        .await?;
    sqlx::query_scalar("SELECT value FROM settings WHERE key = 'jwt_secret'").fetch_one(write).await
}
