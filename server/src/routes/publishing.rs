//! The publishing API, for a CMS that pushes its articles:
//! `PUT /api/v1/admin/articles/{id}` (create or replace, with the import's
//! validation and cleaning) and `DELETE /api/v1/admin/articles/{id}` (hide:
//! the comments are kept and come back with the article). Authorised by
//! `--publish-token`, which can publish and nothing else.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum::{Json, Router};
use serde_json::Value;

use crate::error::ApiError;
use crate::extract::{check_bearer, ApiJson, ApiPath, ClientKey, Origin};
use crate::import::{self, ImportError};
use crate::model::Article;
use crate::state::AppState;

/// What pushed articles are recorded as coming from.
pub const ORIGIN: &str = "push";

/// Largest article accepted (bodies with HTML can be long).
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// The publishing router, nested under `/api/v1/admin`.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/articles/{id}", put(upsert).delete(hide))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .route_layer(middleware::from_fn_with_state(state, require_token))
}

async fn require_token(
    State(state): State<AppState>,
    ClientKey(client): ClientKey,
    req: Request,
    next: Next,
) -> Response {
    let Some(expected) = state.publish_token.as_deref() else {
        return ApiError::PublishingDisabled.into_response();
    };
    if let Err(e) = check_bearer(&state, "publishing", req.headers(), &client, expected) {
        return e.into_response();
    }
    next.run(req).await
}

/// The fields of an article as the API names them (`docs/api.md`).
const ARTICLE_FIELDS: &[&str] = &[
    "id",
    "url",
    "title",
    "summary",
    "published_at",
    "updated_at",
    "author",
    "source",
    "section",
    "lang",
    "image",
    "body",
    "body_html",
    "comments_open",
];

/// `200` with the stored article (`201` when it is new).
async fn upsert(
    State(state): State<AppState>,
    Origin(origin): Origin,
    ApiPath(id): ApiPath<String>,
    ApiJson(mut body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Article>), ApiError> {
    let Some(fields) = body.as_object_mut() else {
        return Err(ApiError::BadJson("an article is a JSON object".into()));
    };
    // The path names the article; an id in the body must agree.
    match fields.get("id") {
        Some(Value::String(given)) if *given != id => {
            return Err(ApiError::BadRequest(format!(
                "the body's id {given:?} differs from the path's {id:?}"
            )))
        }
        Some(Value::String(_)) | None => {
            fields.insert("id".into(), Value::String(id.clone()));
        }
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "the body's id is {other}, not the path's {id:?} as a string"
            )))
        }
    }
    // One article, the path's: a body the import would read as a list
    // (`{"items": […]}`) would store others under this URL.
    if body.get("items").is_some() {
        return Err(ApiError::BadRequest(
            "one article a request: the body is a list (items)".into(),
        ));
    }
    // A value of the wrong type or a missing field is named, as a rule the
    // article breaks is (serde's own error names no field).
    if let Err(e) = serde_path_to_error::deserialize::<_, Article>(&body) {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let named = message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
            .unwrap_or_else(|| path.split(['.', '[']).next().unwrap_or_default());
        let field = ARTICLE_FIELDS
            .iter()
            .find(|f| **f == named)
            .copied()
            .unwrap_or("article");
        let mut fields = crate::comments::FieldErrors::new();
        let at = if path == "." { field.to_owned() } else { path };
        fields.insert(field, ("invalid", format!("{at}: {message}")));
        return Err(ApiError::Invalid(fields));
    }
    let articles = import::parse(&body.to_string()).map_err(|e| match e {
        ImportError::Invalid { invalid, .. } => {
            let mut fields = crate::comments::FieldErrors::new();
            fields.insert(invalid.field, ("invalid", invalid.problem));
            ApiError::Invalid(fields)
        }
        other => ApiError::BadJson(other.to_string()),
    })?;
    // One article, the path's: a body the import would read as a list
    // (`{"items": […]}`) would store others under this URL.
    if articles.len() != 1 || articles.iter().any(|a| a.id != id) {
        return Err(ApiError::BadRequest(
            "one article a request: the body is a list (items)".into(),
        ));
    }
    // A hidden article shown again by this PUT is replaced, not new.
    let existed = state.store.article_exists(&id).await?;
    state.store.upsert_articles(articles, Some(ORIGIN)).await?;
    let stored = state
        .store
        .article(&id)
        .await?
        .ok_or(ApiError::NotFound("article"))?;
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(stored.with_absolute_urls(&origin))))
}

/// `204`; the article and its comments stay stored, hidden.
async fn hide(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    if state.store.set_article_hidden(&id, true).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("article"))
    }
}
