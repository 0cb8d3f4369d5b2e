//! The feeds at the site root: `/feed.xml`, `/feed.json` and
//! `/sections/{section}/feed.{xml,json}`.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::error::ApiError;
use crate::extract::Origin;
use crate::feeds::{self, FeedIds, Site};
use crate::state::AppState;

/// The feed routes, at the site root.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feed.xml", get(|s, o| feed(s, o, None, Format::Rss)))
        .route("/feed.json", get(|s, o| feed(s, o, None, Format::Json)))
        .route(
            "/sections/{section}/feed.xml",
            get(|s, o, p: SectionPath| feed(s, o, Some(p), Format::Rss)),
        )
        .route(
            "/sections/{section}/feed.json",
            get(|s, o, p: SectionPath| feed(s, o, Some(p), Format::Json)),
        )
}

/// A section's name from the path: one that is not text (`%FF`) names no
/// section, which is `404`, not the router's plain-text `400`.
type SectionPath = Result<Path<String>, PathRejection>;

#[derive(Clone, Copy)]
enum Format {
    Rss,
    Json,
}

async fn feed(
    State(state): State<AppState>,
    Origin(origin): Origin,
    section: Option<SectionPath>,
    format: Format,
) -> Result<Response, ApiError> {
    let section = match section {
        Some(Ok(Path(s))) => Some(s),
        Some(Err(_)) => return Err(ApiError::NotFound("section")),
        None => None,
    };
    // No section is named with a NUL (which PostgreSQL refuses in text).
    if section.as_deref().is_some_and(|s| s.contains('\0')) {
        return Err(ApiError::NotFound("section"));
    }
    let articles = state
        .store
        .recent_articles(section.clone(), feeds::FEED_SIZE)
        .await?;
    if section.is_some() && articles.is_empty() {
        return Err(ApiError::NotFound("section"));
    }
    // The URLs as stored, before they are made absolute.
    let first = state
        .store
        .first_by_url(articles.iter().map(|a| a.url.clone()).collect())
        .await?;
    let later = FeedIds::later(&articles, &first);
    let articles: Vec<_> = articles
        .into_iter()
        .map(|a| a.with_absolute_urls(&origin))
        .collect();
    let ids = FeedIds::new(&articles, &later);
    let site = Site {
        name: &state.site_name,
        origin: &origin,
        home: format!(
            "{}/",
            state.sites.first_origin().as_deref().unwrap_or(&origin)
        ),
    };
    let title = match &section {
        Some(s) => format!("{} — {s}", state.site_name),
        None => state.site_name.clone(),
    };
    let base = match &section {
        Some(s) => format!("{origin}/sections/{}/feed", path_segment(s)),
        None => format!("{origin}/feed"),
    };
    Ok(match format {
        Format::Rss => (
            [(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")],
            feeds::rss(&site, &format!("{base}.xml"), &title, &articles, &ids),
        )
            .into_response(),
        Format::Json => (
            [(header::CONTENT_TYPE, "application/feed+json; charset=utf-8")],
            feeds::json_feed(&site, &format!("{base}.json"), &title, &articles, &ids).to_string(),
        )
            .into_response(),
    })
}

/// Bytes a section name keeps as they are in a URL path segment (RFC 3986's
/// unreserved); the rest are escaped, so `الرياضة` or `a/b c` is one
/// segment a feed reader can ask for again.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `section` as one percent-encoded path segment.
fn path_segment(section: &str) -> String {
    percent_encoding::utf8_percent_encode(section, SEGMENT).to_string()
}
