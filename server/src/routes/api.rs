//! `/api/v1`: the JSON contract of `docs/api.md`, assembled from its parts.

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::routes::{articles, comments, config, moderation, publishing, send};
use crate::state::AppState;

/// The API router, to be nested under `/api/v1`.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/articles", get(articles::list))
        .route("/articles/{id}", get(articles::get))
        .route("/config", get(config::get))
        .route(
            "/articles/{id}/send",
            post(send::send).layer(DefaultBodyLimit::max(send::MAX_BODY)),
        )
        .route(
            "/articles/{id}/comments",
            get(comments::list)
                .post(comments::create)
                .layer(DefaultBodyLimit::max(comments::MAX_BODY)),
        )
        .nest(
            "/admin",
            moderation::router(state.clone()).merge(publishing::router(state)),
        )
}
