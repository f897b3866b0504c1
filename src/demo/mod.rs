//! `--demo`: fills an *empty* database (no users yet) with sample data and a demo admin, and
//! says how to sign in. A database that has users is left exactly as it was.

mod markets;
mod store;

use crate::config::Config;
use crate::db::{users, Pools, Tx};
use crate::domain::{DisplayName, Email, Role, Username};
use crate::App;

pub const ADMIN_USERNAME: &str = "admin";

pub async fn seed(config: &Config) -> Result<String, String> {
    let pools = Pools::open(&config.database, 1).await.map_err(|e| e.to_string())?;
    if users::any(&pools.read).await.map_err(|e| e.to_string())? {
        return Ok("--demo: the database already has users, so no demo data was added.".into());
    }
    let app = App::new(config.clone());
    // Random, so that a demo left running on a network is not an open door.
    let password = format!("demo-{}", hex::encode(rand::random::<[u8; 6]>()));
    let hash = app.hasher.hash(&password).await.map_err(|e| e.to_string())?;
    let mut tx = pools.write.begin().await.map_err(|e| e.to_string())?;
    let email = Email::parse("admin@demo.stockroom.test")?;
    let username = Username::parse(ADMIN_USERNAME)?;
    let name = DisplayName::parse("Demo Admin")?;
    let new = users::NewUser {
        email: &email,
        username: Some(&username),
        name: &name,
        password_hash: &hash,
        role: Role::Admin,
        email_verified: true,
    };
    users::insert(&mut tx, &new).await.map_err(|e| e.to_string())?;
    sample_data(&mut tx).await.map_err(|e| format!("loading demo data failed: {e}"))?;
    tx.commit().await.map_err(|e| e.to_string())?;
    pools.close().await;
    Ok(format!(
        "--demo: sample data loaded. Sign in as `{ADMIN_USERNAME}` (admin@demo.stockroom.test) \
         with password `{password}`."
    ))
}

/// Each capability adds its sample rows here, inside the seeding transaction.
async fn sample_data(tx: &mut Tx) -> Result<(), sqlx::Error> {
    markets::seed(tx).await?;
    store::seed(tx).await?;
    Ok(())
}
