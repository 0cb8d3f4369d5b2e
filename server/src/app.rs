//! The whole application as one router, and serving it until shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::http::{header, Method};
use axum::http::{Extensions, HeaderMap, StatusCode, Version};
use axum::Router;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::metrics;
use crate::routes;
use crate::state::AppState;
use crate::transport;

/// Where the static files live.
#[derive(Debug, Clone)]
pub struct Assets {
    /// Demo host pages, served only with `--demo`.
    pub www: Option<PathBuf>,
    /// The built widget (loader, glue, wasm).
    pub widget: PathBuf,
}

/// The whole application: API under `/api/v1`, feeds, static files.
pub fn app(state: AppState, assets: &Assets) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::ACCEPT, header::IF_NONE_MATCH])
        .expose_headers([header::ETAG, header::RETRY_AFTER])
        .max_age(Duration::from_secs(86_400));
    let body_timeout = state.body_timeout;
    let record = axum::middleware::from_fn_with_state(state.metrics.clone(), metrics::record);
    let etag = axum::middleware::from_fn_with_state(
        routes::etag::cache_control(state.cdn_max_age),
        routes::etag::etag,
    );
    let feeds = routes::feeds::router()
        .route_layer(record.clone())
        .with_state(state.clone())
        .layer(etag.clone());
    // Counted too: the health checks, and the moderators' and readers'
    // pages (a burst of errors there shows in the metrics as in the API).
    let ops = routes::ops::router()
        .route_layer(record.clone())
        .with_state(state.clone());
    let mut admin_ui = crate::admin::router();
    if assets.www.is_some() {
        admin_ui = admin_ui.merge(crate::admin::demo_router());
    }
    let admin_ui = admin_ui
        .merge(crate::replies::pages::router())
        .route_layer(record.clone())
        .with_state(state.clone());
    // A path under /api/v1 that names nothing answers as the API does (its
    // JSON error, CORS), not as the site's pages: a widget newer than its
    // server hears "not found", not a network failure.
    let api = routes::api::router(state.clone())
        .fallback(|| async { crate::error::ApiError::NotFound("route") })
        .method_not_allowed_fallback(|| async { crate::error::ApiError::MethodNotAllowed })
        .route_layer(record)
        .with_state(state)
        .layer(etag)
        .layer(cors);
    Router::new()
        .nest("/api/v1", api)
        .merge(feeds)
        .merge(ops)
        .merge(admin_ui)
        .merge(routes::assets::router(
            assets.widget.clone(),
            assets.www.clone(),
        ))
        .layer(
            CompressionLayer::new().compress_when(DefaultPredicate::new().and(
                |_: StatusCode, _: Version, _: &HeaderMap, marks: &Extensions| {
                    marks.get::<crate::admin::Uncompressed>().is_none()
                },
            )),
        )
        .layer(axum::middleware::from_fn_with_state(
            body_timeout,
            transport::body_deadline,
        ))
        .layer(TraceLayer::new_for_http())
}

/// Binds `listen`, prints the URL, and serves until SIGTERM or Ctrl-C, letting
/// requests in flight finish. Slow and oversized request heads are cut by
/// `limits` (see [`transport`]). With `metrics_listen`, `/metrics` is
/// served there too.
pub async fn serve(
    listen: SocketAddr,
    metrics_listen: Option<SocketAddr>,
    state: AppState,
    assets: Assets,
    limits: transport::ConnLimits,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    if let Some(metrics_addr) = metrics_listen {
        let metrics_listener = tokio::net::TcpListener::bind(metrics_addr).await?;
        println!(
            "khabar-server metrics on http://{}/metrics",
            metrics_listener.local_addr()?
        );
        let router = routes::ops::metrics_router(state.clone());
        tokio::spawn(transport::serve(
            metrics_listener,
            router,
            limits,
            std::future::pending::<()>(),
        ));
    }
    let state = crate::notify::with_listen_address(state, addr);
    crate::notify::start_cursor(&state).await?;
    crate::jobs::spawn(state.clone());
    // Tests and `cargo xtask demo` read this line to find the port.
    println!("khabar-server listening on http://{addr}/");
    let background = state.background.clone();
    // On the signal, background work stops starting anything new at once,
    // while requests in flight finish.
    let signal = {
        let background = background.clone();
        async move {
            shutdown_signal().await;
            background.stop();
        }
    };
    transport::serve(listener, app(state, &assets), limits, signal).await;
    let left = background.drain(DRAIN_GRACE).await;
    if left > 0 {
        tracing::warn!(
            "shutting down with {left} background task(s) still running: \
             their jobs pass to the other instances when their claims end"
        );
    }
    tracing::info!("shut down cleanly");
    Ok(())
}

/// How long, once requests are done, the instance still waits for its
/// background work (a sync, a mail run, webhook deliveries) to end and
/// release its claims; that work has been winding down since the signal,
/// beside the requests. Inside `docker stop`'s 10 s when no request holds
/// the instance longer.
const DRAIN_GRACE: std::time::Duration = std::time::Duration::from_secs(8);

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
