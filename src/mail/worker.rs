//! Delivers the outbox. Each instance runs one worker; a mail is claimed by one worker at a
//! time (`db::mail::claim`), tried, and its outcome recorded. A worker that dies mid-attempt
//! leaves the mail queued: it is tried again once its lease has passed.
//!
//! "Delivered once" has one gap no SMTP client can close: a crash after the server accepted a
//! mail and before the outcome is written sends it again after the lease. The window is the
//! time of one UPDATE; the mail keeps its `Message-ID`, so a receiving system can drop the copy.

use std::sync::Arc;

use crate::metrics::Metrics;
use std::time::Duration;

use super::transport::Outcome;
use super::Mailer;
use crate::db::{self, InFlight, Pool};

/// How long a claimed mail is left to its worker. An attempt is cut off at `ATTEMPT_LIMIT`,
/// well before.
const LEASE: Duration = Duration::from_secs(300);
const ATTEMPT_LIMIT: Duration = Duration::from_secs(120);
/// How often the outbox is looked at when nothing woke the worker (mail queued by another
/// instance, retries coming due).
const POLL: Duration = Duration::from_secs(1);

/// Waits after each failed attempt: the first retry within 30 s, seven attempts over about
/// three hours; then the mail has failed for good.
const BACKOFF_SECS: [u64; 6] = [15, 60, 300, 900, 2_700, 7_200];
pub const MAX_ATTEMPTS: i64 = BACKOFF_SECS.len() as i64 + 1;

/// When to try again after `attempts` failed attempts, or `None` when that was the last.
pub fn retry_after(attempts: i64) -> Option<Duration> {
    let i = usize::try_from(attempts).ok()?.checked_sub(1)?;
    BACKOFF_SECS.get(i).map(|s| Duration::from_secs(*s))
}

pub async fn run(db: Pool, in_flight: Arc<InFlight>, mailer: Arc<Mailer>, metrics: Arc<Metrics>) {
    loop {
        if db.is_closed() {
            return;
        }
        let now = chrono::Utc::now().timestamp_millis();
        // Counted as a request in flight, so a shutdown lets the attempt finish and record.
        let serving = in_flight.enter();
        match db::mail::claim(&db, now, now + LEASE.as_millis() as i64).await {
            Ok(Some(mail)) => {
                let outcome =
                    rocket::tokio::time::timeout(ATTEMPT_LIMIT, mailer.transport.send(&mailer.from, &mail))
                        .await
                        .unwrap_or_else(|_| Outcome::Retry("the attempt timed out".into()));
                if !matches!(outcome, Outcome::Sent) {
                    metrics.mail_attempt_failed();
                }
                record(&db, &mail, outcome).await;
                drop(serving);
            }
            Ok(None) => {
                drop(serving);
                let _ = rocket::tokio::time::timeout(POLL, mailer.wake.notified()).await;
            }
            Err(e) => {
                drop(serving);
                if !db.is_closed() {
                    tracing::warn!("reading the mail outbox failed: {e}");
                }
                rocket::tokio::time::sleep(POLL).await;
            }
        }
    }
}

async fn record(db: &Pool, mail: &db::mail::OutboxRow, outcome: Outcome) {
    let (id, attempts) = (mail.id, mail.attempts);
    // Retried briefly: an outcome that is not written means the mail is tried again later.
    for _ in 0..5 {
        let written = match &outcome {
            Outcome::Sent => db::mail::mark_sent(db, id).await,
            Outcome::Retry(e) => match retry_after(attempts) {
                Some(wait) => {
                    let next = chrono::Utc::now().timestamp_millis() + wait.as_millis() as i64;
                    db::mail::mark_retry(db, id, next, e).await
                }
                None => db::mail::mark_failed(db, id, e).await,
            },
            Outcome::Fail(e) => db::mail::mark_failed(db, id, e).await,
        };
        match written {
            Ok(()) => {
                match &outcome {
                    Outcome::Sent => {
                        tracing::info!(target: "stockroom::mail", id, template = %mail.template, "mail sent")
                    }
                    Outcome::Retry(e) => {
                        tracing::warn!(target: "stockroom::mail", id, attempts, "mail not sent yet: {e}")
                    }
                    Outcome::Fail(e) => {
                        tracing::warn!(target: "stockroom::mail", id, attempts, "mail failed for good: {e}")
                    }
                }
                return;
            }
            Err(e) => {
                tracing::warn!("recording the outcome of mail {id} failed: {e}");
                rocket::tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_at_least_five_attempts_over_an_hour_with_a_quick_first_retry() {
        assert!(retry_after(1).unwrap() <= Duration::from_secs(30));
        const { assert!(MAX_ATTEMPTS >= 5) };
        let span: Duration = (1..MAX_ATTEMPTS).map(|a| retry_after(a).unwrap()).sum();
        assert!(span >= Duration::from_secs(3600), "{span:?}");
        assert_eq!(retry_after(MAX_ATTEMPTS), None);
        assert_eq!(retry_after(0), None);
    }
}
