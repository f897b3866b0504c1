//! The one error type of the API, its JSON shape, and the catcher that gives every failure under
//! `/api` that shape (unknown routes, wrong methods, guard failures, panics). How database
//! errors map to statuses is in `database`; which methods a path has (for 405) in
//! `allowed_methods`.

mod allowed_methods;
mod database;

use allowed_methods::{allowed_methods, route_methods};

use std::collections::BTreeMap;
use std::sync::Mutex;

use rocket::http::{Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::serde::json::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// Offending fields (camelCase) → what is wrong with each.
pub type FieldErrors = BTreeMap<String, String>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("The request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("Some fields are invalid.")]
    Validation(FieldErrors),
    #[error("Request bodies must be JSON (Content-Type: application/json).")]
    UnsupportedMediaType,
    #[error("The request body is larger than the {0}-byte limit.")]
    PayloadTooLarge(u64),
    #[error("This path does not accept that method.")]
    MethodNotAllowed(String),
    #[error("Sign in to continue.")]
    Unauthorized,
    #[error("Wrong login or password.")]
    InvalidCredentials,
    #[error("This account is deactivated.")]
    AccountDisabled,
    #[error("The password is not correct.")]
    WrongPassword,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("Verify your email address first: follow the link we mailed you, or ask for a new one.")]
    EmailUnverified,
    #[error("This API token's scopes do not cover that; personal tokens never manage tokens, two-factor sign-in, the password, the profile, the email, sessions or the account.")]
    InsufficientScope,
    #[error("This link is invalid, was used already or has expired; ask for a new one.")]
    InvalidToken,
    #[error("Cross-site request refused: send X-Requested-With: stockroom from this site's pages.")]
    CsrfRejected,
    #[error("{0} not found.")]
    NotFound(&'static str),
    /// A 409 whose code names what clashed (`email_taken`, `last_admin`, `insufficient_stock`...).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A 400 with its own code (`cart_empty`...).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("Too many requests; try again in {0} seconds.")]
    RateLimited(u64),
    /// The detail is logged with the request id, never sent.
    #[error("Something went wrong on our side.")]
    Internal(String),
    #[error("The service is temporarily unable to save changes; try again shortly.")]
    Unavailable(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Conflict { code, message: message.into() }
    }

    pub fn field(name: &str, problem: impl Into<String>) -> Self {
        ApiError::Validation(BTreeMap::from([(name.to_owned(), problem.into())]))
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        ApiError::Internal(detail.to_string())
    }

    pub fn status(&self) -> Status {
        use ApiError::*;
        match self {
            InvalidJson(_) | Validation(_) | BadRequest { .. } | InvalidToken => Status::BadRequest,
            UnsupportedMediaType => Status::UnsupportedMediaType,
            PayloadTooLarge(_) => Status::PayloadTooLarge,
            MethodNotAllowed(_) => Status::MethodNotAllowed,
            Unauthorized | InvalidCredentials => Status::Unauthorized,
            AccountDisabled | WrongPassword | Forbidden(_) | CsrfRejected | EmailUnverified
            | InsufficientScope => Status::Forbidden,
            NotFound(_) => Status::NotFound,
            Conflict { .. } => Status::Conflict,
            RateLimited(_) => Status::TooManyRequests,
            Internal(_) => Status::InternalServerError,
            Unavailable(_) => Status::ServiceUnavailable,
        }
    }

    pub fn code(&self) -> &'static str {
        use ApiError::*;
        match self {
            InvalidJson(_) => "invalid_json",
            Validation(_) => "validation_failed",
            UnsupportedMediaType => "unsupported_media_type",
            PayloadTooLarge(_) => "payload_too_large",
            MethodNotAllowed(_) => "method_not_allowed",
            Unauthorized => "unauthorized",
            InvalidCredentials => "invalid_credentials",
            AccountDisabled => "account_disabled",
            WrongPassword => "wrong_password",
            Forbidden(_) => "forbidden",
            CsrfRejected => "csrf_rejected",
            EmailUnverified => "email_unverified",
            InsufficientScope => "insufficient_scope",
            InvalidToken => "invalid_token",
            NotFound(_) => "not_found",
            Conflict { code, .. } | BadRequest { code, .. } => code,
            RateLimited(_) => "rate_limited",
            Internal(_) | Unavailable(_) => "internal",
        }
    }

    fn body(&self, request_id: Option<String>) -> ErrorBody {
        let fields = match self {
            ApiError::Validation(f) => Some(f.clone()),
            e if e.status() == Status::BadRequest => Some(FieldErrors::new()),
            _ => None,
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
                fields,
                request_id,
            },
        }
    }
}

