//! Moderation API for the newsroom's scripts, behind a bearer token:
//! `GET /api/v1/admin/comments?status=pending`,
//! `POST /api/v1/admin/comments/{id}/approve|reject`, `DELETE …/{id}`;
//! blocked authors: `GET` and `POST /api/v1/admin/blocks`,
//! `DELETE /api/v1/admin/blocks/{email|client}/{value}` (audited as `api`).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::blocks::{self, BlockError};
use crate::comments::StoredComment;
use crate::error::ApiError;
use crate::extract::{check_bearer, ApiJson, ApiPath, ApiQuery, ClientKey};
use crate::state::AppState;
use crate::store::{Act, BlockKind, Keyset, Status};

/// The moderator name the audit log records for the bearer token.
const API_MODERATOR: &str = "api";

/// The moderation router, nested under `/api/v1/admin`.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/comments", get(pending))
        .route("/comments/{id}", delete(remove))
        .route("/comments/{id}/approve", post(approve))
        .route("/comments/{id}/reject", post(reject))
        .route("/blocks", get(list_blocks).post(add_block))
        .route("/blocks/{kind}/{value}", delete(remove_block))
        .route_layer(middleware::from_fn_with_state(state, require_token))
}

async fn require_token(
    State(state): State<AppState>,
    ClientKey(client): ClientKey,
    req: Request,
    next: Next,
) -> Response {
    let Some(expected) = state.admin_token.as_deref() else {
        return ApiError::AdminDisabled.into_response();
    };
    if let Err(e) = check_bearer(&state, "moderation", req.headers(), &client, expected) {
        return e.into_response();
    }
    next.run(req).await
}

async fn pending(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let items = state.store.pending_comments(500).await?;
    Ok(Json(json!({ "items": items })))
}

/// `?from=pending`: decide only while the comment still has the status
/// the script saw (as the pages and the e-mailed links do), so that a
/// moderator's decision taken meanwhile is not reversed.
#[derive(Deserialize)]
struct Decision {
    from: Option<String>,
}

impl Decision {
    fn from(&self) -> Result<Option<Status>, ApiError> {
        self.from
            .as_deref()
            .map(|f| {
                Status::parse(f).ok_or_else(|| {
                    ApiError::BadRequest("from is pending, published or rejected".into())
                })
            })
            .transpose()
    }
}

async fn set(
    state: &AppState,
    id: i64,
    status: Status,
    from: Option<Status>,
) -> Result<Json<StoredComment>, ApiError> {
    // The log's line as any decision's; the act only from `from`, if any.
    let (_, line) = crate::audit::decision(API_MODERATOR, status);
    let act = Act::Set { to: status, from };
    // A second approval changes nothing and is not a moderator's act: the
    // comment as it is, and no line.
    let stored = match state.store.moderate(id, act, line).await? {
        Some(done) => done.comment,
        None => {
            let now = state
                .store
                .comment(id)
                .await?
                .ok_or(ApiError::NotFound("comment"))?;
            // Not done: fine when it has the status asked for already,
            // else it had another than `from` (read here again, after).
            if from.is_some() && now.status != status.as_str() {
                return Err(ApiError::StatusChanged(now.status));
            }
            now
        }
    };
    Ok(Json(stored))
}

async fn approve(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Decision>,
) -> Result<Json<StoredComment>, ApiError> {
    set(&state, id, Status::Published, q.from()?).await
}

async fn reject(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Decision>,
) -> Result<Json<StoredComment>, ApiError> {
    set(&state, id, Status::Rejected, q.from()?).await
}

async fn remove(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let line = crate::audit::line(API_MODERATOR, "delete");
    match state
        .store
        .moderate(id, Act::Delete { only_if: None }, line)
        .await?
    {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(ApiError::NotFound("comment")),
    }
}

impl From<BlockError> for ApiError {
    fn from(e: BlockError) -> Self {
        match e {
            BlockError::Store(e) => e.into(),
            bad => ApiError::BadRequest(bad.to_string()),
        }
    }
}

/// Blocks a page holds unless `limit` says otherwise, and at most.
const BLOCKS_DEFAULT: u32 = 100;
const BLOCKS_MAX: u32 = 500;

/// `?limit=N&cursor=C`: `C` is the `next` of the page before.
#[derive(Deserialize)]
struct BlockPage {
    #[serde(default, deserialize_with = "crate::extract::page_size")]
    limit: Option<u32>,
    cursor: Option<String>,
}

/// The blocks, newest first, a page at a time: `next` is the cursor of
/// the following page (`null` on the last), `total` how many there are.
async fn list_blocks(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<BlockPage>,
) -> Result<Json<Value>, ApiError> {
    let at = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Keyset::Before(
            c.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| ApiError::BadRequest("invalid cursor".into()))?,
        ),
        None => Keyset::Newest,
    };
    let limit = p.limit.unwrap_or(BLOCKS_DEFAULT).clamp(1, BLOCKS_MAX);
    // One more than the page: whether another page follows.
    let mut items = state.store.blocks(limit + 1, at).await?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next = items.last().filter(|_| more).map(|b| b.id.to_string());
    Ok(Json(json!({
        "items": items,
        "next": next,
        "total": state.store.block_count().await?,
    })))
}

/// `{"email": …}` or `{"client": …}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewBlock {
    email: Option<String>,
    client: Option<String>,
}

/// 201 when the author is blocked now, 200 when they were already.
async fn add_block(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<NewBlock>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (kind, raw) = match (&input.email, &input.client) {
        (Some(e), None) => (BlockKind::Email, e),
        (None, Some(c)) => (BlockKind::Client, c),
        _ => {
            return Err(ApiError::BadRequest(
                "give exactly one of email and client".into(),
            ))
        }
    };
    let value = blocks::normalize(kind, raw)?;
    let added = blocks::block(state.store.as_ref(), kind, &value, API_MODERATOR, None).await?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({ "kind": kind.as_str(), "value": value })),
    ))
}

async fn remove_block(
    State(state): State<AppState>,
    ApiPath((kind, value)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let kind = BlockKind::parse(&kind)
        .ok_or_else(|| ApiError::BadRequest("a block is by email or client".into()))?;
    if blocks::unblock(state.store.as_ref(), kind, &value, API_MODERATOR).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("block"))
    }
}
