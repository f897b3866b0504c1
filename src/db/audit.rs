//! Queries on `audit_log` (§11). `record` takes the caller's transaction, so an event commits
//! with the change it records, or not at all.

use super::engine::Ex;
use super::query::{page_of, prefix_pattern, timestamp, Filter, Listing};
use super::users::UserRow;
use crate::domain::audit::{Action, ActionFilter, Details, TargetType};
use crate::domain::ClosedSet;

/// One event, as a handler builds it: `Client::event(action)` fills in where it came from.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: Action,
    pub actor: Option<(i64, String)>,
    pub target: Option<(TargetType, i64)>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: Details,
}

impl Event {
    /// An event with no origin (the command line, background work).
    pub fn new(action: Action) -> Event {
        Event { action, actor: None, target: None, ip: None, user_agent: None, details: Details::new() }
    }

    pub fn from(mut self, ip: String, user_agent: Option<String>) -> Event {
        self.ip = Some(ip);
        self.user_agent = user_agent;
        self
    }

    /// Done by `user`, named as they were then.
    pub fn by(mut self, user: &UserRow) -> Event {
        self.actor = Some((user.id, user.username.clone().unwrap_or_else(|| user.email.clone())));
        self
    }

    pub fn on(mut self, target: TargetType, id: i64) -> Event {
        self.target = Some((target, id));
        self
    }

    pub fn details(mut self, details: Details) -> Event {
        self.details = details;
        self
    }
}

pub async fn record(db: impl Into<Ex<'_>>, e: Event) -> Result<(), sqlx::Error> {
    let details = e.details.into_value().to_string();
    let (actor_id, actor_username) = e.actor.unzip();
    let (target_type, target_id) = e.target.unzip();
    super::engine::with_conn!(db, |c| {
        sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor_username, action, target_type, target_id, ip, user_agent, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(timestamp())
    .bind(actor_id)
    .bind(actor_username.as_deref())
    .bind(e.action)
    .bind(target_type)
    .bind(target_id)
    .bind(e.ip.as_deref())
    .bind(e.user_agent.as_deref())
    .bind(&details)
    .execute(c)
    .await
    .map(drop)
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<i64>,
    pub actor_username: Option<String>,
    pub action: Action,
    pub target_type: Option<TargetType>,
    pub target_id: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// A JSON object.
    pub details: String,
}

/// What `GET /api/audit` filters by; `from` and `to` are timestamps as stored, inclusive.
#[derive(Debug, Default)]
pub struct Search {
    pub actor_id: Option<i64>,
    pub action: Option<ActionFilter>,
    pub target_type: Option<TargetType>,
    pub target_id: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The activity of one user: `auth.*` events they did or that were about them.
    pub activity_of: Option<i64>,
}

const LISTING: Listing = Listing {
    columns: "id, at, actor_id, actor_username, action, target_type, target_id, ip, user_agent, details",
    from: "audit_log",
    order_by: "at DESC, id DESC",
};

/// A page of events, newest first, and how many match.
pub async fn page(
    db: impl Into<Ex<'_>>,
    s: &Search,
    limit: i64,
    offset: i64,
) -> Result<(Vec<EventRow>, i64), sqlx::Error> {
    let mut f = Filter::default();
    f.when("actor_id = ?", s.actor_id)
        .when("target_type = ?", s.target_type.map(ClosedSet::as_str))
        .when("target_id = ?", s.target_id)
        .when("at >= ?", s.from.clone())
        .when("at <= ?", s.to.clone());
    match &s.action {
        Some(ActionFilter::Exactly(a)) => f.when("action = ?", Some(a.as_str())),
        Some(ActionFilter::Prefix(p)) => f.when("action LIKE ? ESCAPE '\\'", Some(prefix_pattern(p))),
        None => &mut f,
    };
    if let Some(user) = s.activity_of {
        f.and("action LIKE 'auth.%'")
            .when("(actor_id = ? OR (target_type = 'user' AND target_id = ?))", Some(user));
    }
    page_of(db, &LISTING, f, limit, offset).await
}

/// Deletes events older than `before` (a stored timestamp); one instance at a time.
pub async fn purge_older_than(db: &super::Pool, before: String) -> Result<u64, sqlx::Error> {
    super::purge_round(db, super::Job::AuditPurge, "DELETE FROM audit_log WHERE at < $1", before).await
}
