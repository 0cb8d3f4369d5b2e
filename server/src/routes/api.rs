//! `/api/v1`: the JSON contract of `docs/api.md`.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use crate::db::{self, ListQuery};
use crate::error::ApiError;
use crate::model::{Article, ArticleSummary, Page};
use crate::AppState;

/// Default and maximum page sizes of `GET /articles`.
pub const DEFAULT_LIMIT: u32 = 10;
/// Largest `limit` honoured; larger values are capped, not refused.
pub const MAX_LIMIT: u32 = 50;

/// The API router, to be nested under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/articles", get(list_articles))
        .route("/articles/{id}", get(get_article))
        .route("/config", get(crate::routes::site::config))
        .route(
            "/articles/{id}/send",
            axum::routing::post(crate::routes::site::send)
                .layer(axum::extract::DefaultBodyLimit::max(16 * 1024)),
        )
        .route(
            "/articles/{id}/comments",
            get(crate::routes::comments::list)
                .post(crate::routes::comments::create)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::routes::comments::MAX_BODY,
                )),
        )
}

#[derive(Debug, Deserialize)]
struct ListParams {
    limit: Option<u32>,
    cursor: Option<String>,
    section: Option<String>,
    lang: Option<String>,
}

/// Encodes a list position as an opaque cursor.
pub fn encode_cursor(ts: i64, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{ts}:{id}"))
}

/// Decodes a cursor made by [`encode_cursor`].
pub fn decode_cursor(cursor: &str) -> Option<(i64, String)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let (ts, id) = raw.split_once(':')?;
    Some((ts.parse().ok()?, id.to_owned()))
}

/// The origin image paths are resolved against: `--public-url`, else the
/// scheme and host the request came with.
pub fn origin(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

async fn list_articles(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<ListParams>,
) -> Result<Json<Page<ArticleSummary>>, ApiError> {
    let after = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => {
            Some(decode_cursor(c).ok_or_else(|| ApiError::BadRequest("invalid cursor".into()))?)
        }
        None => None,
    };
    let q = ListQuery {
        limit: p.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
        after,
        section: p.section.filter(|s| !s.is_empty()),
        lang: p.lang.filter(|s| !s.is_empty()),
    };
    let pool = state.pool.clone();
    let (items, next) = tokio::task::spawn_blocking(move || {
        let conn = pool.get().map_err(db::DbError::from)?;
        db::list_articles(&conn, &q)
    })
    .await??;
    let origin = origin(&state, &headers);
    let items = items
        .into_iter()
        .map(|mut a| {
            a.url = crate::model::absolute(&a.url, &origin);
            a.image = a.image.map(|i| i.absolute(&origin));
            a
        })
        .collect();
    Ok(Json(db::page(
        items,
        next.map(|(ts, id)| encode_cursor(ts, &id)),
    )))
}

async fn get_article(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Article>, ApiError> {
    let origin = origin(&state, &headers);
    let pool = state.pool.clone();
    let article = tokio::task::spawn_blocking(move || {
        let conn = pool.get().map_err(db::DbError::from)?;
        db::get_article(&conn, &id)
    })
    .await??;
    article
        .map(|a| Json(a.with_absolute_urls(&origin)))
        .ok_or(ApiError::NotFound("article"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = encode_cursor(1_483_255_868, "2017-01-01-astana");
        assert_eq!(
            decode_cursor(&c),
            Some((1_483_255_868, "2017-01-01-astana".into()))
        );
        assert_eq!(decode_cursor("!!"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("x:y")), None);
    }
}
