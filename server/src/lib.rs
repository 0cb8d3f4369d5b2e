//! khabar-server: the reference backend of the Khabar widget.
//!
//! An axum application over one storage interface ([`store::Store`]; SQLite
//! by default). [`app::app`] builds the router (used as-is by the tests),
//! [`app::serve`] runs it until SIGTERM/Ctrl-C. The layers are described
//! in `docs/architecture.md`.

pub mod admin;
pub mod app;
pub mod audit;
pub mod audit_detail;
pub mod background;
pub mod blocks;
pub mod comment_import;
pub mod comments;
pub mod error;
pub mod extract;
pub mod feeds;
pub mod import;
pub mod jobs;
pub mod mail;
pub mod mailer;
pub mod metrics;
pub mod model;
pub mod notify;
pub mod proxy;
pub mod ratelimit;
pub mod replies;
pub mod routes;
pub mod signed;
pub mod state;
pub mod store;
pub mod sync;
pub mod threads;
pub mod transport;
pub mod webhooks;

pub use app::{app, serve, Assets};
pub use state::AppState;
