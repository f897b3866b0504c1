//! Rate limits: failed logins per (client, account), requests per client on `/api/auth/*`,
//! and how many password checks one user may have queued. A limit of 0 turns that limiter off.
//!
//! On SQLite the counters live in memory (one process serves the file). On Postgres, where
//! several instances may serve one database, the first two keep their counters in the database
//! (`db::limits`), so three instances don't allow three times the attempts; the hashing slots
//! stay per process, as they guard this instance's own hashing pool.
//!
//! A login attempt is counted *before* its password is verified (`attempt`), so a burst of
//! concurrent guesses can't all slip in while the first ones are still hashing; a success then
//! resets the count (`succeeded`). An identifier that names an account counts as that account,
//! whichever of its username or email was typed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::db::{self, Pool};
use crate::error::ApiError;

const MAX_TRACKED: usize = 50_000;
/// Characters of an unknown login identifier that name its counter in the database.
const MAX_KEYED_LOGIN: usize = 320;
const AUTH_WINDOW: Duration = Duration::from_secs(60);
/// Password checks one user may have running or queued at once (confirmations of the current
/// password); more are refused rather than queued, so one account can't fill the hashing pool.
const HASHES_PER_USER: u32 = 2;

/// Whose failures an attempt counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    Account(i64),
    /// An identifier that names no account, in its normalised (trimmed, lowercased) form.
    Unknown(String),
}

impl Subject {
    pub fn of(account: Option<i64>, login: &str) -> Subject {
        match account {
            Some(id) => Subject::Account(id),
            None => Subject::Unknown(login.trim().to_lowercase()),
        }
    }

    fn key(&self, ip: IpAddr) -> String {
        match self {
            Subject::Account(id) => format!("login:{ip}:account:{id}"),
            // Bounded, so a huge identifier can't make an oversized key (no account's is longer).
            Subject::Unknown(login) => {
                format!("login:{ip}:unknown:{}", login.chars().take(MAX_KEYED_LOGIN).collect::<String>())
            }
        }
    }
}

pub struct Limits {
    max_failures: u32,
    window: Duration,
    auth_per_minute: u32,
    failures: Mutex<HashMap<(IpAddr, Subject), Window>>,
    auth: Mutex<HashMap<IpAddr, Window>>,
    hashing: Mutex<HashMap<i64, u32>>,
    /// Set on Postgres: where the login and burst counters live instead of the maps above.
    shared: OnceLock<Pool>,
}

#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    count: u32,
}

impl Window {
    fn retry_after(&self, len: Duration, now: Instant) -> ApiError {
        let left = (self.start + len).saturating_duration_since(now);
        ApiError::RateLimited(left.as_secs_f64().ceil().max(1.0) as u64)
    }
}

fn prune<K: Eq + std::hash::Hash>(map: &mut HashMap<K, Window>, len: Duration, now: Instant) {
    if map.len() >= MAX_TRACKED {
        map.retain(|_, w| now.duration_since(w.start) < len);
    }
}

/// Counts one use in `key`'s current window, unless `max` are used already (then 429).
fn take<K: Eq + std::hash::Hash>(
    map: &Mutex<HashMap<K, Window>>,
    key: K,
    max: u32,
    len: Duration,
) -> Result<(), ApiError> {
    let now = Instant::now();
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    prune(&mut map, len, now);
    let w = map.entry(key).or_insert(Window { start: now, count: 0 });
    if now.duration_since(w.start) >= len {
        *w = Window { start: now, count: 0 };
    }
    if w.count >= max {
        return Err(w.retry_after(len, now));
    }
    w.count += 1;
    Ok(())
}

/// As `take`, on the database's counter for `key`.
async fn take_shared(db: &Pool, key: &str, max: u32, len: Duration) -> Result<(), ApiError> {
    let window_ms = len.as_millis() as i64;
    let (count, left_ms) =
        db::limits::take(db, key, window_ms, chrono::Utc::now().timestamp_millis()).await?;
    if count > i64::from(max) {
        return Err(ApiError::RateLimited((left_ms.max(1) as u64).div_ceil(1000)));
    }
    Ok(())
}

/// How long a shared counter is kept: longer than any window.
pub fn shared_counters_expire_after(config: &Config) -> Duration {
    Duration::from_secs(config.login_window).max(AUTH_WINDOW)
}