/// `{"error": {"code", "message", "fields", "requestId"}}`: `fields` is an object on every 400
/// (empty when no single field is to blame) and null otherwise; `requestId` is set on 5xx.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `validation_failed`.
    pub code: String,
    /// A human sentence.
    pub message: String,
    /// Offending fields (camelCase) → problem.
    pub fields: Option<FieldErrors>,
    /// Matches the server's log line for this failure (5xx only).
    pub request_id: Option<String>,
}

/// A per-request id, created on first use; the request log line and 5xx bodies carry it.
pub struct RequestId(pub String);

impl RequestId {
    pub fn of<'r>(req: &'r Request<'_>) -> &'r str {
        &req.local_cache(|| RequestId(hex::encode(rand::random::<[u8; 8]>()))).0
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let status = self.status();
        let request_id = if status.code >= 500 {
            let id = RequestId::of(req).to_owned();
            tracing::error!(request_id = %id, code = self.code(), detail = ?self, "request failed");
            Some(id)
        } else {
            None
        };
        let mut res = Response::build_from(Json(self.body(request_id)).respond_to(req)?);
        res.status(status);
        match &self {
            ApiError::MethodNotAllowed(allow) => {
                res.header(Header::new("Allow", allow.clone()));
            }
            ApiError::RateLimited(secs) => {
                res.header(Header::new("Retry-After", secs.to_string()));
            }
            _ => {}
        }
        res.ok()
    }
}

/// Guards can't hand their error to a catcher in Rocket 0.5, so they leave it here.
struct GuardError(Mutex<Option<ApiError>>);

pub fn stash(req: &Request<'_>, e: ApiError) -> (Status, ApiError) {
    let slot = req.local_cache(|| GuardError(Mutex::new(None)));
    *slot.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.clone());
    (e.status(), e)
}

fn stashed(req: &Request<'_>) -> Option<ApiError> {
    let slot = req.local_cache(|| GuardError(Mutex::new(None)));
    let e = slot.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
    e
}

#[rocket::catch(default)]
pub fn api_catcher(status: Status, req: &Request<'_>) -> ApiError {
    if let Some(e) = stashed(req) {
        if e.status() == status {
            return e;
        }
    }
    match status.code {
        // 422 is Rocket's answer to a path segment that does not parse (e.g. /api/users/abc).
        404 | 422 => match allowed_methods(req) {
            Some(allow) => ApiError::MethodNotAllowed(allow),
            None => ApiError::NotFound("Route"),
        },
        // Every 400 of ours is stashed; an unstashed one is Rocket refusing a method it does not
        // know (it then calls the request a GET), so the path's real methods are the answer.
        400 => match route_methods(req) {
            Some(allow) => ApiError::MethodNotAllowed(allow),
            None => ApiError::NotFound("Route"),
        },
        401 => ApiError::Unauthorized,
        403 => ApiError::Forbidden("You are not allowed to do that."),
        413 => ApiError::PayloadTooLarge(0),
        415 => ApiError::UnsupportedMediaType,
        429 => ApiError::RateLimited(60),
        503 => ApiError::Unavailable(format!("status {status}")),
        _ => ApiError::Internal(format!("unhandled status {status}")),
    }
}
