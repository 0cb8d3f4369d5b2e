//! The moderation web UI at `/admin`: pages rendered on the server
//! (minijinja templates in `server/templates/admin/`, compiled into the
//! binary), usable without JavaScript, in Arabic and English, under a
//! strict Content-Security-Policy.
//!
//! Moderators are added with `khabar-server admin add NAME`; they sign in
//! with a password (see [`auth`]) and get a session cookie (`HttpOnly`,
//! `SameSite=Lax`, `Secure` over https). Every form carries the
//! session's CSRF token, checked on every POST. Every moderation action
//! is written to the audit log. The bearer-token JSON API
//! (`/api/v1/admin`) stays for scripts. See `docs/moderation.md`.

pub mod auth;
mod block_pages;
pub mod client;
pub mod common;
mod deliveries;
pub mod i18n;
mod link_pages;
pub mod links;
mod pages;
mod paging;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;

pub use auth::valid_name;
pub use client::client_hmac;
pub use common::{
    cookie, AccountError, AdminError, AdminSettings, CSP, LOGIN_CSRF_COOKIE, MIN_PASSWORD,
    SESSION_COOKIE,
};
pub(crate) use pages::shown_time;

/// The `/admin` router, with its security headers.
pub fn router() -> Router<AppState> {
    secured(
        Router::new()
            .route("/admin", get(pages::home))
            .route("/admin/", get(pages::home))
            .route("/admin/login", get(pages::login_form).post(pages::login))
            .route("/admin/logout", post(pages::logout))
            .route("/admin/lang", get(pages::set_lang))
            .route("/admin/queue", get(pages::queue))
            .route("/admin/rejected", get(pages::rejected))
            .route(
                "/admin/blocks",
                get(block_pages::list).post(block_pages::add),
            )
            .route("/admin/blocks/remove", post(block_pages::remove))
            .route("/admin/comments", post(pages::act_on_comments))
            .route("/admin/articles", get(pages::articles))
            .route("/admin/articles/{id}", get(pages::article))
            .route("/admin/articles/{id}/open", post(pages::set_open))
            .route("/admin/audit", get(pages::audit_page))
            .route("/admin/outbox", get(pages::outbox_page))
            .route("/admin/webhooks", get(deliveries::list))
            .route("/admin/webhooks/{id}/retry", post(deliveries::retry))
            .route("/admin/link", get(link_pages::show).post(link_pages::act))
            .route("/admin/static/admin.css", get(pages::stylesheet))
            .route("/admin/static/icon.svg", get(pages::icon))
            .layer(axum::middleware::from_fn(refuse_nul)),
    )
}

/// The largest form a moderation page sends (a queue page's ids, a
/// block's note) is far below this.
const FORM_MAX: usize = 256 * 1024;

/// `400` for an address or a form that decodes to a NUL character
/// (`%00`): no id, search or value holds one, and PostgreSQL refuses it
/// in text (a `500` where SQLite answers).
async fn refuse_nul(req: Request, next: Next) -> Response {
    let has_nul = crate::extract::has_nul;
    let uri = req.uri();
    if has_nul(uri.path().as_bytes()) || uri.query().is_some_and(|q| has_nul(q.as_bytes())) {
        return common::AdminError::BadForm("NUL (%00)").into_response();
    }
    if req.method() != axum::http::Method::POST {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, FORM_MAX).await else {
        return common::AdminError::BadForm("size").into_response();
    };
    if has_nul(&bytes) {
        return common::AdminError::BadForm("NUL (%00)").into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// The demo's read-only view of the mail outbox, `/demo/outbox` (merged
/// only with `--demo`: anyone may read it).
pub fn demo_router() -> Router<AppState> {
    secured(Router::new().route("/demo/outbox", get(pages::demo_outbox_page)))
}

/// Marks a response the server sends uncompressed: a page holding a
/// secret (the CSRF token) beside text an attacker chooses (a search, a
/// comment) would let its compressed size tell the secret (BREACH).
#[derive(Debug, Clone, Copy)]
pub struct Uncompressed;

/// `routes` under the admin pages' security headers, never compressed.
pub(crate) fn secured(routes: Router<AppState>) -> Router<AppState> {
    routes
        .layer(axum::middleware::map_response(
            |mut res: Response| async move {
                res.extensions_mut().insert(Uncompressed);
                res
            },
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}
