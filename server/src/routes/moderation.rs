//! Moderation API for the newsroom's scripts, behind a bearer token:
//! `GET /api/v1/admin/comments?status=pending`,
//! `POST /api/v1/admin/comments/{id}/approve|reject`, `DELETE …/{id}`.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::comments::StoredComment;
use crate::error::ApiError;
use crate::extract::bearer_matches;
use crate::state::AppState;
use crate::store::Status;

/// The moderation router, nested under `/api/v1/admin`.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/comments", get(pending))
        .route("/comments/{id}", delete(remove))
        .route("/comments/{id}/approve", post(approve))
        .route("/comments/{id}/reject", post(reject))
        .route_layer(middleware::from_fn_with_state(state, require_token))
}

async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(expected) = state.admin_token.as_deref() else {
        return ApiError::AdminDisabled.into_response();
    };
    if !bearer_matches(req.headers(), expected) {
        return ApiError::Unauthorized.into_response();
    }
    next.run(req).await
}

async fn pending(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let items = state.store.pending_comments(500).await?;
    Ok(Json(json!({ "items": items })))
}

async fn set(state: &AppState, id: i64, status: Status) -> Result<Json<StoredComment>, ApiError> {
    state
        .store
        .set_comment_status(id, status)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("comment"))
}

async fn approve(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<StoredComment>, ApiError> {
    set(&state, id, Status::Published).await
}

async fn reject(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<StoredComment>, ApiError> {
    set(&state, id, Status::Rejected).await
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_comment(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("comment"))
    }
}