/// A password check `Limits::hash_slot` let one user start; the slot frees when dropped.
pub struct HashSlot<'a> {
    limits: &'a Limits,
    user_id: i64,
}

impl Drop for HashSlot<'_> {
    fn drop(&mut self) {
        let mut map = self.limits.hashing.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.user_id) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.user_id);
            }
        }
    }
}

impl Limits {
    pub fn new(config: &Config) -> Limits {
        Limits {
            max_failures: config.login_max_failures,
            window: Duration::from_secs(config.login_window),
            auth_per_minute: config.auth_rate_limit,
            failures: Mutex::default(),
            auth: Mutex::default(),
            hashing: Mutex::default(),
            shared: OnceLock::new(),
        }
    }

    /// Keeps the login and burst counters in this (Postgres) database from now on.
    pub fn share_through(&self, db: Pool) {
        let _ = self.shared.set(db);
    }

    /// Counts an attempt for (client, subject) before it is verified; 429 once the pair has
    /// used up its failures in the current window (even if this attempt would be right).
    pub async fn attempt(&self, ip: IpAddr, subject: &Subject) -> Result<(), ApiError> {
        if self.max_failures == 0 {
            return Ok(());
        }
        match self.shared.get() {
            Some(db) => take_shared(db, &subject.key(ip), self.max_failures, self.window).await,
            None => take(&self.failures, (ip, subject.clone()), self.max_failures, self.window),
        }
    }

    /// A verified attempt: the pair's count starts again.
    pub async fn succeeded(&self, ip: IpAddr, subject: &Subject) -> Result<(), ApiError> {
        match self.shared.get() {
            Some(db) => Ok(db::limits::clear(db, &subject.key(ip)).await?),
            None => {
                self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(&(ip, subject.clone()));
                Ok(())
            }
        }
    }

    /// Counts one request on `/api/auth/*` for this client.
    pub async fn hit_auth(&self, ip: IpAddr) -> Result<(), ApiError> {
        if self.auth_per_minute == 0 {
            return Ok(());
        }
        match self.shared.get() {
            Some(db) => take_shared(db, &format!("auth:{ip}"), self.auth_per_minute, AUTH_WINDOW).await,
            None => take(&self.auth, ip, self.auth_per_minute, AUTH_WINDOW),
        }
    }

    /// Room for one more password check of this user's, or 429 while `HASHES_PER_USER` run.
    pub fn hash_slot(&self, user_id: i64) -> Result<HashSlot<'_>, ApiError> {
        let mut map = self.hashing.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(user_id).or_insert(0);
        if *n >= HASHES_PER_USER {
            return Err(ApiError::RateLimited(1));
        }
        *n += 1;
        Ok(HashSlot { limits: self, user_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_failures: u32) -> Limits {
        Limits::new(&Config { login_max_failures: max_failures, login_window: 900, ..Default::default() })
    }

    #[rocket::async_test]
    async fn attempts_are_counted_before_verification_and_reset_by_a_success() {
        let l = limits(3);
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let ann = Subject::Account(7);
        for _ in 0..3 {
            l.attempt(ip, &ann).await.unwrap();
        }
        assert!(matches!(l.attempt(ip, &ann).await, Err(ApiError::RateLimited(s)) if (1..=900).contains(&s)));
        assert!(l.attempt("203.0.113.10".parse().unwrap(), &ann).await.is_ok(), "per client");
        assert!(l.attempt(ip, &Subject::of(None, " Bob ")).await.is_ok(), "per subject");
        l.succeeded(ip, &ann).await.unwrap();
        assert!(l.attempt(ip, &ann).await.is_ok());
        assert_eq!(Subject::of(None, " ÄNNE@x.io "), Subject::Unknown("änne@x.io".into()));
        let off = limits(0);
        for _ in 0..100 {
            off.attempt(ip, &ann).await.unwrap();
        }
    }

    #[test]
    fn hash_slots_are_bounded_per_user_and_freed_on_drop() {
        let l = limits(5);
        let a = l.hash_slot(1).unwrap();
        let b = l.hash_slot(1).unwrap();
        assert!(matches!(l.hash_slot(1), Err(ApiError::RateLimited(1))));
        assert!(l.hash_slot(2).is_ok(), "per user");
        drop(a);
        let _c = l.hash_slot(1).unwrap();
        drop(b);
        assert_eq!(l.hashing.lock().unwrap().get(&1), Some(&1));
    }
}
