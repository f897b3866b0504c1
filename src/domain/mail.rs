//! Where a mail in the outbox stands.

use super::closed_set::closed_set;

closed_set! {
    /// `queued` (waiting, or being retried), `sent`, or `failed` for good.
    pub enum MailStatus {
        Queued = "queued",
        Sent = "sent",
        Failed = "failed",
    }
}
