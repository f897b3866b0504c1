//! Mail (§9): what is sent and why. Every mail is rendered from a template (`render`) and
//! queued in the outbox (`db::mail`) inside the transaction of the change that causes it, so a
//! mail exists exactly when its cause was committed; `worker` delivers the outbox through the
//! `transport` (SMTP, or the log), retrying with backoff, one worker per mail on any number of
//! instances.
//!
//! Links carry their token in the fragment (`#token=…`), so it reaches neither a server's log
//! nor a `Referer`. A token is 256 random bits, stored only as its SHA-256.

pub mod render;
pub mod transport;
pub mod worker;

use std::sync::RwLock;
use std::time::Duration;

use lettre::message::Mailbox;
use rocket::tokio::sync::Notify;

use crate::auth::secrets;
use crate::config::Config;
use crate::db::mail::{self as outbox, NewMail, Purpose};
use crate::db::users::UserRow;
use crate::db::Tx;

pub const PRODUCT: &str = "Stockroom";

/// At most one verification or reset mail per this long per account.
pub const MAIL_INTERVAL: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    VerifyEmail,
    PasswordReset,
    EmailChanged,
    PasswordChanged,
}

impl Template {
    pub fn name(self) -> &'static str {
        match self {
            Template::VerifyEmail => "verify_email",
            Template::PasswordReset => "password_reset",
            Template::EmailChanged => "email_changed",
            Template::PasswordChanged => "password_changed",
        }
    }
}

/// The mail keys of the configuration, checked with the rest of it at start.
pub fn check_config(config: &Config) -> Result<(), String> {
    transport::check(config)
}

/// A fresh token for a link, and the hash stored for it.
pub fn new_token() -> (String, String) {
    let token = secrets::random_hex();
    let hash = hash_token(&token);
    (token, hash)
}

/// What is stored for a token: its SHA-256, hex.
pub fn hash_token(token: &str) -> String {
    secrets::sha256_hex(token)
}

pub struct Mailer {
    pub from: Mailbox,
    pub transport: transport::Transport,
    public_url: RwLock<String>,
    configured_url: bool,
    verify_ttl: i64,
    reset_ttl: i64,
    /// Wakes the local worker when a mail was queued (others find it by polling).
    wake: Notify,
    domain: String,
}

impl Mailer {
    /// `config` is validated already (`check_config`).
    pub fn new(config: &Config) -> Mailer {
        let from: Mailbox = config.mail_from.parse().expect("`mail_from` is checked with the configuration");
        let domain = from.email.domain().to_owned();
        let configured = config.public_url.as_deref().map(|u| u.trim_end_matches('/').to_owned());
        Mailer {
            transport: transport::Transport::from_config(config).expect("mail keys are checked at start"),
            from,
            configured_url: configured.is_some(),
            public_url: RwLock::new(configured.unwrap_or_else(|| "http://127.0.0.1:8000".into())),
            verify_ttl: config.verify_token_ttl as i64,
            reset_ttl: config.reset_token_ttl as i64,
            wake: Notify::new(),
            domain,
        }
    }

    /// Without `public_url`, links point at the address the server really listens on.
    pub fn listening_on(&self, address: std::net::IpAddr, port: u16) {
        if self.configured_url {
            return;
        }
        let host = match address {
            std::net::IpAddr::V6(a) => format!("[{a}]"),
            a => a.to_string(),
        };
        *self.public_url.write().unwrap_or_else(|p| p.into_inner()) = format!("http://{host}:{port}");
    }

