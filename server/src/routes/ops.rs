//! For operators: `/healthz` (the database answers) and `/metrics`
//! (Prometheus), the latter on its own listener or behind a token.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::error::ApiError;
use crate::extract::{check_bearer, ClientKey};
use crate::state::AppState;

/// `/healthz` and, with `--metrics-token`, `/metrics` behind it.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_with_token))
}

/// `/metrics` alone, for `--metrics-listen` (an address only the
/// monitoring system reaches, so no token).
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// How long `/healthz` waits for the database: a database that hangs
/// (a lost network path, a lock) fails the check as one that refuses does.
const HEALTH_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// 200 `ok` when the database answers within [`HEALTH_WAIT`], 503
/// otherwise, so that a load balancer or Docker stops sending readers to
/// an instance that cannot serve them.
async fn healthz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(HEALTH_WAIT, state.store.article_count()).await {
        Ok(Ok(_)) => (StatusCode::OK, "ok\n").into_response(),
        Ok(Err(e)) => {
            tracing::error!("health check: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
        Err(_) => {
            tracing::error!("health check: the database did not answer within {HEALTH_WAIT:?}");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    match state.store.comment_counts().await {
        Ok(counts) => state.metrics.set_comment_counts(&counts),
        Err(e) => {
            tracing::warn!("metrics: counting comments: {e}");
            state.metrics.forget_comment_counts();
        }
    }
    let mut res = state.metrics.render().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    res
}

async fn metrics_with_token(
    State(state): State<AppState>,
    ClientKey(client): ClientKey,
    req: Request,
) -> Response {
    let Some(expected) = state.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match check_bearer(&state, "metrics", req.headers(), &client, expected) {
        Ok(()) => metrics(State(state)).await,
        // A scraper's 401 stays bare; a client past its wrong tokens gets
        // the API's 429 with Retry-After.
        Err(ApiError::Unauthorized) => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
