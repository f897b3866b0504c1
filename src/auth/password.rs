//! argon2id hashing on a fixed pool of threads, one per core, each reusing its own argon2 memory.
//!
//! Why a pool of our own: a login flood must neither stall the async workers nor grow memory. A
//! fresh 19 MiB buffer per hash on tokio's blocking threads left every thread's malloc arena
//! holding its high-water mark (hundreds of MB under load); here memory is bounded by
//! `cores × argon2_memory_kib`, requests queue in a channel, and no page is faulted in twice.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rocket::tokio::sync::oneshot;

use super::limits::{Limits, Subject};
use crate::config::Config;
use crate::db::users::UserRow;
use crate::domain::PasswordPolicy;
use crate::error::{ApiError, ApiResult};

type Job = Box<dyn FnOnce(&mut Worker) + Send>;

pub struct Hasher {
    jobs: Mutex<Sender<Job>>,
    /// Jobs sent and not started, and jobs running (for `/metrics`).
    load: Arc<(AtomicUsize, AtomicUsize)>,
    /// Verified against when the user does not exist, so that costs what a wrong password does.
    /// Made on first use, so an idle server holds no argon2 memory.
    dummy: Arc<OnceLock<String>>,
}

/// The outcome of a verification; `rehash` is a fresh hash when the stored one used outdated
/// parameters.
pub struct Verified {
    pub ok: bool,
    pub rehash: Option<String>,
}

/// One hashing thread's state: the configured hasher and its reusable memory.
struct Worker {
    argon: Argon2<'static>,
    blocks: Vec<Block>,
}

impl Hasher {
    pub fn new(config: &Config) -> Hasher {
        let params =
            Params::new(config.argon2_memory_kib, config.argon2_iterations, config.argon2_parallelism, None)
                .expect("argon2 parameters are validated with the configuration");
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || work(rx, Worker { argon, blocks: Vec::new() }))
                .expect("spawning a hashing thread");
        }
        Hasher { jobs: Mutex::new(tx), load: Arc::default(), dummy: Arc::new(OnceLock::new()) }
    }

    /// Hashes waiting for a thread, and hashes being computed.
    pub fn load(&self) -> (usize, usize) {
        (self.load.0.load(Ordering::Relaxed), self.load.1.load(Ordering::Relaxed))
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Worker) -> T + Send + 'static,
    ) -> ApiResult<T> {
        let (tx, rx) = oneshot::channel();
        let load = self.load.clone();
        load.0.fetch_add(1, Ordering::Relaxed);
        let job: Job = Box::new(move |w| {
            load.0.fetch_sub(1, Ordering::Relaxed);
            load.1.fetch_add(1, Ordering::Relaxed);
            let _ = tx.send(job(w));
            load.1.fetch_sub(1, Ordering::Relaxed);
        });
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(job)
            .map_err(|_| ApiError::internal("the hashing threads are gone"))?;
        rx.await.map_err(|_| ApiError::internal("a hashing job was dropped"))
    }

    pub async fn hash(&self, password: &str) -> ApiResult<String> {
        let password = password.to_owned();
        self.run(move |w| w.hash(&password)).await?
    }

    /// Verifies against `stored`, or against a dummy hash when there is no such user.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> ApiResult<Verified> {
        let password = password.to_owned();
        let stored = stored.map(str::to_owned);
        let dummy = self.dummy.clone();
        self.run(move |w| {
            let Some(stored) = stored else {
                let dummy = match dummy.get() {
                    Some(d) => d.clone(),
                    None => dummy.get_or_init(|| w.hash("no such user").unwrap_or_default()).clone(),
                };
                w.verify(&password, &dummy);
                return Ok(Verified { ok: false, rehash: None });
            };
            let (ok, outdated) = w.verify(&password, &stored);
            let rehash = if ok && outdated { Some(w.hash(&password)?) } else { None };
            Ok(Verified { ok, rehash })
        })
        .await?
    }
}

/// 403 `wrong_password` unless `password` is this user's (400 naming `field` when it is
/// missing); never ends the session. A wrong one counts as a failed login of this account from
/// this client, so guessing through a stolen session is limited as at the login form (429
/// once the failures are used up), and one user can't queue more than a couple of checks.
pub async fn confirm(
    hasher: &Hasher,
    limits: &Limits,
    client: IpAddr,
    user: &UserRow,
    field: &str,
    password: Option<&str>,
) -> ApiResult<()> {
    let Some(password) = password else { return Err(ApiError::field(field, "is required")) };
    let subject = Subject::Account(user.id);
    // The slot first: a check refused for being one too many does not use up an attempt.
    let _slot = limits.hash_slot(user.id)?;
    limits.attempt(client, &subject).await?;
    if hasher.verify(password, Some(&user.password_hash)).await?.ok {
        limits.succeeded(client, &subject).await?;
        Ok(())
    } else {
        tracing::warn!(target: "stockroom::auth", "login failed: client={client} login={:?}", user.email);
        Err(ApiError::WrongPassword)
    }
}

