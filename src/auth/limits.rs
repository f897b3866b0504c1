//! In-memory rate limits: failed logins per (client, identifier), and requests per client on
//! `/api/auth/*`. A limit of 0 turns that limiter off.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::error::ApiError;

const MAX_TRACKED: usize = 50_000;
const AUTH_WINDOW: Duration = Duration::from_secs(60);

pub struct Limits {
    max_failures: u32,
    window: Duration,
    auth_per_minute: u32,
    failures: Mutex<HashMap<(IpAddr, String), Window>>,
    auth: Mutex<HashMap<IpAddr, Window>>,
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

impl Limits {
    pub fn new(config: &Config) -> Limits {
        Limits {
            max_failures: config.login_max_failures,
            window: Duration::from_secs(config.login_window),
            auth_per_minute: config.auth_rate_limit,
            failures: Mutex::default(),
            auth: Mutex::default(),
        }
    }

    fn key(ip: IpAddr, login: &str) -> (IpAddr, String) {
        (ip, login.trim().to_lowercase())
    }

    /// Refuses the attempt once the pair has used up its failures in the current window.
    pub fn check_login(&self, ip: IpAddr, login: &str) -> Result<(), ApiError> {
        if self.max_failures == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(&Self::key(ip, login)) {
            Some(w) if now.duration_since(w.start) < self.window && w.count >= self.max_failures => {
                Err(w.retry_after(self.window, now))
            }
            _ => Ok(()),
        }
    }

    pub fn login_failed(&self, ip: IpAddr, login: &str) {
        if self.max_failures == 0 {
            return;
        }
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        prune(&mut map, self.window, now);
        let w = map.entry(Self::key(ip, login)).or_insert(Window { start: now, count: 0 });
        if now.duration_since(w.start) >= self.window {
            *w = Window { start: now, count: 0 };
        }
        w.count += 1;
    }

    pub fn login_succeeded(&self, ip: IpAddr, login: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(&Self::key(ip, login));
    }

    /// Counts one request on `/api/auth/*` for this client.
    pub fn hit_auth(&self, ip: IpAddr) -> Result<(), ApiError> {
        if self.auth_per_minute == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut map = self.auth.lock().unwrap_or_else(|p| p.into_inner());
        prune(&mut map, AUTH_WINDOW, now);
        let w = map.entry(ip).or_insert(Window { start: now, count: 0 });
        if now.duration_since(w.start) >= AUTH_WINDOW {
            *w = Window { start: now, count: 0 };
        }
        if w.count >= self.auth_per_minute {
            return Err(w.retry_after(AUTH_WINDOW, now));
        }
        w.count += 1;
        Ok(())
    }
}
