//! The pages signed e-mail links open (`/admin/link?t=…`): a GET shows the
//! comment and one button, changing nothing (mail scanners follow links);
//! the button's POST does what the link says, if the comment still waits.
//! The link itself is the credential: no session is needed, and the audit
//! log names the way in and whose mail it was ("e-mail link
//! (desk@news.example)").

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use minijinja::value::Serde;
use serde::Deserialize;

use crate::admin::common::AdminError;
use crate::admin::i18n::Lang;
use crate::admin::links::{self, Link, LinkError};
use crate::admin::pages::{render, shown_time, urlencode};
use crate::state::AppState;
use crate::store::{Act, Status};

/// Who the audit log says acted through a link.
pub const LINK_MODERATOR: &str = "e-mail link";

/// The token, in the query of the GET and the form of the POST.
#[derive(Debug, Deserialize)]
pub(crate) struct Token {
    #[serde(default)]
    t: String,
}

fn now_secs() -> i64 {
    crate::store::now_ms() / 1000
}

/// A page of `link.html` with `status`.
fn page(
    status: StatusCode,
    lang: Lang,
    uri: &Uri,
    extra: minijinja::Value,
) -> Result<Response, AdminError> {
    let html: Html<String> = render("link.html", lang, uri, None, extra)?;
    Ok((status, html).into_response())
}

/// A page that only says the text `key`, with `status`.
fn said(
    status: StatusCode,
    lang: Lang,
    uri: &Uri,
    key: &'static str,
) -> Result<Response, AdminError> {
    page(
        status,
        lang,
        uri,
        minijinja::context! { heading => lang.text(key), page => "link" },
    )
}

/// A refused link: 403 when it is not ours, 410 when it expired.
fn refused(e: LinkError, lang: Lang, uri: &Uri) -> Result<Response, AdminError> {
    let (status, key) = match e {
        LinkError::Invalid => (StatusCode::FORBIDDEN, "link_invalid"),
        LinkError::Expired => (StatusCode::GONE, "link_expired"),
    };
    said(status, lang, uri, key)
}

/// Checks the token; the link, or the page that refuses it.
async fn checked(
    state: &AppState,
    token: &str,
    lang: Lang,
    uri: &Uri,
) -> Result<Result<Link, Response>, AdminError> {
    let key = links::key(state).await?;
    match links::verify(&key, token, now_secs()) {
        Ok(link) => Ok(Ok(link)),
        Err(e) => Ok(Err(refused(e, lang, uri)?)),
    }
}

/// `GET /admin/link?t=…`: the comment and the one button; changes nothing.
pub(crate) async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<Token>,
) -> Result<Response, AdminError> {
    let lang = Lang::of_request(&headers);
    let link = match checked(&state, &q.t, lang, &uri).await? {
        Ok(link) => link,
        Err(refusal) => return Ok(refusal),
    };
    let Some(c) = state.store.comment(link.comment_id).await? else {
        return said(StatusCode::NOT_FOUND, lang, &uri, "link_gone");
    };
    let title = state
        .store
        .article(&c.article_id)
        .await?
        .map_or_else(|| c.article_id.clone(), |a| a.title);
    let waiting = c.status == "pending";
    let (heading, button) = match link.action {
        links::LinkAction::Approve => ("link_approve_title", "link_approve_button"),
        links::LinkAction::Reject => ("link_reject_title", "link_reject_button"),
    };
    let time = shown_time(&c.comment.created_at);
    page(
        StatusCode::OK,
        lang,
        &uri,
        minijinja::context! {
            heading => lang.text(heading),
            message => (!waiting).then(|| lang.text("link_decided")),
            c => Serde(&c),
            article_title => title,
            time => time,
            token => waiting.then_some(q.t.as_str()),
            button => lang.text(button),
            button_class => link.action.as_str(),
            page => "link",
        },
    )
}

/// `POST /admin/link` (form `t`): does what the link says if the comment
/// still waits; otherwise changes nothing and says so (409).
pub(crate) async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<Token>,
) -> Result<Response, AdminError> {
    let lang = Lang::of_request(&headers);
    // The answer's language link leads back to the link's own page (a GET,
    // which changes nothing), not to this address, which has no token.
    let uri = format!("/admin/link?t={}", urlencode(&form.t))
        .parse::<Uri>()
        .unwrap_or(uri);
    let link = match checked(&state, &form.t, lang, &uri).await? {
        Ok(link) => link,
        Err(refusal) => return Ok(refusal),
    };
    let Some(c) = state.store.comment(link.comment_id).await? else {
        return said(StatusCode::NOT_FOUND, lang, &uri, "link_gone");
    };
    if c.status != "pending" {
        return said(StatusCode::CONFLICT, lang, &uri, "link_decided");
    }
    // Decided in the queue since the check above: the link changes nothing.
    let act = Act::Set {
        to: link.action.status(),
        from: Some(Status::Pending),
    };
    let action = format!("{}_link", link.action.as_str());
    // Whose mail it was: anyone holding the mail can act, so this names
    // the inbox, not a person signed in.
    let by = match &link.to {
        Some(to) => format!("{LINK_MODERATOR} ({to})"),
        None => LINK_MODERATOR.to_owned(),
    };
    let line = crate::audit::line(&by, &action);
    if state
        .store
        .moderate(link.comment_id, act, line)
        .await?
        .is_none()
    {
        return said(StatusCode::CONFLICT, lang, &uri, "link_decided");
    }
    let done = match link.action {
        links::LinkAction::Approve => "link_done_approve",
        links::LinkAction::Reject => "link_done_reject",
    };
    said(StatusCode::OK, lang, &uri, done)
}
