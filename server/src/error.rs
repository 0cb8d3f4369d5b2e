//! The one error type of the HTTP API and its JSON form:
//! `{"error": {"code", "message", "fields"?}}` (see `docs/api.md`).

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::comments::FieldErrors;
use crate::store::{CreateError, StoreError};

/// Every way an API request can fail, each with its status and code.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 404 `not_found`: the named thing does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 400 `bad_request` with a reason (query parameters).
    #[error("{0}")]
    BadRequest(String),
    /// 400 `bad_json`: the body is not the JSON the route takes.
    #[error("{0}")]
    BadJson(String),
    /// 413 `too_large`: the body is over the route's limit.
    #[error("The request is too large.")]
    TooLarge,
    /// 408 `timeout`: the body arrived too slowly.
    #[error("The request body arrived too slowly.")]
    Timeout,
    /// 422 `invalid` with a problem per field.
    #[error("Some fields need attention.")]
    Invalid(FieldErrors),
    /// 429 `rate_limited` with `Retry-After`.
    #[error("{message}")]
    RateLimited {
        /// How long until the client may try again.
        wait: Duration,
        /// What was limited, for people.
        message: &'static str,
    },
    /// 403 `comments_closed`.
    #[error("Comments are closed on this article.")]
    CommentsClosed,
    /// 409 `idempotency_conflict`: the key belongs to another comment.
    #[error("This idempotency key was used for another comment.")]
    IdempotencyConflict,
    /// 409 `status_changed`: a decision `?from=` a status the comment no
    /// longer has (another moderator decided first).
    #[error("The comment is {0} now: another decision came first.")]
    StatusChanged(String),
    /// 503 `send_disabled`: no mail server is configured.
    #[error("This server does not send e-mail (no --smtp-url).")]
    SendDisabled,
    /// 502 `mail_failed`: the mail server refused the message.
    #[error("The mail server did not take the message.")]
    MailFailed,
    /// 404 `not_found`: the moderation API is off.
    #[error("moderation API disabled: start with --admin-token")]
    AdminDisabled,
    /// 403 `url_not_allowed`: comments by URL for a page outside `--site`.
    #[error("{0}")]
    UrlNotAllowed(String),
    /// 403 `origin_not_allowed`: a browser on another site tried to write.
    #[error("This page's origin is not one of the sites this server takes comments for.")]
    OriginNotAllowed,
    /// 404 `not_found`: the publishing API is off.
    #[error("publishing API disabled: start with --publish-token")]
    PublishingDisabled,
    /// 405 `method_not_allowed`: the address takes other methods.
    #[error("This address does not take that method.")]
    MethodNotAllowed,
    /// 401 `unauthorized` with `WWW-Authenticate: Bearer`.
    #[error("bearer token required")]
    Unauthorized,
    /// 500 `internal`; the details go to the log, not to the client.
    #[error("internal error")]
    Internal(#[from] StoreError),
}

impl From<CreateError> for ApiError {
    fn from(e: CreateError) -> Self {
        match e {
            CreateError::NoArticle => ApiError::NotFound("article"),
            CreateError::Closed => ApiError::CommentsClosed,
            CreateError::BadParent => {
                let mut fields = FieldErrors::new();
                fields.insert(
                    "parent_id",
                    (
                        "invalid",
                        "Replies go to a published top-level comment of this article.".into(),
                    ),
                );
                ApiError::Invalid(fields)
            }
            CreateError::KeyConflict => ApiError::IdempotencyConflict,
            CreateError::Store(e) => ApiError::Internal(e),
        }
    }
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::NotFound(_) | ApiError::AdminDisabled | ApiError::PublishingDisabled => {
                (StatusCode::NOT_FOUND, "not_found")
            }
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::BadJson(_) => (StatusCode::BAD_REQUEST, "bad_json"),
            ApiError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::Timeout => (StatusCode::REQUEST_TIMEOUT, "timeout"),
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::CommentsClosed => (StatusCode::FORBIDDEN, "comments_closed"),
            ApiError::UrlNotAllowed(_) => (StatusCode::FORBIDDEN, "url_not_allowed"),
            ApiError::OriginNotAllowed => (StatusCode::FORBIDDEN, "origin_not_allowed"),
            ApiError::IdempotencyConflict => (StatusCode::CONFLICT, "idempotency_conflict"),
            ApiError::StatusChanged(_) => (StatusCode::CONFLICT, "status_changed"),
            ApiError::SendDisabled => (StatusCode::SERVICE_UNAVAILABLE, "send_disabled"),
            ApiError::MailFailed => (StatusCode::BAD_GATEWAY, "mail_failed"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl ApiError {
    /// The per-field problems, when there are any to show.
    fn fields(&self) -> Option<&FieldErrors> {
        match self {
            ApiError::Invalid(fields) if !fields.is_empty() => Some(fields),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(e) = &self {
            tracing::error!("{e}");
        }
        let mut error = json!({ "code": code, "message": self.to_string() });
        if let Some(fields) = self.fields() {
            let fields: serde_json::Map<String, Value> = fields
                .iter()
                .map(|(k, (code, message))| {
                    ((*k).to_owned(), json!({ "code": code, "message": message }))
                })
                .collect();
            error["fields"] = Value::Object(fields);
        }
        let mut res = (status, Json(json!({ "error": error }))).into_response();
        match &self {
            ApiError::RateLimited { wait, .. } => {
                // Rounded up: a client that waits exactly this long is
                // let through, not sent another 429.
                let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            ApiError::Unauthorized => {
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_status_and_headers() {
        let limited = ApiError::RateLimited {
            wait: Duration::from_millis(10),
            message: "slow down",
        }
        .into_response();
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.headers()[header::RETRY_AFTER], "1");
        let later = ApiError::RateLimited {
            wait: Duration::from_millis(41_200),
            message: "slow down",
        }
        .into_response();
        assert_eq!(later.headers()[header::RETRY_AFTER], "42", "rounded up");
        let unauthorized = ApiError::Unauthorized.into_response();
        assert_eq!(unauthorized.headers()[header::WWW_AUTHENTICATE], "Bearer");
        assert_eq!(
            ApiError::from(CreateError::BadParent)
                .into_response()
                .status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
}
