//! `GET /articles` (newest first, keyset-paged) and `GET /articles/{id}`.

use axum::extract::State;
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Origin};
use crate::model::{absolute, Article, ArticleSummary, Page};
use crate::state::AppState;
use crate::store::ListQuery;

// Shared with the widget; a larger `limit` is capped, not refused.
use khabar_rules::{ARTICLE_LIST_DEFAULT as DEFAULT_LIMIT, ARTICLE_LIST_MAX as MAX_LIMIT};

#[derive(Debug, Deserialize)]
pub(crate) struct ListParams {
    #[serde(default, deserialize_with = "crate::extract::page_size")]
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
    // PostgreSQL refuses a NUL in text: a cursor with one is no cursor.
    if id.contains('\0') {
        return None;
    }
    Some((ts.parse().ok()?, id.to_owned()))
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Origin(origin): Origin,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Page<ArticleSummary>>, ApiError> {
    let after = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => {
            Some(decode_cursor(c).ok_or_else(|| ApiError::BadRequest("invalid cursor".into()))?)
        }
        None => None,
    };
    // A language tag's letters, digits and hyphens only: anything else
    // matches no stored tag, and `%` or `_` would be the filter's wildcards.
    let lang = p.lang.filter(|s| !s.is_empty());
    if lang
        .as_deref()
        .is_some_and(|l| l.len() > 35 || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err(ApiError::BadRequest(
            "lang is a language tag (ar, ar-EG)".into(),
        ));
    }
    let query = ListQuery {
        limit: p.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
        after,
        section: p.section.filter(|s| !s.is_empty()),
        lang,
    };
    let (items, next) = state.store.list_articles(query).await?;
    let items = items
        .into_iter()
        .map(|mut a| {
            a.url = absolute(&a.url, &origin);
            a.image = a.image.map(|i| i.absolute(&origin));
            a
        })
        .collect();
    Ok(Json(Page {
        items,
        next: next.map(|(ts, id)| encode_cursor(ts, &id)),
    }))
}

pub(crate) async fn get(
    State(state): State<AppState>,
    Origin(origin): Origin,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Article>, ApiError> {
    state
        .store
        .article(&id)
        .await?
        // A page known only by its URL is no article: its title is a
        // reader's (maybe one still waiting for a moderator).
        .filter(|a| !crate::threads::is_thread(a))
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
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("1:a\0b")), None);
    }
}
