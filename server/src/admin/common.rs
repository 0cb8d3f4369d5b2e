//! What the moderation UI's modules share: its policies and security
//! headers, its error type, the templates and cookies. A leaf: the pages,
//! sign-in and languages import it; it imports none of them.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;

use crate::store::StoreError;

/// The Content-Security-Policy of every `/admin` answer: nothing but the
/// stylesheet and images of this origin, forms only to this origin, never
/// in a frame.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "khabar_session";
/// Name of the cookie holding the sign-in form's CSRF token (there is no
/// session yet to keep it in).
pub const LOGIN_CSRF_COOKIE: &str = "khabar_login_csrf";

/// Policies of the moderation UI.
#[derive(Debug, Clone)]
pub struct AdminSettings {
    /// Failed sign-ins (per account, and per client) before a lock.
    pub max_failures: u32,
    /// How long a lock lasts, and the window failures are counted in.
    pub lock_for: Duration,
    /// Delay after the first failed sign-in; each further one doubles it.
    pub failure_delay: Duration,
    /// How long a session lasts after sign-in.
    pub session_for: Duration,
    /// The install's HMAC key, once read from the database.
    pub(crate) secret: Arc<OnceLock<Vec<u8>>>,
    /// The install's key for readers' reply-notification links, once read.
    pub(crate) reply_key: Arc<OnceLock<Vec<u8>>>,
}

impl Default for AdminSettings {
    /// 5 failures, 15-minute locks, delays from 250 ms, 12-hour sessions.
    fn default() -> Self {
        AdminSettings {
            max_failures: 5,
            lock_for: Duration::from_secs(15 * 60),
            failure_delay: Duration::from_millis(250),
            session_for: Duration::from_secs(12 * 3600),
            secret: Arc::default(),
            reply_key: Arc::default(),
        }
    }
}

/// The query of a page a form redirects back to: `?done=N` says what the
/// form did (the page shows it once).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct DoneFlag {
    /// How many things the form changed, or 1/0 for done/not done.
    pub done: Option<u32>,
}

/// Every way a moderation page can fail.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// 403: no session, or a form without the session's CSRF token.
    #[error("forbidden")]
    Forbidden,
    /// 404.
    #[error("not found")]
    NotFound,
    /// 400: a form that does not make sense.
    #[error("bad form: {0}")]
    BadForm(&'static str),
    /// A name or password `admin add` refuses.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// 500: hashing a password failed.
    #[error("password hashing: {0}")]
    Hash(String),
    /// 500: the operating system's random generator failed.
    #[error("random generator: {0}")]
    Random(String),
    /// 500: a template did not render.
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
    /// 500: storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let status = match &self {
            AdminError::Forbidden => StatusCode::FORBIDDEN,
            AdminError::NotFound => StatusCode::NOT_FOUND,
            AdminError::BadForm(_) | AdminError::Account(_) => StatusCode::BAD_REQUEST,
            _ => {
                tracing::error!("admin: {self}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let body = templates()
            .get_template("error.html")
            .and_then(|t| {
                t.render(minijinja::context! {
                    status => status.as_u16(),
                    reason => status.canonical_reason().unwrap_or(""),
                    // Which field of a refused form, so the moderator knows what to fix.
                    field => match &self {
                        AdminError::BadForm(field) => Some(*field),
                        _ => None,
                    },
                })
            })
            .unwrap_or_else(|_| status.to_string());
        (status, Html(body)).into_response()
    }
}

/// The templates, parsed once.
pub(crate) fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        let sources: [(&str, &str); 15] = [
            ("base.html", include_str!("../../templates/admin/base.html")),
            (
                "login.html",
                include_str!("../../templates/admin/login.html"),
            ),
            ("link.html", include_str!("../../templates/admin/link.html")),
            (
                "paging.html",
                include_str!("../../templates/admin/paging.html"),
            ),
            (
                "rejected.html",
                include_str!("../../templates/admin/rejected.html"),
            ),
            (
                "blocks.html",
                include_str!("../../templates/admin/blocks.html"),
            ),
            (
                "reply.html",
                include_str!("../../templates/admin/reply.html"),
            ),
            (
                "outbox.html",
                include_str!("../../templates/admin/outbox.html"),
            ),
            (
                "queue.html",
                include_str!("../../templates/admin/queue.html"),
            ),
            (
                "comments.html",
                include_str!("../../templates/admin/comments.html"),
            ),
            (
                "articles.html",
                include_str!("../../templates/admin/articles.html"),
            ),
            (
                "article.html",
                include_str!("../../templates/admin/article.html"),
            ),
            (
                "audit.html",
                include_str!("../../templates/admin/audit.html"),
            ),
            (
                "webhooks.html",
                include_str!("../../templates/admin/webhooks.html"),
            ),
            (
                "error.html",
                include_str!("../../templates/admin/error.html"),
            ),
        ];
        for (name, source) in sources {
            if let Err(e) = env.add_template(name, source) {
                tracing::error!("admin template {name}: {e}");
            }
        }
        env
    })
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Why `khabar-server admin add` refused a name or password.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountError {
    /// Names are 1–64 of a–z, A–Z, 0–9, `.`, `_`, `-`.
    #[error("a moderator name is 1–64 of a–z, A–Z, 0–9, '.', '_', '-'")]
    BadName,
    /// `api` and `cli` are how the audit log names the token API and the
    /// command line: a moderator under either name would pass for them.
    #[error("'api' and 'cli' name the token API and the command line in the audit log; choose another name")]
    ReservedName,
    /// Passwords have at least [`MIN_PASSWORD`] characters.
    #[error("a password has at least {MIN_PASSWORD} characters")]
    ShortPassword,
}

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;
