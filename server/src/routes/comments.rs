//! `GET` and `POST /api/v1/articles/{id}/comments`.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::rejection::{BytesRejection, FailedToBufferBody, JsonRejection};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

use crate::comments::{self, CreateError, Moderation, Sort};
use crate::db;
use crate::error::ApiError;
use crate::transport::BodyTimeout;
use crate::AppState;

/// Default number of top-level comments per page.
pub const DEFAULT_LIMIT: u32 = 20;
/// Largest page of comments.
pub const MAX_LIMIT: u32 = 100;
/// Largest accepted request body.
pub const MAX_BODY: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
pub(crate) struct ListParams {
    limit: Option<u32>,
    cursor: Option<String>,
    sort: Option<String>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Path(article_id): Path<String>,
    Query(p): Query<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let sort = match p.sort.as_deref() {
        None | Some("" | "oldest") => Sort::Oldest,
        Some("newest") => Sort::Newest,
        Some(_) => return Err(ApiError::BadRequest("sort is oldest or newest".into())),
    };
    let after = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| ApiError::BadRequest("invalid cursor".into()))?,
        ),
        None => None,
    };
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let pool = state.pool.clone();
    let page = tokio::task::spawn_blocking(move || {
        let conn = pool.get().map_err(db::DbError::from)?;
        if !db::article_exists(&conn, &article_id)? {
            return Ok(None);
        }
        comments::list(&conn, &article_id, sort, limit, after).map(Some)
    })
    .await??
    .ok_or(ApiError::NotFound("article"))?;
    Ok(Json(json!({
        "items": page.items,
        "next": page.next.map(|n| n.to_string()),
        "total": page.total,
    })))
}

/// The client address for rate limiting: the socket peer, or with
/// `--trust-proxy` the first `X-Forwarded-For` entry.
pub fn client_key(state: &AppState, headers: &HeaderMap, req_peer: Option<SocketAddr>) -> String {
    if state.trust_proxy {
        if let Some(first) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
        {
            return first.trim().to_owned();
        }
    }
    req_peer
        .map(|p| p.ip().to_string())
        .unwrap_or_else(|| "local".into())
}

/// JSON error body with a status.
pub fn error(status: StatusCode, code: &str, message: &str, fields: Option<Value>) -> Response {
    let mut err = json!({ "code": code, "message": message });
    if let Some(f) = fields {
        err["fields"] = f;
    }
    (status, Json(json!({ "error": err }))).into_response()
}

/// `429 rate_limited` with `Retry-After` in whole seconds (at least 1).
pub fn rate_limited(wait: std::time::Duration, message: &str) -> Response {
    let secs = wait.as_secs().max(1);
    let mut res = error(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message, None);
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// The answer to a JSON body that could not be read: `413 too_large` past
/// the route's body limit, `408 timeout` when it arrived too slowly (see
/// [`crate::transport::body_deadline`]), otherwise `400 bad_json`.
pub fn body_rejected(e: &JsonRejection) -> Response {
    if let JsonRejection::BytesRejection(BytesRejection::FailedToBufferBody(f)) = e {
        if matches!(f, FailedToBufferBody::LengthLimitError(_)) {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "The request is too large.",
                None,
            );
        }
        if BodyTimeout::caused(f) {
            return error(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "The request body arrived too slowly.",
                None,
            );
        }
    }
    error(StatusCode::BAD_REQUEST, "bad_json", &e.body_text(), None)
}

/// `422 {"error": {"code": "invalid", "fields": {name: {code, message}}}}`.
pub fn invalid(fields: comments::FieldErrors) -> Response {
    let fields: serde_json::Map<String, Value> = fields
        .into_iter()
        .map(|(k, (code, message))| (k.to_owned(), json!({ "code": code, "message": message })))
        .collect();
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        "Some fields need attention.",
        Some(Value::Object(fields)),
    )
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Path(article_id): Path<String>,
    req: Request,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let client = client_key(&state, req.headers(), peer);
    if let Err(wait) = state.comment_limit.check(&client, Instant::now()) {
        return rate_limited(wait, "Too many comments; try again later.");
    }
    let parsed =
        <Json<comments::NewComment> as axum::extract::FromRequest<()>>::from_request(req, &())
            .await;
    let input = match parsed {
        Ok(Json(input)) => input,
        Err(e) => return body_rejected(&e),
    };
    let clean = match comments::validate(&input) {
        Ok(c) => c,
        Err(fields) => return invalid(fields),
    };
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let pool = state.pool.clone();
    let moderation = state.moderation;
    let stored = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(|e| CreateError::Db(e.into()))?;
        comments::create(&mut conn, &article_id, &clean, moderation, &now)
    })
    .await;
    match stored {
        Ok(Ok(stored)) => {
            // Spam is answered like any other comment and never shown.
            let status = match (stored.status.as_str(), moderation) {
                ("spam", Moderation::Pre) => "pending",
                ("spam", Moderation::Post) => "published",
                (s, _) => s,
            };
            (
                StatusCode::CREATED,
                Json(json!({ "comment": stored.comment, "status": status })),
            )
                .into_response()
        }
        Ok(Err(CreateError::NoArticle)) => error(
            StatusCode::NOT_FOUND,
            "not_found",
            "article not found",
            None,
        ),
        Ok(Err(CreateError::Closed)) => error(
            StatusCode::FORBIDDEN,
            "comments_closed",
            "Comments are closed on this article.",
            None,
        ),
        Ok(Err(CreateError::BadParent)) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Some fields need attention.",
            Some(
                json!({ "parent_id": { "code": "invalid", "message": "Replies go to a published top-level comment of this article." } }),
            ),
        ),
        Ok(Err(CreateError::KeyConflict)) => error(
            StatusCode::CONFLICT,
            "idempotency_conflict",
            "This idempotency key was used for another comment.",
            None,
        ),
        Ok(Err(CreateError::Db(e))) => ApiError::Internal(e).into_response(),
        Err(e) => ApiError::Join(e).into_response(),
    }
}
