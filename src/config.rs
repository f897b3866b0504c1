//! Typed configuration: `Rocket.toml` `[default]` → `STOCKROOM_*` environment → CLI flags.
//! Extracted and validated once, then managed as Rocket state.

use std::net::IpAddr;
use std::path::PathBuf;

use rocket::figment::providers::{Env, Format, Serialized, Toml};
use rocket::figment::{Figment, Profile};
use serde::{Deserialize, Deserializer};

/// Every key has a safe default; `README.md` lists them all.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    /// A SQLite file path, or a `postgres://` / `postgresql://` URL (see `db::Target`).
    pub database: PathBuf,
    /// The size of the Postgres pool (SQLite uses one writer and four readers).
    pub db_max_connections: u32,
    pub jwt_secret: Option<String>,
    pub token_ttl: u64,
    pub cookie_secure: CookieSecure,
    pub min_password_length: usize,
    pub min_password_score: u8,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub login_max_failures: u32,
    pub login_window: u64,
    pub auth_rate_limit: u32,
    #[serde(deserialize_with = "ip_list")]
    pub trusted_proxies: Vec<IpAddr>,
    pub body_limit: u64,
    pub currency: String,
    /// The address people open, used in mailed links; default `http://ADDRESS:PORT`.
    pub public_url: Option<String>,
    /// `smtp://` (STARTTLS required), `smtps://` (implicit TLS) or `smtp+plain://` (a local relay
    /// only); none writes each mail to the log instead.
    pub smtp_url: Option<String>,
    /// A PEM certificate to trust besides the system's roots (a private relay's).
    pub smtp_ca_file: Option<PathBuf>,
    pub mail_from: String,
    pub require_verified_email: bool,
    pub verify_token_ttl: u64,
    pub reset_token_ttl: u64,
    /// How long the second step of a two-factor sign-in may wait for its code.
    pub mfa_token_ttl: u64,
    /// Lets a scraper from elsewhere than loopback read `/metrics` with `Authorization: Bearer`.
    pub metrics_token: Option<String>,
    /// Days the audit log keeps an event; 0 keeps every event.
    pub audit_retention_days: u64,
    /// Where scheduled backups go (SQLite); required when `backup_interval` is set.
    pub backup_dir: Option<PathBuf>,
    /// Seconds between scheduled backups; 0 (the default) turns them off.
    pub backup_interval: u64,
    /// How many scheduled backups to keep.
    pub backup_keep: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: PathBuf::from("stockroom.db"),
            db_max_connections: 10,
            jwt_secret: None,
            token_ttl: 604_800,
            cookie_secure: CookieSecure::Auto,
            min_password_length: 8,
            min_password_score: 2,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            login_max_failures: 5,
            login_window: 900,
            auth_rate_limit: 30,
            trusted_proxies: Vec::new(),
            body_limit: 65_536,
            currency: "USD".into(),
            public_url: None,
            smtp_url: None,
            smtp_ca_file: None,
            mail_from: "Stockroom <stockroom@localhost>".into(),
            require_verified_email: false,
            verify_token_ttl: 86_400,
            reset_token_ttl: 1_800,
            mfa_token_ttl: 300,
            metrics_token: None,
            audit_retention_days: 365,
            backup_dir: None,
            backup_interval: 0,
            backup_keep: 7,
        }
    }
}

/// `auto` marks the cookie `Secure` when the request reached us over HTTPS
/// (as told by a trusted proxy's `X-Forwarded-Proto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieSecure {
    Auto,
    Always,
    Never,
}

impl<'de> Deserialize<'de> for CookieSecure {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Bool(true) => Ok(CookieSecure::Always),
            Raw::Bool(false) => Ok(CookieSecure::Never),
            Raw::Text(s) => match s.to_ascii_lowercase().as_str() {
                "auto" => Ok(CookieSecure::Auto),
                "true" => Ok(CookieSecure::Always),
                "false" => Ok(CookieSecure::Never),
                other => Err(serde::de::Error::custom(format!(
                    "expected `auto`, `true` or `false`, found `{other}`"
                ))),
            },
        }
    }
}

/// Accepts a TOML/env array (`[10.0.0.1, "::1"]`) or a comma-separated string.
fn ip_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpAddr>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Text(String),
    }
    let items = match Raw::deserialize(d)? {
        Raw::List(v) => v,
        Raw::Text(s) => s.split(',').map(str::to_owned).collect(),
    };
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| serde::de::Error::custom(format!("`{s}` is not an IP address"))))
        .collect()
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