/// The password policy, off the async workers (the strength estimator is not free on long
/// input). `related` are the user's email, username and name.
pub async fn check_policy(policy: PasswordPolicy, password: &str, related: &[&str]) -> Result<(), String> {
    let password = password.to_owned();
    let related: Vec<String> = related.iter().filter(|s| !s.is_empty()).map(|s| s.to_string()).collect();
    rocket::tokio::task::spawn_blocking(move || {
        let related: Vec<&str> = related.iter().map(String::as_str).collect();
        policy.check(&password, &related)
    })
    .await
    .unwrap_or_else(|_| Err("could not be checked".into()))
}

/// As `check_policy`, for a new password of an existing account: its email, username and name
/// make a password easier to guess.
pub async fn check_new_password(
    policy: PasswordPolicy,
    password: &str,
    user: &UserRow,
) -> Result<(), String> {
    let related = [user.email.as_str(), user.username.as_deref().unwrap_or(""), user.name.as_str()];
    check_policy(policy, password, &related).await
}

fn work(jobs: Arc<Mutex<Receiver<Job>>>, mut worker: Worker) {
    loop {
        let next = jobs.lock().unwrap_or_else(|p| p.into_inner()).recv();
        match next {
            Ok(job) => job(&mut worker),
            Err(_) => return, // the Hasher is gone
        }
    }
}

impl Worker {
    /// This thread's memory for `params`, grown on first use and then reused.
    fn memory(&mut self, params: &Params) -> &mut [Block] {
        let n = params.block_count();
        if self.blocks.len() < n {
            self.blocks.resize(n, Block::default());
        }
        &mut self.blocks[..n]
    }

    fn hash(&mut self, password: &str) -> ApiResult<String> {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(ApiError::internal)?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        let argon = self.argon.clone();
        argon
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                &mut out,
                self.memory(argon.params()),
            )
            .map_err(ApiError::internal)?;
        let phc = PasswordHash {
            algorithm: argon2::ARGON2ID_IDENT,
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(argon.params()).map_err(ApiError::internal)?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(ApiError::internal)?),
        };
        Ok(phc.to_string())
    }

    /// (matches, made with parameters other than the configured ones). Constant-time comparison.
    fn verify(&mut self, password: &str, stored: &str) -> (bool, bool) {
        let Ok(phc) = PasswordHash::new(stored) else { return (false, false) };
        let (Ok(algorithm), Ok(params), Some(expected), Some(salt)) =
            (Algorithm::try_from(phc.algorithm), Params::try_from(&phc), phc.hash, phc.salt)
        else {
            return (false, false);
        };
        let version = phc.version.map(Version::try_from).unwrap_or(Ok(Version::V0x13));
        let Ok(version) = version else { return (false, false) };
        let mut salt_bytes = [0u8; 64];
        let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else { return (false, false) };
        let argon = Argon2::new(algorithm, version, params.clone());
        let mut out = vec![0u8; expected.len()];
        if argon
            .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, self.memory(&params))
            .is_err()
        {
            return (false, false);
        }
        let ok = Output::new(&out).is_ok_and(|o| o == expected);
        let want = self.argon.params();
        let outdated = algorithm != Algorithm::Argon2id
            || version != Version::V0x13
            || params.m_cost() != want.m_cost()
            || params.t_cost() != want.t_cost()
            || params.p_cost() != want.p_cost();
        (ok, outdated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(m: u32, t: u32) -> Config {
        Config { argon2_memory_kib: m, argon2_iterations: t, ..Default::default() }
    }

    #[rocket::async_test]
    async fn hashes_are_standard_argon2id_phc_strings() {
        use argon2::password_hash::PasswordVerifier;
        let hasher = Hasher::new(&config(64, 1));
        let phc = hasher.hash("correct horse").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        // The reference implementation agrees.
        let parsed = PasswordHash::new(&phc).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse", &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"wrong horse", &parsed).is_err());
        assert_ne!(phc, hasher.hash("correct horse").await.unwrap(), "salted");
    }

    #[rocket::async_test]
    async fn verify_accepts_the_right_password_and_upgrades_old_parameters() {
        let old = Hasher::new(&config(128, 2)).hash("pw-one").await.unwrap();
        let hasher = Hasher::new(&config(64, 1));
        let v = hasher.verify("pw-one", Some(&old)).await.unwrap();
        assert!(v.ok);
        let new = v.rehash.expect("outdated parameters are upgraded");
        assert!(new.contains("m=64,t=1"));
        let v = hasher.verify("pw-one", Some(&new)).await.unwrap();
        assert!(v.ok && v.rehash.is_none());
        assert!(!hasher.verify("pw-two", Some(&new)).await.unwrap().ok);
        assert!(!hasher.verify("pw-one", None).await.unwrap().ok, "no user never verifies");
        assert!(!hasher.verify("pw-one", Some("not a hash")).await.unwrap().ok);
        // Hashes from the reference implementation verify too.
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let reference = Argon2::default().hash_password(b"pw-three", &salt).unwrap().to_string();
        assert!(hasher.verify("pw-three", Some(&reference)).await.unwrap().ok);
    }
}
