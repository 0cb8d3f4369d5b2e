//! Moderation API for the newsroom, behind a bearer token:
//! `GET /api/v1/admin/comments?status=pending`,
//! `POST /api/v1/admin/comments/{id}/approve|reject`, `DELETE …/{id}`.

use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::comments;
use crate::db;
use crate::error::ApiError;
use crate::routes::comments::error;
use crate::AppState;

/// The admin router, nested under `/api/v1/admin`.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/comments", get(pending))
        .route("/comments/{id}", axum::routing::delete(delete))
        .route("/comments/{id}/approve", post(approve))
        .route("/comments/{id}/reject", post(reject))
        .layer(middleware::from_fn_with_state(state, require_token))
}

/// Compares without an early exit, so timing does not leak the token.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(expected) = state.admin_token.as_deref() else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "moderation API disabled: start with --admin-token",
            None,
        );
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !same_secret(given.as_bytes(), expected.as_bytes()) {
        let mut res = error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "bearer token required",
            None,
        );
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return res;
    }
    next.run(req).await
}

async fn pending(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let pool = state.pool.clone();
    let items = tokio::task::spawn_blocking(move || {
        let conn = pool.get().map_err(db::DbError::from)?;
        comments::pending(&conn, 500)
    })
    .await??;
    Ok(Json(json!({ "items": items })))
}

async fn set(state: AppState, id: i64, status: &'static str) -> Result<Response, ApiError> {
    let pool = state.pool.clone();
    let found = tokio::task::spawn_blocking(move || {
        let conn = pool.get().map_err(db::DbError::from)?;
        if comments::set_status(&conn, id, status)? {
            comments::get(&conn, id)
        } else {
            Ok(None)
        }
    })
    .await??;
    Ok(match found {
        Some(c) => Json(c).into_response(),
        None => ApiError::NotFound("comment").into_response(),
    })
}

async fn approve(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, ApiError> {
    set(state, id, "published").await
}

async fn reject(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, ApiError> {
    set(state, id, "rejected").await
}

async fn delete(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let pool = state.pool.clone();
    let gone = tokio::task::spawn_blocking(move || {
        let conn = pool.get().map_err(db::DbError::from)?;
        comments::delete(&conn, id)
    })
    .await??;
    Ok(if gone {
        StatusCode::NO_CONTENT.into_response()
    } else {
        ApiError::NotFound("comment").into_response()
    })
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
        assert!(!same_secret(b"", b"a"));
    }
}