/// One line per problem, each naming its key as the README spells it and where the value came from.
impl From<rocket::figment::Error> for ConfigError {
    fn from(e: rocket::figment::Error) -> Self {
        let lines: Vec<String> = e
            .into_iter()
            .map(|e| {
                let key = e.path.join(".").to_lowercase();
                let from = e.metadata.as_ref().map(|m| format!(" (from {})", m.name)).unwrap_or_default();
                format!("`{key}`: {}{from}", e.kind)
            })
            .collect();
        ConfigError(lines.join("; "))
    }
}

/// Values given on the command line; they override everything else.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

/// Rocket's figment (Rocket.toml + `ROCKET_*`) with `STOCKROOM_*` and the CLI layered on top.
/// Rocket's own layering (defaults → `Rocket.toml` → `ROCKET_*`), with our defaults for
/// Rocket's settings in between, then `STOCKROOM_*`, then command-line flags.
pub fn figment(overrides: &Overrides) -> Figment {
    Figment::from(rocket::Config::default())
        // In-flight requests get this long after SIGTERM (Rocket's default of 2 s is less than
        // a queued password hash can take under load); `shutdown.grace` etc. still override it.
        .merge(("shutdown.grace", SHUTDOWN_GRACE_SECS))
        .merge(("shutdown.mercy", SHUTDOWN_MERCY_SECS))
        .merge(Toml::file(Env::var_or("ROCKET_CONFIG", "Rocket.toml")).nested())
        .merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global())
        .select(Profile::from_env_or("ROCKET_PROFILE", rocket::Config::DEFAULT_PROFILE))
        .merge(Env::prefixed("STOCKROOM_").global())
        .merge(Serialized::globals(overrides))
}

pub const SHUTDOWN_GRACE_SECS: u32 = 10;
pub const SHUTDOWN_MERCY_SECS: u32 = 5;

impl Config {
    pub fn from_figment(figment: &Figment) -> Result<Config, ConfigError> {
        let config: Config = figment.extract()?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: &str| Err(ConfigError(format!("`{key}` {why}")));
        if let Some(secret) = &self.jwt_secret {
            if secret.len() < 32 {
                return bad("jwt_secret", "must be at least 32 bytes long");
            }
        }
        if self.db_max_connections == 0 {
            return bad("db_max_connections", "must be at least 1");
        }
        if self.token_ttl == 0 {
            return bad("token_ttl", "must be at least 1 second");
        }
        if !(1..=128).contains(&self.min_password_length) {
            return bad("min_password_length", "must be between 1 and 128");
        }
        if self.min_password_score > 4 {
            return bad("min_password_score", "must be between 0 and 4");
        }
        if let Err(e) =
            argon2::Params::new(self.argon2_memory_kib, self.argon2_iterations, self.argon2_parallelism, None)
        {
            return bad(
                "argon2_memory_kib/argon2_iterations/argon2_parallelism",
                &format!("are not valid argon2 parameters: {e}"),
            );
        }
        if self.login_window == 0 && self.login_max_failures > 0 {
            return bad("login_window", "must be at least 1 second");
        }
        if self.body_limit < 64 {
            return bad("body_limit", "must be at least 64 bytes");
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return bad("currency", "must be a three-letter ISO 4217 code such as USD");
        }
        if self.verify_token_ttl == 0 || self.reset_token_ttl == 0 || self.mfa_token_ttl == 0 {
            return bad("verify_token_ttl/reset_token_ttl/mfa_token_ttl", "must be at least 1 second");
        }
        if let Some(url) = &self.public_url {
            match url::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => return bad("public_url", "must be an http(s) URL such as https://shop.example.com"),
            }
        }
        if self.metrics_token.as_ref().is_some_and(|t| t.trim().len() < 16) {
            return bad("metrics_token", "must be at least 16 characters long");
        }
        if self.backup_interval > 0 {
            if self.backup_dir.is_none() {
                return bad("backup_dir", "is required when `backup_interval` is set");
            }
            if crate::db::Target::of(&self.database).kind() == crate::db::Kind::Postgres {
                return bad(
                    "backup_interval",
                    "schedules SQLite backups; a PostgreSQL database is backed up with pg_dump or the provider's snapshots",
                );
            }
            if self.backup_keep == 0 {
                return bad("backup_keep", "must be at least 1");
            }
        }
        crate::mail::check_config(self).map_err(ConfigError)?;
        Ok(())
    }
}
