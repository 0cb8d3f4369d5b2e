//! khabar-server: the reference backend of the Khabar widget.
//!
//! An axum application over an embedded SQLite database. `app` builds the
//! router (used as-is by the tests), `serve` runs it until SIGTERM/Ctrl-C.

pub mod comments;
pub mod db;
pub mod error;
pub mod feeds;
pub mod import;
pub mod mail;
pub mod model;
pub mod ratelimit;
pub mod routes;
pub mod transport;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::http::{header, Method};
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub pool: db::Pool,
    /// Moderation policy for new comments.
    pub moderation: comments::Moderation,
    /// Bearer token of the moderation API; `None` disables it.
    pub admin_token: Option<String>,
    /// Per-client limit on new comments.
    pub comment_limit: std::sync::Arc<ratelimit::RateLimit>,
    /// Take the client address from `X-Forwarded-For` (behind a proxy).
    pub trust_proxy: bool,
    /// SMTP sender for "send to a friend"; `None` disables it.
    pub mailer: Option<std::sync::Arc<mail::Mailer>>,
    /// Per-client limit on e-mails sent.
    pub send_limit: std::sync::Arc<ratelimit::RateLimit>,
    /// The site's name, in feeds, e-mails and printouts.
    pub site_name: String,
    /// Public origin of this server (`https://news.example`), used to make
    /// root-relative image URLs absolute; `None`: taken from the request.
    pub public_url: Option<String>,
    /// Time a request body may take to arrive completely (`408` after).
    pub body_timeout: Duration,
}

impl AppState {
    /// State with the defaults of the command line: pre-moderation, no
    /// admin API, 5 comments per minute per client.
    pub fn new(pool: db::Pool) -> AppState {
        AppState {
            pool,
            moderation: comments::Moderation::Pre,
            admin_token: None,
            comment_limit: std::sync::Arc::new(ratelimit::RateLimit::new(
                5,
                Duration::from_secs(60),
            )),
            trust_proxy: false,
            mailer: None,
            send_limit: std::sync::Arc::new(ratelimit::RateLimit::new(5, Duration::from_secs(600))),
            site_name: "Khabar".to_owned(),
            public_url: None,
            body_timeout: Duration::from_secs(15),
        }
    }
}

/// Where the static files live.
#[derive(Debug, Clone)]
pub struct Assets {
    /// Demo host pages.
    pub www: PathBuf,
    /// The built widget (loader, glue, wasm).
    pub widget: PathBuf,
}

/// The whole application: API under `/api/v1`, static files elsewhere.
pub fn app(state: AppState, assets: &Assets) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::ACCEPT, header::IF_NONE_MATCH])
        .expose_headers([header::ETAG, header::RETRY_AFTER])
        .max_age(Duration::from_secs(86_400));
    let body_timeout = state.body_timeout;
    let feeds = routes::site::feed_router()
        .with_state(state.clone())
        .layer(axum::middleware::from_fn(routes::etag::etag));
    let api = routes::api::router()
        .nest("/admin", routes::admin::router(state.clone()))
        .with_state(state)
        .layer(axum::middleware::from_fn(routes::etag::etag))
        .layer(cors);
    Router::new()
        .nest("/api/v1", api)
        .merge(feeds)
        .merge(routes::assets::router(
            assets.www.clone(),
            assets.widget.clone(),
        ))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            body_timeout,
            transport::body_deadline,
        ))
        .layer(TraceLayer::new_for_http())
}

/// Binds `listen`, prints the URL, and serves until SIGTERM or Ctrl-C, letting
/// requests in flight finish. Slow and oversized request heads are cut by
/// `limits` (see [`transport`]).
pub async fn serve(
    listen: SocketAddr,
    state: AppState,
    assets: Assets,
    limits: transport::ConnLimits,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    // Tests and `cargo xtask demo` read this line to find the port.
    println!("khabar-server listening on http://{addr}/");
    transport::serve(listener, app(state, &assets), limits, shutdown_signal()).await;
    tracing::info!("shut down cleanly");
    Ok(())
}

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
