//! `GET /api/v1/config`, `POST /api/v1/articles/{id}/send`, and the feeds
//! (`/feed.xml`, `/feed.json`, `/sections/{section}/feed.{xml,json}`).

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::db;
use crate::error::ApiError;
use crate::feeds::{self, Site};
use crate::mail;
use crate::routes::api::origin;
use crate::routes::comments::{body_rejected, client_key, error, invalid, rate_limited};
use crate::AppState;

/// `GET /config`: what this backend can do, for the widget.
pub(crate) async fn config(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let origin = origin(&state, &headers);
    Json(json!({
        "site_name": state.site_name,
        "capabilities": {
            "comments": true,
            "send_to_friend": state.mailer.is_some(),
        },
        "feeds": {
            "rss": format!("{origin}/feed.xml"),
            "json": format!("{origin}/feed.json"),
        },
    }))
}

/// `POST /articles/{id}/send`.
pub(crate) async fn send(
    State(state): State<AppState>,
    Path(article_id): Path<String>,
    req: Request,
) -> Response {
    let Some(mailer) = state.mailer.clone() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "send_disabled",
            "This server does not send e-mail (no --smtp-url).",
            None,
        );
    };
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let client = client_key(&state, req.headers(), peer);
    // The link in the e-mail points where this request came from.
    let origin = origin(&state, req.headers());
    let parsed =
        <Json<mail::SendRequest> as axum::extract::FromRequest<()>>::from_request(req, &()).await;
    let input = match parsed {
        Ok(Json(input)) => input,
        Err(e) => return body_rejected(&e),
    };
    let clean = match mail::validate(&input) {
        Ok(c) => c,
        Err(fields) => return invalid(fields),
    };
    let pool = state.pool.clone();
    let article = tokio::task::spawn_blocking(move || {
        let conn = pool.get().map_err(db::DbError::from)?;
        db::get_article(&conn, &article_id)
    })
    .await;
    let article = match article {
        Ok(Ok(Some(a))) => a.with_absolute_urls(&origin),
        Ok(Ok(None)) => {
            return error(
                StatusCode::NOT_FOUND,
                "not_found",
                "article not found",
                None,
            )
        }
        Ok(Err(e)) => return ApiError::Internal(e).into_response(),
        Err(e) => return ApiError::Join(e).into_response(),
    };
    let message = match mail::compose(&mailer.from, &state.site_name, &article, &clean) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!("composing mail: {e}");
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "An address was refused.",
                None,
            );
        }
    };
    // Counted only when a message would really leave: mistakes cost nothing.
    if let Err(wait) = state.send_limit.check(&client, Instant::now()) {
        return rate_limited(wait, "Too many e-mails; try later.");
    }
    match mailer.send(message).await {
        Ok(()) => (StatusCode::ACCEPTED, Json(json!({ "status": "sent" }))).into_response(),
        Err(e) => {
            tracing::error!("sending mail: {e}");
            error(
                StatusCode::BAD_GATEWAY,
                "mail_failed",
                "The mail server did not take the message.",
                None,
            )
        }
    }
}

/// The feed routes, at the site root.
pub fn feed_router() -> Router<AppState> {
    Router::new()
        .route("/feed.xml", get(|s, h| feed(s, h, None, Format::Rss)))
        .route("/feed.json", get(|s, h| feed(s, h, None, Format::Json)))
        .route(
            "/sections/{section}/feed.xml",
            get(|s, h, Path(section): Path<String>| feed(s, h, Some(section), Format::Rss)),
        )
        .route(
            "/sections/{section}/feed.json",
            get(|s, h, Path(section): Path<String>| feed(s, h, Some(section), Format::Json)),
        )
}

#[derive(Clone, Copy)]
enum Format {
    Rss,
    Json,
}

async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    section: Option<String>,
    format: Format,
) -> Result<Response, ApiError> {
    let origin = origin(&state, &headers);
    let pool = state.pool.clone();
    let wanted = section.clone();
    let articles = tokio::task::spawn_blocking(move || {
        let conn = pool.get().map_err(db::DbError::from)?;
        db::recent_articles(&conn, wanted.as_deref(), feeds::FEED_SIZE)
    })
    .await??;
    if section.is_some() && articles.is_empty() {
        return Err(ApiError::NotFound("section"));
    }
    let articles: Vec<_> = articles
        .into_iter()
        .map(|a| a.with_absolute_urls(&origin))
        .collect();
    let site = Site {
        name: &state.site_name,
        origin: &origin,
    };
    let title = match &section {
        Some(s) => format!("{} — {s}", state.site_name),
        None => state.site_name.clone(),
    };
    let base = match &section {
        Some(s) => format!("{origin}/sections/{s}/feed"),
        None => format!("{origin}/feed"),
    };
    Ok(match format {
        Format::Rss => (
            [(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")],
            feeds::rss(&site, &format!("{base}.xml"), &title, &articles),
        )
            .into_response(),
        Format::Json => (
            [(header::CONTENT_TYPE, "application/feed+json; charset=utf-8")],
            feeds::json_feed(&site, &format!("{base}.json"), &title, &articles).to_string(),
        )
            .into_response(),
    })
}