    pub fn public_url(&self) -> String {
        self.public_url.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Tells the local worker a mail is waiting; call after the transaction that queued it.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// A link to verify the user's current address.
    pub async fn verify_email(&self, tx: &mut Tx, user: &UserRow) -> Result<(), sqlx::Error> {
        let link = self.token_link(tx, user, Purpose::VerifyEmail, self.verify_ttl, "verify-email").await?;
        let expires = expires_in(self.verify_ttl);
        self.queue(
            tx,
            user,
            &user.email,
            Template::VerifyEmail,
            &[("link", &link), ("expires", &expires)],
            Some(&link),
        )
        .await
    }

    /// A link to choose a new password; older reset links die.
    pub async fn password_reset(&self, tx: &mut Tx, user: &UserRow) -> Result<(), sqlx::Error> {
        outbox::void_tokens(&mut *tx, user.id, Some(Purpose::PasswordReset)).await?;
        let link =
            self.token_link(tx, user, Purpose::PasswordReset, self.reset_ttl, "reset-password").await?;
        let expires = expires_in(self.reset_ttl);
        self.queue(
            tx,
            user,
            &user.email,
            Template::PasswordReset,
            &[("link", &link), ("expires", &expires)],
            Some(&link),
        )
        .await
    }

    /// A notice to the address the account had before `user.email`.
    pub async fn email_changed(
        &self,
        tx: &mut Tx,
        user: &UserRow,
        old_email: &str,
    ) -> Result<(), sqlx::Error> {
        self.queue(tx, user, old_email, Template::EmailChanged, &[("old_email", old_email)], None).await
    }

    pub async fn password_changed(&self, tx: &mut Tx, user: &UserRow) -> Result<(), sqlx::Error> {
        self.queue(tx, user, &user.email, Template::PasswordChanged, &[], None).await
    }

    async fn token_link(
        &self,
        tx: &mut Tx,
        user: &UserRow,
        purpose: Purpose,
        ttl: i64,
        page: &str,
    ) -> Result<String, sqlx::Error> {
        let (token, hash) = new_token();
        let expires_at = chrono::Utc::now().timestamp() + ttl;
        outbox::insert_token(tx, user.id, purpose, &user.email, &hash, expires_at).await?;
        Ok(format!("{}/{page}#token={token}", self.public_url()))
    }

    async fn queue(
        &self,
        tx: &mut Tx,
        user: &UserRow,
        to: &str,
        template: Template,
        extra: &[(&str, &str)],
        link: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let site = self.public_url();
        let mut values =
            vec![("product", PRODUCT), ("name", user.name.as_str()), ("email", user.email.as_str())];
        values.push(("site", &site));
        values.extend_from_slice(extra);
        let r = render::render(template, &values);
        let message_id = format!("<{}@{}>", hex::encode(rand::random::<[u8; 12]>()), self.domain);
        outbox::queue(
            tx,
            &NewMail {
                user_id: Some(user.id),
                recipient: to,
                template: template.name(),
                subject: &r.subject,
                body_text: &r.text,
                body_html: &r.html,
                link,
                message_id: &message_id,
            },
        )
        .await
        .map(drop)
    }
}

/// Seconds until this user may be sent another `template` mail (0: now).
pub async fn wait_left(tx: &mut Tx, user_id: i64, template: Template) -> Result<u64, sqlx::Error> {
    let Some(last) = outbox::last_queued(tx, user_id, template.name()).await? else { return Ok(0) };
    let Ok(last) = chrono::DateTime::parse_from_rfc3339(&last) else { return Ok(0) };
    let next =
        last.with_timezone(&chrono::Utc) + chrono::Duration::from_std(MAIL_INTERVAL).unwrap_or_default();
    let left = (next - chrono::Utc::now()).num_milliseconds();
    Ok(if left > 0 { (left as u64).div_ceil(1000) } else { 0 })
}

/// "in 30 minutes (by 2026-12-01 10:30 UTC)".
fn expires_in(ttl: i64) -> String {
    let by = (chrono::Utc::now() + chrono::Duration::seconds(ttl)).format("%Y-%m-%d %H:%M UTC");
    let span = match ttl {
        s if s % 86_400 == 0 => plural(s / 86_400, "day"),
        s if s % 3_600 == 0 => plural(s / 3_600, "hour"),
        s if s % 60 == 0 => plural(s / 60, "minute"),
        s => plural(s, "second"),
    };
    format!("in {span} (by {by})")
}

fn plural(n: i64, unit: &str) -> String {
    match (n, unit) {
        (1, "day") => "24 hours".into(),
        (1, unit) => format!("1 {unit}"),
        (n, unit) => format!("{n} {unit}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_stored_as_their_sha256() {
        let (token, hash) = new_token();
        assert_eq!(token.len(), 64);
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(hash, hash_token(&token));
        assert_ne!(hash, token);
        assert_eq!(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn expiry_reads_naturally() {
        assert!(expires_in(86_400).starts_with("in 24 hours (by "));
        assert!(expires_in(1_800).starts_with("in 30 minutes"));
        assert!(expires_in(7_200).starts_with("in 2 hours"));
        assert!(expires_in(90).starts_with("in 90 seconds"));
    }
}
