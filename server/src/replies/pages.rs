//! The pages the links in reply-notification mail open, in the reader's
//! language: `/replies/confirm` and `/replies/unsubscribe`. A GET shows one
//! button and changes nothing (mail scanners open links); the button POSTs.
//! The unsubscribe URL also takes RFC 8058's one-click POST, which mail
//! clients send with the token in the query and
//! `List-Unsubscribe=One-Click` as the body.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::admin::common::{templates, AdminError};
use crate::replies::words::{words, Words};
use crate::replies::{key, read_token, LinkKind};
use crate::state::AppState;
use crate::store::ReplySubscription;

/// The two pages, under the admin pages' security headers.
pub fn router() -> Router<AppState> {
    crate::admin::secured(
        Router::new()
            .route("/replies/confirm", get(show_confirm).post(confirm))
            .route("/replies/unsubscribe", get(show_stop).post(stop)),
    )
}

/// The token, from the query (links, one-click) or the form (buttons).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Token {
    #[serde(default)]
    t: String,
}

/// The subscription a token names, if it is ours and still exists.
async fn subscription(
    state: &AppState,
    token: &str,
    kind: LinkKind,
) -> Result<Option<ReplySubscription>, AdminError> {
    let key = key(state).await?;
    let Some(id) = read_token(&key, token, kind) else {
        return Ok(None);
    };
    Ok(state.store.reply_subscription(id).await?)
}

fn page(
    status: StatusCode,
    w: Words,
    heading: &str,
    form: Option<(LinkKind, &str, &str)>,
) -> Result<Response, AdminError> {
    let html = templates()
        .get_template("reply.html")?
        .render(minijinja::context! {
            lang => w.lang,
            dir => if w.rtl { "rtl" } else { "ltr" },
            heading => heading,
            action => form.map(|(kind, _, _)| kind.path()),
            token => form.map(|(_, token, _)| token),
            button => form.map(|(_, _, label)| label),
        })?;
    Ok((status, Html(html)).into_response())
}

/// A token that names nothing: 403 in the language the request prefers
/// among the six (English otherwise).
fn invalid(headers: &HeaderMap) -> Result<Response, AdminError> {
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let w = super::words::preferred(accept);
    page(StatusCode::FORBIDDEN, w, w.invalid, None)
}

async fn show_confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Token>,
) -> Result<Response, AdminError> {
    let Some(s) = subscription(&state, &q.t, LinkKind::Confirm).await? else {
        return invalid(&headers);
    };
    let w = words(&s.lang);
    if s.ended {
        return page(StatusCode::OK, w, w.stopped, None);
    }
    if s.confirmed {
        return page(StatusCode::OK, w, w.confirmed, None);
    }
    page(
        StatusCode::OK,
        w,
        w.confirm_heading,
        Some((LinkKind::Confirm, &q.t, w.confirm_button)),
    )
}

async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AdminError> {
    let form: Token = form_token(&body);
    let Some(s) = subscription(&state, &form.t, LinkKind::Confirm).await? else {
        return invalid(&headers);
    };
    let w = words(&s.lang);
    if !state.store.confirm_reply_subscription(s.id).await? {
        // Ended before it was confirmed: stays ended.
        return page(StatusCode::CONFLICT, w, w.stopped, None);
    }
    page(StatusCode::OK, w, w.confirmed, None)
}

async fn show_stop(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Token>,
) -> Result<Response, AdminError> {
    let Some(s) = subscription(&state, &q.t, LinkKind::Stop).await? else {
        return invalid(&headers);
    };
    let w = words(&s.lang);
    if s.ended {
        return page(StatusCode::OK, w, w.stopped, None);
    }
    page(
        StatusCode::OK,
        w,
        w.stop_heading,
        Some((LinkKind::Stop, &q.t, w.stop_button)),
    )
}

/// The button's POST (token in the form) or RFC 8058's one-click POST
/// (token in the query, `List-Unsubscribe=One-Click` in the body).
async fn stop(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Token>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let form = form_token(&body);
    let token = if form.t.is_empty() { q.t } else { form.t };
    let Some(s) = subscription(&state, &token, LinkKind::Stop).await? else {
        return invalid(&headers);
    };
    state.store.end_reply_subscription(s.id).await?;
    let w = words(&s.lang);
    page(StatusCode::OK, w, w.stopped, None)
}

/// The `t` field of a form body (other fields, such as RFC 8058's
/// `List-Unsubscribe`, are ignored).
fn form_token(body: &[u8]) -> Token {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == "t")
        .map(|(_, v)| Token { t: v.into_owned() })
        .unwrap_or_default()
}
