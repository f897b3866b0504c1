//! argon2id hashing, always on blocking threads and never more at once than there are cores:
//! a login flood queues here instead of stalling the async workers or holding
//! `argon2_memory_kib` per request in memory.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rocket::tokio::sync::Semaphore;
use rocket::tokio::task;

use crate::config::Config;
use crate::error::{ApiError, ApiResult};

pub struct Hasher {
    argon: Argon2<'static>,
    permits: Semaphore,
    /// Verified against when the user does not exist, so that costs what a wrong password does.
    dummy: String,
}

/// The outcome of a verification; `rehash` is a fresh hash when the stored one used outdated
/// parameters.
pub struct Verified {
    pub ok: bool,
    pub rehash: Option<String>,
}

impl Hasher {
    pub fn new(config: &Config) -> Hasher {
        let params =
            Params::new(config.argon2_memory_kib, config.argon2_iterations, config.argon2_parallelism, None)
                .expect("argon2 parameters are validated with the configuration");
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let dummy = hash_with(&argon, &hex::encode(rand::random::<[u8; 16]>()))
            .expect("hashing a random password cannot fail");
        Hasher { argon, permits: Semaphore::new(cores), dummy }
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(Argon2<'static>) -> T + Send + 'static,
    ) -> ApiResult<T> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        let argon = self.argon.clone();
        task::spawn_blocking(move || job(argon)).await.map_err(ApiError::internal)
    }

    pub async fn hash(&self, password: &str) -> ApiResult<String> {
        let password = password.to_owned();
        self.run(move |argon| hash_with(&argon, &password)).await?
    }

    /// Verifies against `stored`, or against a dummy hash when there is no such user.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> ApiResult<Verified> {
        let password = password.to_owned();
        let real = stored.is_some();
        let stored = stored.unwrap_or(&self.dummy).to_owned();
        self.run(move |argon| {
            let Ok(parsed) = PasswordHash::new(&stored) else {
                return Ok(Verified { ok: false, rehash: None });
            };
            let ok = argon.verify_password(password.as_bytes(), &parsed).is_ok() && real;
            let rehash =
                if ok && outdated(&argon, &parsed) { Some(hash_with(&argon, &password)?) } else { None };
            Ok(Verified { ok, rehash })
        })
        .await?
    }
}

fn hash_with(argon: &Argon2<'_>, password: &str) -> ApiResult<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon.hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(ApiError::internal)
}

fn outdated(argon: &Argon2<'_>, hash: &PasswordHash<'_>) -> bool {
    let Ok(current) = Params::try_from(hash) else { return true };
    let want = argon.params();
    hash.algorithm != argon2::ARGON2ID_IDENT
        || hash.version != Some(Version::V0x13.into())
        || current.m_cost() != want.m_cost()
        || current.t_cost() != want.t_cost()
        || current.p_cost() != want.p_cost()
}
