//! `/api/audit` and `/api/users/me/activity`: reading the audit log (§11). Events are written
//! by the handlers of the changes they record (`db::audit::record`).

use rocket::get;
use rocket::serde::json::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::query::{instant, Page, Paging, Query};
use crate::auth::guards::UsersManage;
use crate::auth::{Perm, SessionUser};
use crate::db::audit::{self, EventRow, Search};
use crate::db::Db;
use crate::domain::audit::{Action, ActionFilter, TargetType};
use crate::domain::ClosedSet;
use crate::error::{ApiResult, ErrorBody};

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![list, activity]
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Actor {
    id: i64,
    /// The username, or the email of an account without one, as it was at the time.
    username: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Target {
    #[serde(rename = "type")]
    kind: TargetType,
    id: i64,
}

/// One event: who (`actor`, null for the system, the command line, or someone not signed in),
/// did what (`action`) to what (`target`), from where (`ip`, `userAgent`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    id: i64,
    at: String,
    actor: Option<Actor>,
    action: Action,
    target: Option<Target>,
    ip: Option<String>,
    user_agent: Option<String>,
    /// Facts of the event; for an update, each changed field as `{field: {before, after}}`.
    /// Never a password, token or secret.
    #[schema(value_type = Object)]
    details: serde_json::Value,
}

impl From<EventRow> for AuditEvent {
    fn from(r: EventRow) -> AuditEvent {
        AuditEvent {
            id: r.id,
            at: r.at,
            actor: r.actor_id.map(|id| Actor { id, username: r.actor_username }),
            action: r.action,
            target: r.target_type.zip(r.target_id).map(|(kind, id)| Target { kind, id }),
            ip: r.ip,
            user_agent: r.user_agent,
            details: serde_json::from_str(&r.details).unwrap_or_default(),
        }
    }
}

async fn page_of(db: &Db, search: Search, paging: Paging) -> ApiResult<Json<Page<AuditEvent>>> {
    let (rows, total) = audit::page(&db.read, &search, paging.limit(), paging.offset()).await?;
    Ok(Json(Page::new(rows.into_iter().map(AuditEvent::from).collect(), paging, total)))
}

/// `action=`: every action, and every group prefix (`auth.`, `user.` …).
pub struct ActionParam;

impl utoipa::PartialSchema for ActionParam {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let mut names: Vec<String> = Action::ALL.iter().map(|a| a.as_str().to_owned()).collect();
        for a in Action::ALL {
            let group = format!("{}.", a.as_str().split('.').next().unwrap_or_default());
            if !names.contains(&group) {
                names.push(group);
            }
        }
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(names))
            .into()
    }
}

impl ToSchema for ActionParam {}

/// The audit log, newest first (users:manage). Filters combine; `from` and `to` are inclusive.
#[utoipa::path(get, path = "/api/audit", tag = "users",
    params(
        ("actorId" = Option<i64>, Query, minimum = 1, description = "Who did it"),
        ("action" = Option<ActionParam>, Query, description = "An action such as `auth.login`, or a group of them: a prefix ending in `.` such as `auth.`"),
        ("targetType" = Option<TargetType>, Query),
        ("targetId" = Option<i64>, Query, minimum = 1),
        ("from" = Option<String>, Query, format = DateTime, description = "RFC 3339; events at or after"),
        ("to" = Option<String>, Query, format = DateTime, description = "RFC 3339; events at or before (to the millisecond)"),
        Paging),
    responses((status = 200, body = Page<AuditEvent>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/audit")]
pub async fn list(_who: Perm<UsersManage>, mut q: Query, db: &Db) -> ApiResult<Json<Page<AuditEvent>>> {
    let paging = q.paging();
    let search = Search {
        actor_id: q.int("actorId", 1),
        action: q.check("action", ActionFilter::parse),
        target_type: q.closed("targetType"),
        target_id: q.int("targetId", 1),
        from: q.check_sent("from", instant),
        to: q.check_sent("to", instant),
        activity_of: None,
    };
    if let (Some(from), Some(to)) = (&search.from, &search.to) {
        if to < from {
            q.problem("to", "must not be before `from`");
        }
    }
    q.finish()?;
    page_of(db, search, paging).await
}

/// The signed-in user's own `auth.*` events, newest first: sign-ins (and failed ones on their
/// account), sign-outs, password and email changes, two-factor sign-in, API tokens.
#[utoipa::path(get, path = "/api/users/me/activity", tag = "users", params(Paging),
    responses((status = 200, body = Page<AuditEvent>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/users/me/activity")]
pub async fn activity(auth: SessionUser, mut q: Query, db: &Db) -> ApiResult<Json<Page<AuditEvent>>> {
    let paging = q.paging();
    q.finish()?;
    page_of(db, Search { activity_of: Some(auth.id()), ..Search::default() }, paging).await
}
