//! How a mail leaves: over SMTP (lettre, TLS through rustls) or, without `smtp_url`, as one line
//! in the log, so that someone running Stockroom on a laptop can still verify and reset.

use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Config;
use crate::db::mail::OutboxRow;

/// Longest one SMTP command may take; an attempt is bounded well inside the claim's lease.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

pub enum Transport {
    Log,
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// How one attempt ended.
#[derive(Debug)]
pub enum Outcome {
    Sent,
    /// Worth trying again later: the server is down, or answered 4xx.
    Retry(String),
    /// Never going to work: a 5xx answer, or an address no server accepts.
    Fail(String),
}

/// `smtp_url` as we read it: scheme, host, port, credentials.
struct SmtpUrl {
    tls: Mode,
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
}

#[derive(Clone, Copy)]
enum Mode {
    StartTls,
    Implicit,
    Plain,
}

fn parse(url: &str) -> Result<SmtpUrl, String> {
    let u = url::Url::parse(url).map_err(|e| format!("`smtp_url` is not a URL: {e}"))?;
    let (tls, default_port) = match u.scheme() {
        "smtp" => (Mode::StartTls, 587),
        "smtps" => (Mode::Implicit, 465),
        "smtp+plain" => (Mode::Plain, 25),
        other => {
            return Err(format!(
                "`smtp_url` must start with smtp:// (STARTTLS), smtps:// (implicit TLS) or smtp+plain:// \
                 (an unencrypted local relay), not {other}://"
            ))
        }
    };
    let host = u.host_str().filter(|h| !h.is_empty()).ok_or("`smtp_url` names no host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let credentials = (!u.username().is_empty())
        .then(|| (percent_decode(u.username()), percent_decode(u.password().unwrap_or_default())));
    Ok(SmtpUrl { tls, host, port: u.port().unwrap_or(default_port), credentials })
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// The configuration's mail keys, checked at start (a bad value refuses to start).
pub fn check(config: &Config) -> Result<(), String> {
    config
        .mail_from
        .parse::<Mailbox>()
        .map_err(|e| format!("`mail_from` is not a mail address such as `Shop <shop@example.com>`: {e}"))?;
    if let Some(url) = &config.smtp_url {
        parse(url)?;
    }
    if config.smtp_ca_file.is_some() {
        ca_certificate(config)?;
    }
    Ok(())
}

fn ca_certificate(config: &Config) -> Result<Option<Certificate>, String> {
    let Some(path) = &config.smtp_ca_file else { return Ok(None) };
    let pem = std::fs::read(path).map_err(|e| format!("`smtp_ca_file` {}: {e}", path.display()))?;
    Certificate::from_pem(&pem)
        .map(Some)
        .map_err(|e| format!("`smtp_ca_file` {} is not a PEM certificate: {e}", path.display()))
}

impl Transport {
    pub fn from_config(config: &Config) -> Result<Transport, String> {
        let Some(url) = &config.smtp_url else { return Ok(Transport::Log) };
        let u = parse(url)?;
        let tls = || -> Result<TlsParameters, String> {
            let mut b = TlsParameters::builder(u.host.clone());
            if let Some(cert) = ca_certificate(config)? {
                b = b.add_root_certificate(cert);
            }
            b.build_rustls().map_err(|e| format!("TLS for `smtp_url`: {e}"))
        };
        let tls = match u.tls {
            Mode::StartTls => Tls::Required(tls()?),
            Mode::Implicit => Tls::Wrapper(tls()?),
            Mode::Plain => Tls::None,
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(u.host.clone())
            .port(u.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some((user, pass)) = u.credentials {
            b = b.credentials(Credentials::new(user, pass));
        }
        Ok(Transport::Smtp(b.build()))
    }

    pub async fn send(&self, from: &Mailbox, mail: &OutboxRow) -> Outcome {
        let (Some(text), Some(html)) = (&mail.body_text, &mail.body_html) else {
            return Outcome::Fail("the mail has no body".into());
        };
        match self {
            Transport::Log => {
                // The one place a link is logged: there is no other way for it to reach anyone.
                tracing::info!(
                    target: "stockroom::mail",
                    "mail to={} subject={:?} link={}",
                    mail.recipient,
                    mail.subject,
                    mail.link.as_deref().unwrap_or("-")
                );
                Outcome::Sent
            }
            Transport::Smtp(smtp) => {
                let to = match mail.recipient.parse::<Mailbox>() {
                    Ok(to) => to,
                    Err(e) => return Outcome::Fail(format!("the address is not deliverable: {e}")),
                };
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(mail.subject.clone())
                    .message_id(Some(mail.message_id.clone()))
                    .raw_header(HeaderValue::new(
                        HeaderName::new_from_ascii_str("Auto-Submitted"),
                        "auto-generated".into(),
                    ))
                    .multipart(MultiPart::alternative_plain_html(text.clone(), html.clone()));
                let message = match message {
                    Ok(m) => m,
                    Err(e) => return Outcome::Fail(format!("the mail could not be built: {e}")),
                };
                match smtp.send(message).await {
                    Ok(_) => Outcome::Sent,
                    Err(e) if e.is_permanent() => Outcome::Fail(e.to_string()),
                    Err(e) => Outcome::Retry(e.to_string()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls() {
        let u = parse("smtp://me%40x.org:p%3Ass@mail.example.com").unwrap();
        assert!(matches!(u.tls, Mode::StartTls));
        assert_eq!((u.host.as_str(), u.port), ("mail.example.com", 587));
        assert_eq!(u.credentials, Some(("me@x.org".into(), "p:ss".into())));
        assert_eq!(parse("smtps://mail.example.com").unwrap().port, 465);
        let plain = parse("smtp+plain://127.0.0.1:2525").unwrap();
        assert!(matches!(plain.tls, Mode::Plain) && plain.port == 2525 && plain.credentials.is_none());
        assert!(parse("http://mail.example.com").is_err());
        assert!(parse("smtp://").is_err());
    }
}
