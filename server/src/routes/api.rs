//! `/api/v1`: the JSON contract of `docs/api.md`, assembled from its parts.

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::error::ApiError;
use crate::routes::{articles, comments, config, counts, moderation, publishing, send, threads};
use crate::state::AppState;

/// The API router, to be nested under `/api/v1`.
pub fn router(state: AppState) -> Router<AppState> {
    // Writes readers make from a page: with `--site`, only from its pages.
    let from_site = middleware::from_fn_with_state(state.clone(), require_site_origin);
    Router::new()
        .route("/articles", get(articles::list))
        .route("/articles/{id}", get(articles::get))
        .route("/config", get(config::get))
        .route("/counts", get(counts::get))
        .route(
            "/articles/{id}/send",
            post(send::send).layer(DefaultBodyLimit::max(send::MAX_BODY)),
        )
        .route(
            "/comments",
            get(threads::list)
                .post(threads::create)
                .layer(DefaultBodyLimit::max(comments::MAX_BODY)),
        )
        .route("/comments/{id}/replies", get(comments::replies))
        .route(
            "/articles/{id}/comments",
            get(comments::list)
                .post(comments::create)
                .layer(DefaultBodyLimit::max(comments::MAX_BODY)),
        )
        // Every route above: the middleware only stops writes.
        .route_layer(from_site)
        .nest(
            "/admin",
            moderation::router(state.clone()).merge(publishing::router(state)),
        )
}

/// With `--site`: a browser request (it carries `Origin`) that writes
/// (anything but GET/HEAD/OPTIONS) from another origin gets `403
/// origin_not_allowed` — with CORS headers, so the widget can read it and
/// show that the embed is misconfigured. Requests without `Origin` (server
/// to server) and all reads stay open.
async fn require_site_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let writes = !matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    if writes && !state.sites.is_empty() {
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let allowed = origin.to_str().is_ok_and(|o| state.sites.allows_origin(o));
            if !allowed {
                return ApiError::OriginNotAllowed.into_response();
            }
        }
    }
    next.run(req).await
}
