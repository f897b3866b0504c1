//! `/api/users*` and `/api/user/profile`: the signed-in user's account, and user management.

use rocket::http::{CookieJar, Status};
use rocket::serde::json::Json;
use rocket::{delete, get, patch, put, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::Body;
use super::patch::present;
use super::query::{Page, Paging, Query};
use super::schema;
use super::views::{Message, User};
use crate::auth::cookie;
use crate::auth::guards::UsersManage;
use crate::auth::password::{check_new_password, confirm};
use crate::auth::{Admin, AnyEmail, AuthUser, Client, Perm, Scoped, SessionUser, SignedIn};
use crate::db::{audit, mail::Purpose, sessions, users, users::UserRow, Db, Tx};
use crate::domain::audit::{Action, Details, TargetType};
use crate::domain::{ClosedSet, DisplayName, Email, Fields, Permission, Role, Username};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::App;

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        me,
        profile,
        update_me,
        change_password,
        delete_me,
        list,
        get_user,
        update_user,
        delete_user,
        reset_2fa
    ]
}

/// The shape of the original design's profile endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileResponse {
    message: &'static str,
    user: ProfileUser,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileUser {
    user_id: i64,
    email: String,
    name: String,
    username: Option<String>,
}

/// Absent leaves a field unchanged; `"username": null` removes the username.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserPatch {
    #[schema(schema_with = schema::display_name)]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schema::username_or_blank)]
    username: Option<Option<String>>,
    #[schema(schema_with = schema::email_or_null)]
    email: Option<String>,
    /// Required when a user changes their own email.
    current_password: Option<String>,
    /// users:manage only; only an admin may change a role.
    #[schema(value_type = Option<Role>)]
    role: Option<String>,
    /// users:manage only.
    #[schema(value_type = Option<Vec<Permission>>)]
    permissions: Option<Vec<String>>,
    /// users:manage only; deactivating revokes every session of the user.
    is_active: Option<bool>,
    /// users:manage only. Changing the email clears it (unless this sets it in the same patch)
    /// and mails a verification link to the new address.
    email_verified: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordChange {
    #[schema(value_type = String, required = true)]
    current_password: Option<String>,
    /// `min_password_length` (default 8) to 128 characters, and not too easy to guess
    /// (`min_password_score`).
    #[schema(value_type = String, required = true, min_length = 8, max_length = 128)]
    new_password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordConfirmation {
    /// The account's current password.
    #[schema(value_type = String, required = true)]
    password: Option<String>,
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/users/me", tag = "users",
    responses((status = 200, body = User), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/users/me")]
pub fn me(auth: SignedIn) -> Json<User> {
    Json(auth.0.user.into())
}

/// The signed-in user in the original design's shape.
#[utoipa::path(get, path = "/api/user/profile", tag = "users",
    responses((status = 200, body = ProfileResponse), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/user/profile")]
pub fn profile(auth: SignedIn) -> Json<ProfileResponse> {
    let u = auth.0.user;
    Json(ProfileResponse {
        message: "Profile retrieved successfully",
        user: ProfileUser { user_id: u.id, email: u.email, name: u.name, username: u.username },
    })
}

/// Update the signed-in user's name, username or email (an email change needs `currentPassword`).
#[utoipa::path(patch, path = "/api/users/me", tag = "users",
    request_body(content = Option<UserPatch>, description = "Only the fields sent change; no body changes nothing"),
    responses((status = 200, body = User), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "`wrong_password`, or role/permission fields without users:manage", body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[patch("/users/me", data = "<body>")]
pub async fn update_me(
    auth: SessionUser<AnyEmail>,
    admin: Option<Admin>,
    client: Client,
    db: &Db,
    app: &State<App>,
    body: Body<UserPatch>,
) -> ApiResult<Json<User>> {
    let id = auth.id();
    apply_patch(db, app, &client, &auth, admin.is_some(), id, body.0).await.map(Json)
}

/// Change the password; every other session of the user is revoked, every password-reset link
/// dies, and a "your password was changed" notice is mailed.
#[utoipa::path(put, path = "/api/users/me/password", tag = "users", request_body = PasswordChange,
    responses((status = 200, body = Message), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "`wrong_password`", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[put("/users/me/password", data = "<body>")]
pub async fn change_password(
    auth: SessionUser<AnyEmail>,
    client: Client,
    db: &Db,
    app: &State<App>,
    body: Body<PasswordChange>,
) -> ApiResult<Json<Message>> {
    let b = body.0;
    let mut f = Fields::default();
    let current = f.require("currentPassword", b.current_password, Ok);
    let new = f.require("newPassword", b.new_password, Ok);
    let u = &auth.user;
    if let Some(new) = &new {
        if let Err(problem) = check_new_password(app.password_policy(), new, u).await {
            f.add("newPassword", problem);
        }
    }
    f.finish()?;
    let (Some(current), Some(new)) = (current, new) else { unreachable!("checked by finish") };
    confirm(&app.hasher, &app.limits, client.ip, u, "currentPassword", Some(&current)).await?;
    let hash = app.hasher.hash(&new).await?;
    let mut tx = db.write.begin().await?;
    users::set_password(&mut tx, u.id, &hash).await?;
    sessions::revoke_all(&mut tx, u.id, Some(auth.session_id)).await?;
    crate::db::mail::void_tokens(&mut tx, u.id, Some(Purpose::PasswordReset)).await?;
    app.mailer.password_changed(&mut tx, u).await?;
    audit::record(&mut tx, client.event(Action::PasswordChanged).by(u).on(TargetType::User, u.id)).await?;
    tx.commit().await?;
    app.mailer.wake();
    Ok(Json(Message::new("Password changed")))
}

/// Delete the signed-in account (password required). Sessions, cart, watchlist and holdings go;
/// orders stay, detached from the user.
#[utoipa::path(delete, path = "/api/users/me", tag = "users", request_body = PasswordConfirmation,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "`wrong_password`", body = ErrorBody),
        (status = 409, description = "`last_admin`", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/users/me", data = "<body>")]
pub async fn delete_me(
    auth: SessionUser<AnyEmail>,
    client: Client,
    db: &Db,
    app: &State<App>,
    cookies: &CookieJar<'_>,
    body: Body<PasswordConfirmation>,
) -> ApiResult<Status> {
    confirm(&app.hasher, &app.limits, client.ip, &auth.user, "password", body.0.password.as_deref()).await?;
    remove_user(db, &client, &auth, auth.id()).await?;
    cookie::clear(cookies);
    Ok(Status::NoContent)
}

/// All users, optionally filtered by `q` (email, username or name).
#[utoipa::path(get, path = "/api/users", tag = "users",
    params(("q" = Option<String>, Query, description = "Substring of email, username or name"), Paging),
    responses((status = 200, body = Page<User>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/users")]
pub async fn list(_who: Perm<UsersManage>, mut q: Query, db: &Db) -> ApiResult<Json<Page<User>>> {
    let paging = q.paging();
    let text = q.text("q");
    q.finish()?;
    let (rows, total) = users::page(&db.read, text.as_deref(), paging.limit(), paging.offset()).await?;
    Ok(Json(Page::new(rows.into_iter().map(User::from).collect(), paging, total)))
}

/// One's own profile, email and account are not for API tokens, whichever path names them.
fn not_own_by_token(auth: &AuthUser, id: i64) -> ApiResult<()> {
    if auth.token.is_some() && auth.id() == id {
        return Err(ApiError::InsufficientScope);
    }
    Ok(())
}

fn self_or_manager(auth: &AuthUser, id: i64) -> ApiResult<()> {
    if auth.id() == id || auth.user.can(Permission::UsersManage) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("You may only see and change your own account."))
    }
}

/// One user: yourself, or anyone with users:manage.
#[utoipa::path(get, path = "/api/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/users/<id>")]
pub async fn get_user(auth: AuthUser, db: &Db, id: i64) -> ApiResult<Json<User>> {
    self_or_manager(&auth, id)?;
    let user = users::by_id(&db.read, id).await?.ok_or(ApiError::NotFound("User"))?;
    Ok(Json(user.into()))
}

/// Update a user: yourself (as `PATCH /api/users/me`), or anyone with users:manage, who may also
/// set permissions and `isActive`. Only an admin may change a role. The last active admin can't be
/// demoted or deactivated (409 `last_admin`).
#[utoipa::path(patch, path = "/api/users/{id}", tag = "users", params(("id" = i64, Path)),
    request_body(content = Option<UserPatch>, description = "Only the fields sent change; no body changes nothing"),
    responses((status = 200, body = User), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[patch("/users/<id>", data = "<body>")]
pub async fn update_user(
    auth: Scoped<UsersManage>,
    admin: Option<Admin>,
    client: Client,
    db: &Db,
    app: &State<App>,
    id: i64,
    body: Body<UserPatch>,
) -> ApiResult<Json<User>> {
    not_own_by_token(&auth, id)?;
    self_or_manager(&auth, id)?;
    apply_patch(db, app, &client, &auth, admin.is_some(), id, body.0).await.map(Json)
}

/// Delete a user: yourself (password required, as `DELETE /api/users/me`), or anyone with
/// users:manage. The last active admin can't be deleted.
#[utoipa::path(delete, path = "/api/users/{id}", tag = "users", params(("id" = i64, Path)),
    request_body(content = Option<PasswordConfirmation>, description = "Only when deleting yourself"),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/users/<id>", data = "<body>")]
pub async fn delete_user(
    auth: Scoped<UsersManage>,
    client: Client,
    db: &Db,
    app: &State<App>,
    cookies: &CookieJar<'_>,
    id: i64,
    body: Body<PasswordConfirmation>,
) -> ApiResult<Status> {
    not_own_by_token(&auth, id)?;
    self_or_manager(&auth, id)?;
    if auth.id() == id {
        confirm(&app.hasher, &app.limits, client.ip, &auth.user, "password", body.0.password.as_deref())
            .await?;
        cookie::clear(cookies);
    }
    remove_user(db, &client, &auth, id).await?;
    Ok(Status::NoContent)
}

/// Only an admin acts on an admin account (reading it is fine): a user manager who is not an
/// admin may not change, deactivate or delete one. Checked against the row being changed, inside
/// the write transaction that changes it.
fn may_act_on(auth: &AuthUser, target: &UserRow) -> ApiResult<()> {
    if target.is_admin() && !auth.user.is_admin() && target.id != auth.id() {
        return Err(ApiError::Forbidden("Only an admin may change an admin account."));
    }
    Ok(())
}

async fn remove_user(db: &Db, client: &Client, auth: &AuthUser, id: i64) -> ApiResult<()> {
    let mut tx = db.write.begin().await?;
    let user = users::lock(&mut tx, id).await?.ok_or(ApiError::NotFound("User"))?;
    may_act_on(auth, &user)?;
    if user.is_admin() && user.is_active && users::other_active_admins(&mut tx, id).await? == 0 {
        return Err(last_admin());
    }
    users::delete(&mut tx, id).await?;
    let details = Details::new().with("email", &user.email).with("username", &user.username);
    audit::record(
        &mut tx,
        client.event(Action::UserDeleted).by(&auth.user).on(TargetType::User, id).details(details),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Turn two-factor sign-in off for someone who lost the device (users:manage; only an admin may
/// do it for an admin). Their sessions and API tokens stay.
#[utoipa::path(delete, path = "/api/users/{id}/2fa", tag = "users", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/users/<id>/2fa")]
pub async fn reset_2fa(who: Perm<UsersManage>, client: Client, db: &Db, id: i64) -> ApiResult<Status> {
    let mut tx = db.write.begin().await?;
    let user = users::lock(&mut tx, id).await?.ok_or(ApiError::NotFound("User"))?;
    may_act_on(&who.0, &user)?;
    if user.two_factor() {
        crate::db::two_factor::disable(&mut tx, id).await?;
        let event = client.event(Action::TwoFactorDisabled).by(&who.0.user).on(TargetType::User, id);
        audit::record(&mut tx, event.details(Details::new().with("method", "reset"))).await?;
    }
    tx.commit().await?;
    Ok(Status::NoContent)
}

/// `user.updated` with the before and after of each changed field, and `auth.email_changed`
/// for a new address; nothing when nothing changed.
async fn record_changes(
    tx: &mut Tx,
    client: &Client,
    actor: &UserRow,
    before: &UserRow,
    after: &UserRow,
) -> ApiResult<()> {
    let on = |action| client.event(action).by(actor).on(TargetType::User, after.id);
    if before.email != after.email {
        let details = Details::new().change("email", &before.email, &after.email);
        audit::record(&mut *tx, on(Action::EmailChanged).details(details)).await?;
    }
    let details = Details::new()
        .change("name", &before.name, &after.name)
        .change("username", &before.username, &after.username)
        .change("role", before.role, after.role)
        .change("permissions", before.permission_list(), after.permission_list())
        .change("isActive", before.is_active, after.is_active)
        .change("emailVerified", before.email_verified, after.email_verified);
    if !details.is_empty() {
        audit::record(&mut *tx, on(Action::UserUpdated).details(details)).await?;
    }
    Ok(())
}

fn last_admin() -> ApiError {
    ApiError::conflict("last_admin", "This is the last active admin; appoint another admin first.")
}

/// The one place a user row changes, whoever asks: validates every field, confirms the password
/// of a user changing their own email, then — inside one write transaction, against the row as
/// it is there — checks who may change what and the last-admin rule, and writes. `by_admin`
/// comes from the `Admin` guard: only an admin may change a role.
async fn apply_patch(
    db: &Db,
    app: &App,
    client: &Client,
    auth: &AuthUser,
    by_admin: bool,
    id: i64,
    p: UserPatch,
) -> ApiResult<User> {
    let manager = auth.user.can(Permission::UsersManage);
    if !manager
        && (p.role.is_some()
            || p.permissions.is_some()
            || p.is_active.is_some()
            || p.email_verified.is_some())
    {
        return Err(ApiError::Forbidden(
            "Only user managers may change roles, permissions, activation or email verification.",
        ));
    }
    let mut f = Fields::default();
    let name = p.name.as_deref().and_then(|n| f.check("name", DisplayName::parse(n)));
    let username = p.username.as_ref().map(|u| match u.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(u) => f.check("username", Username::parse(u)),
    });
    let email = p.email.as_deref().and_then(|e| f.check("email", Email::parse(e)));
    let role = p
        .role
        .as_deref()
        .and_then(|r| f.check("role", Role::parse(r).ok_or_else(|| "must be `user` or `admin`".to_owned())));
    let permissions = p
        .permissions
        .as_ref()
        .and_then(|list| f.check("permissions", Permission::parse_set(list, "permission")));
    f.finish()?;

    // A user changing their own email proves it is them. The hash runs before the write
    // transaction (it would hold the single writer for its whole duration).
    let own_email_change = auth.id() == id && email.as_ref().is_some_and(|e| e.as_str() != auth.user.email);
    if own_email_change {
        let Some(pw) = p.current_password.as_deref() else {
            return Err(ApiError::field("currentPassword", "is required to change the email"));
        };
        confirm(&app.hasher, &app.limits, client.ip, &auth.user, "currentPassword", Some(pw)).await?;
    }

    let mut tx = db.write.begin().await?;
    let mut user = users::lock(&mut tx, id).await?.ok_or(ApiError::NotFound("User"))?;
    let before = user.clone();
    may_act_on(auth, &user)?;
    if role.is_some_and(|r| r != user.role) && !by_admin {
        return Err(ApiError::Forbidden("Only an admin may change a role."));
    }
    if let Some(wanted) = &permissions {
        let current = user.permission_list();
        if !auth.user.is_admin() {
            if wanted != &current && id == auth.id() {
                return Err(ApiError::Forbidden("Only an admin may change your own permissions."));
            }
            if wanted.iter().any(|p| !current.contains(p) && !auth.user.can(*p)) {
                return Err(ApiError::Forbidden("You may only grant permissions you hold."));
            }
        }
    }
    // The email checked above must still be the one being replaced.
    if own_email_change && user.email != auth.user.email {
        return Err(ApiError::conflict("already_exists", "The account changed meanwhile; try again."));
    }
    let was_active_admin = user.is_admin() && user.is_active;
    if let Some(n) = name {
        user.name = n.into_inner();
    }
    if let Some(u) = username {
        user.username = u.map(|u| u.as_str().to_owned());
    }
    let old_email = user.email.clone();
    if let Some(e) = email {
        user.email = e.as_str().to_owned();
    }
    let email_changed = user.email != old_email;
    if email_changed {
        user.email_verified = false;
    }
    if let Some(v) = p.email_verified {
        user.email_verified = v;
    }
    if let Some(r) = role {
        user.role = r;
    }
    if let Some(p) = permissions {
        user.permissions = Permission::join(&p);
    }
    if let Some(a) = p.is_active {
        user.is_active = a;
    }
    if was_active_admin
        && !(user.is_admin() && user.is_active)
        && users::other_active_admins(&mut tx, id).await? == 0
    {
        return Err(last_admin());
    }
    let updated = users::update(&mut tx, &user).await?;
    record_changes(&mut tx, client, &auth.user, &before, &updated).await?;
    if !updated.is_active {
        // Deactivation ends every session and kills every API token of the user.
        sessions::revoke_all(&mut tx, id, None).await?;
        crate::db::api_tokens::revoke_all(&mut tx, id).await?;
    }
    if email_changed {
        // Links mailed to the old address die; the new one is asked to confirm, the old told.
        crate::db::mail::void_tokens(&mut tx, id, Some(Purpose::VerifyEmail)).await?;
        if !updated.email_verified {
            app.mailer.verify_email(&mut tx, &updated).await?;
        }
        app.mailer.email_changed(&mut tx, &updated, &old_email).await?;
    }
    tx.commit().await?;
    if email_changed {
        app.mailer.wake();
    }
    Ok(updated.into())
}
