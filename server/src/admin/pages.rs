//! The handlers of the moderation pages.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use crate::admin::auth::{self, SignIn};
use crate::admin::common::{cookie, templates, AdminError, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::admin::i18n::{Lang, LANG_COOKIE};
use crate::admin::paging::{self, Cursor};
use crate::extract::{same_secret, ClientKey};
use crate::routes::articles::{decode_cursor, encode_cursor};
use crate::state::AppState;
use crate::store::{Act, Keyset, ModComment, ModQuery, Status};

/// Most comments or audit lines one page shows.
const PAGE_ROWS: u32 = 200;

/// A signed-in moderator: the session the request's cookie names. A GET
/// without one is sent to the sign-in page; anything else is refused (403).
pub(crate) struct Signed {
    moderator: String,
    csrf: String,
    token_hash: String,
    /// Whether mail goes to the outbox (its page is then in the menu).
    outbox_on: bool,
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let found = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(token) => {
                let hash = auth::token_hash(&token);
                state
                    .store
                    .session(&hash)
                    .await
                    .map_err(|e| AdminError::from(e).into_response())?
                    .map(|s| (s, hash))
            }
            None => None,
        };
        match found {
            Some((s, token_hash)) => Ok(Signed {
                moderator: s.moderator,
                csrf: s.csrf,
                token_hash,
                outbox_on: state.mailer.as_ref().is_some_and(|m| m.is_outbox()),
            }),
            // Signing out of a session that has ended already is done.
            None if parts.uri.path() == "/admin/logout" => {
                Err(Redirect::to("/admin/login").into_response())
            }
            // The sign-in leads back to the page asked for (the queue is
            // where it leads anyway).
            None if parts.method == Method::GET || parts.method == Method::HEAD => {
                let asked = parts.uri.path_and_query().map_or("", |p| p.as_str());
                Err(Redirect::to(&match back_to(Some(asked)) {
                    next if next == "/admin/queue" => "/admin/login".to_owned(),
                    next => format!("/admin/login?next={}", urlencode(&next)),
                })
                .into_response())
            }
            None => Err(AdminError::Forbidden.into_response()),
        }
    }
}

impl Signed {
    /// The signed-in moderator's name.
    pub(crate) fn moderator(&self) -> &str {
        &self.moderator
    }

    /// Refuses (403) a form without this session's CSRF token.
    pub(crate) fn check(&self, form: &FormData) -> Result<(), AdminError> {
        let given = form.get("csrf").unwrap_or("");
        if same_secret(given.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(AdminError::Forbidden)
        }
    }

    pub(crate) async fn audit(
        &self,
        state: &AppState,
        action: &str,
        comment_id: Option<i64>,
        article_id: Option<String>,
    ) -> Result<(), AdminError> {
        self.audit_with(state, action, comment_id, article_id, None)
            .await
    }

    /// [`Signed::audit`] with the line's detail.
    pub(crate) async fn audit_with(
        &self,
        state: &AppState,
        action: &str,
        comment_id: Option<i64>,
        article_id: Option<String>,
        detail: Option<String>,
    ) -> Result<(), AdminError> {
        crate::audit::record_with(
            state.store.as_ref(),
            &self.moderator,
            action,
            comment_id,
            article_id,
            detail,
        )
        .await?;
        Ok(())
    }
}

/// Writes one line of the audit log, stamped now.
pub(crate) async fn audit(
    state: &AppState,
    moderator: &str,
    action: &str,
    comment_id: Option<i64>,
    article_id: Option<String>,
) -> Result<(), AdminError> {
    crate::audit::record(
        state.store.as_ref(),
        moderator,
        action,
        comment_id,
        article_id,
    )
    .await?;
    Ok(())
}

/// An `application/x-www-form-urlencoded` body, repeated names kept (the
/// checkboxes of many comments are all called `id`).
pub(crate) struct FormData(Vec<(String, String)>);

impl FormData {
    pub(crate) fn parse(body: &[u8]) -> FormData {
        FormData(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Whether the request came over https: `--public-url https://…`, or a
/// proxy's `X-Forwarded-Proto: https`. Cookies are then `Secure`.
fn over_https(state: &AppState, headers: &HeaderMap) -> bool {
    state
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for `/admin`, `HttpOnly`, `SameSite=Strict`
/// (`Lax` for the session, see [`cookie_at`]).
fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    cookie_at("/admin", name, value, max_age, secure)
}

/// The same for the pages under `path`.
fn cookie_at(path: &str, name: &str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    // The session goes with a link followed from another site (the queue's
    // link in a moderator's webmail): `Strict` asked a signed-in moderator
    // to sign in again. No page changes stored data on a GET (the language
    // link sets only its cookie), and every form carries its CSRF token.
    let same_site = if name == SESSION_COOKIE {
        "Lax"
    } else {
        "Strict"
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite={same_site}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Goes back to `back` (see [`back_to`]) saying how many things the form
/// changed (`?done=N`, which the page shows once).
pub(crate) fn redirect_done(back: Option<&str>, done: u32) -> Response {
    redirect_partly(back, done, 0)
}

/// As [`redirect_done`], and how many the form asked for that the server
/// could not change (`&failed=M`, when some).
fn redirect_partly(back: Option<&str>, done: u32, failed: usize) -> Response {
    let back = back_to(back);
    let sep = if back.contains('?') { '&' } else { '?' };
    let failed = match failed {
        0 => String::new(),
        n => format!("&failed={n}"),
    };
    Redirect::to(&format!("{back}{sep}done={done}{failed}")).into_response()
}

/// Where to go back to after a form: a path of these pages, else the queue.
pub(crate) fn back_to(path: Option<&str>) -> String {
    match path {
        // The demo's outbox page links here too, and wants its reader back.
        Some(p @ "/demo/outbox") => p.to_owned(),
        // Visible ASCII only: a control character cannot go in Location.
        Some(p)
            if p.starts_with("/admin/")
                && !p.starts_with("//")
                && !p.contains('\\')
                && p.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            p.to_owned()
        }
        _ => "/admin/queue".to_owned(),
    }
}

/// `s` as a query value.
pub(crate) fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// RFC 3339 as people read it, in UTC as every time of these pages:
/// `2026-11-30 02:25:00 UTC` (an article's `09:00:00+03:00` from its CMS
/// too, not beside comments' times in another zone).
pub(crate) fn shown_time(rfc3339: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    let utc = time::OffsetDateTime::parse(rfc3339, &Rfc3339)
        .ok()
        .map(|t| t.to_offset(time::UtcOffset::UTC))
        .and_then(|t| t.replace_nanosecond(0).ok())
        .and_then(|t| t.format(&Rfc3339).ok());
    let rfc3339 = utc.as_deref().unwrap_or(rfc3339);
    match rfc3339.strip_suffix('Z') {
        Some(t) => format!("{} UTC", t.replacen('T', " ", 1)),
        None => rfc3339.replacen('T', " ", 1),
    }
}

/// Renders `template` with what every page has (language, texts, the
/// language link, the moderator and CSRF token) and `extra`.
pub(crate) fn render(
    template: &str,
    lang: Lang,
    uri: &Uri,
    signed: Option<&Signed>,
    extra: minijinja::Value,
) -> Result<Html<String>, AdminError> {
    let here = uri.path_and_query().map_or("/admin/queue", |p| p.as_str());
    let other = lang.other();
    let lang_link = format!("/admin/lang?to={}&back={}", other.tag(), urlencode(here));
    let html = templates()
        .get_template(template)?
        .render(minijinja::context! {
            lang => lang.tag(),
            dir => lang.dir(),
            t => lang.texts(),
            other_lang => other.tag(),
            other_dir => other.dir(),
            other_name => other.name(),
            lang_link => lang_link,
            moderator => signed.map(|s| s.moderator.clone()),
            csrf => signed.map(|s| s.csrf.clone()),
            outbox_on => signed.is_some_and(|s| s.outbox_on),
            ..extra
        })?;
    Ok(Html(html))
}

/// `/admin`: the queue, or the sign-in page.
pub(crate) async fn home() -> Redirect {
    Redirect::to("/admin/queue")
}

#[derive(Deserialize)]
pub(crate) struct LangParams {
    to: Option<String>,
    back: Option<String>,
}

/// `GET /admin/lang?to=en&back=…`: remembers the language in a cookie.
pub(crate) async fn set_lang(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<LangParams>,
) -> Response {
    let lang = p.to.as_deref().and_then(Lang::parse).unwrap_or(Lang::Ar);
    let mut res = Redirect::to(&back_to(p.back.as_deref())).into_response();
    // For the whole site: the demo's outbox (/demo/outbox) links here and
    // speaks the same language.
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie_at(
            "/",
            LANG_COOKIE,
            lang.tag(),
            365 * 86_400,
            over_https(&state, &headers),
        ),
    );
    // The one an earlier version set for /admin alone would be sent
    // first there, and win.
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LANG_COOKIE, "", 0, over_https(&state, &headers)),
    );
    res
}

/// `GET /admin/login`.
pub(crate) async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AdminError> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if state
            .store
            .session(&auth::token_hash(&token))
            .await?
            .is_some()
        {
            return Ok(Redirect::to(&back_to(next_of(&uri).as_deref())).into_response());
        }
    }
    let next = next_of(&uri);
    login_page(
        &state,
        &headers,
        &uri,
        StatusCode::OK,
        None,
        next.as_deref(),
    )
}

/// The page a sign-in leads back to, from `?next=`.
fn next_of(uri: &Uri) -> Option<String> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
}

/// The sign-in page with `problem` (a text key), keeping or making the
/// form's CSRF cookie.
fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    status: StatusCode,
    problem: Option<&str>,
    next: Option<&str>,
) -> Result<Response, AdminError> {
    let token = match cookie(headers, LOGIN_CSRF_COOKIE).filter(|t| t.len() >= 32) {
        Some(t) => t,
        None => auth::random_token()?,
    };
    let lang = Lang::of_request(headers);
    let page = render(
        "login.html",
        lang,
        uri,
        None,
        minijinja::context! {
            login_csrf => &token,
            problem => problem,
            page => "login",
            // Only a page of /admin, as every way back is.
            next => next.map(|n| back_to(Some(n))),
        },
    )?;
    let mut res = (status, page).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &token, 3600, over_https(state, headers)),
    );
    Ok(res)
}

/// `POST /admin/login`.
pub(crate) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ClientKey(client): ClientKey,
    body: Bytes,
) -> Result<Response, AdminError> {
    let form = FormData::parse(&body);
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let given = form.get("csrf").unwrap_or("");
    if expected.is_empty() {
        // The form's cookie lasts an hour: a moderator who left the page
        // open gets the form again, with a new one, not a refusal. (A
        // forged post gets a form too, and signs nobody in.)
        return login_page(
            &state,
            &headers,
            &uri,
            StatusCode::FORBIDDEN,
            Some("form_expired"),
            form.get("next"),
        );
    }
    if !same_secret(given.as_bytes(), expected.as_bytes()) {
        return Err(AdminError::Forbidden);
    }
    let name = form.get("name").unwrap_or("").trim();
    let password = form.get("password").unwrap_or("");
    let client_hmac = crate::admin::client::client_hmac(&state, &client).await?;
    match auth::sign_in(
        state.store.as_ref(),
        &state.admin,
        name,
        password,
        &client_hmac,
    )
    .await?
    {
        SignIn::Ok { token } => {
            audit(&state, name, "sign_in", None, None).await?;
            let secure = over_https(&state, &headers);
            let mut res = Redirect::to(&back_to(form.get("next"))).into_response();
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &token,
                    state.admin.session_for.as_secs(),
                    secure,
                ),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(LOGIN_CSRF_COOKIE, "", 0, secure),
            );
            Ok(res)
        }
        SignIn::Wrong => login_page(
            &state,
            &headers,
            &uri,
            StatusCode::UNAUTHORIZED,
            Some("wrong"),
            form.get("next"),
        ),
        SignIn::Locked(_) => login_page(
            &state,
            &headers,
            &uri,
            StatusCode::TOO_MANY_REQUESTS,
            Some("locked"),
            form.get("next"),
        ),
    }
}

/// `POST /admin/logout`.
pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed: Signed,
    body: Bytes,
) -> Result<Response, AdminError> {
    signed.check(&FormData::parse(&body))?;
    state.store.delete_session(&signed.token_hash).await?;
    signed.audit(&state, "sign_out", None, None).await?;
    let mut res = Redirect::to("/admin/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, over_https(&state, &headers)),
    );
    Ok(res)
}

/// A comment as the templates show it.
#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    m: ModComment,
    /// The article's URL when it is an http(s) link.
    link: Option<String>,
    /// The first 12 hex digits of the client's HMAC.
    client: Option<String>,
    /// `created_at` for people.
    time: String,
    /// The start of the comment it replies to.
    parent_excerpt: Option<String>,
}

impl From<ModComment> for Row {
    fn from(m: ModComment) -> Row {
        let url = &m.article_url;
        let link = (url.starts_with("https://") || url.starts_with("http://")).then(|| url.clone());
        let client = m
            .client_hmac
            .as_deref()
            .map(|h| h.chars().take(12).collect());
        let time = shown_time(&m.stored.comment.created_at);
        let parent_excerpt = m.parent.as_ref().map(|p| {
            let mut text: String = p.body.chars().take(200).collect();
            if p.body.chars().nth(200).is_some() {
                text.push('…');
            }
            text
        });
        Row {
            m,
            link,
            client,
            time,
            parent_excerpt,
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct Done {
    done: Option<u32>,
    failed: Option<u32>,
    q: Option<String>,
    #[serde(flatten)]
    cursor: Cursor,
}

/// One page of the comments in `status` (of one article, matching a
/// search), from the request's cursor, with its links under `base` and
/// the page's own address (where its forms come back to).
async fn comment_page(
    state: &AppState,
    status: Status,
    article_id: Option<String>,
    search: Option<String>,
    cursor: &Cursor,
    base: &str,
) -> Result<(Vec<Row>, paging::Links, String), AdminError> {
    let at = cursor.keyset()?;
    let rows = state
        .store
        .moderation_comments(ModQuery {
            status,
            article_id,
            search,
            limit: PAGE_ROWS + 1,
            at,
            readers_only: false,
        })
        .await?;
    let (rows, links) = paging::page(rows, PAGE_ROWS, at, base, |c| c.stored.comment.id);
    let back = paging::here(base, at);
    Ok((rows.into_iter().map(Row::from).collect(), links, back))
}

/// `GET /admin/queue`: every waiting comment, newest first, a page at a time.
pub(crate) async fn queue(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    signed: Signed,
    Query(p): Query<Done>,
) -> Result<Html<String>, AdminError> {
    across_articles(
        &state,
        &headers,
        &uri,
        &signed,
        &p,
        Status::Pending,
        "queue",
    )
    .await
}

/// `GET /admin/rejected`: the rejected comments, newest first, to publish
/// one after all or delete it for good.
pub(crate) async fn rejected(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    signed: Signed,
    Query(p): Query<Done>,
) -> Result<Html<String>, AdminError> {
    across_articles(
        &state,
        &headers,
        &uri,
        &signed,
        &p,
        Status::Rejected,
        "rejected",
    )
    .await
}

/// A page of the comments in `status` across all articles, on the page
/// named `page` (its path under `/admin/` and its template).
async fn across_articles(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    signed: &Signed,
    p: &Done,
    status: Status,
    page: &'static str,
) -> Result<Html<String>, AdminError> {
    let base = format!("/admin/{page}");
    let (items, links, back) = comment_page(state, status, None, None, &p.cursor, &base).await?;
    // The heading counts them all, not the page's 200.
    let total = state
        .store
        .comment_counts()
        .await?
        .into_iter()
        .find(|(s, _)| s == status.as_str())
        .map_or(0, |(_, n)| n);
    render(
        &format!("{page}.html"),
        Lang::of_request(headers),
        uri,
        Some(signed),
        minijinja::context! {
            total => total,
            items => Serde(items),
            links => Serde(links),
            done => p.done,
            failed => p.failed,
            back => back,
            listed => status.as_str(),
            page => page,
        },
    )
}

/// `POST /admin/comments`: approve, reject or delete the checked comments
/// (`action` + `id`…), or one comment (`one=approve:12`).
pub(crate) async fn act_on_comments(
    State(state): State<AppState>,
    signed: Signed,
    body: Bytes,
) -> Result<Response, AdminError> {
    let form = FormData::parse(&body);
    signed.check(&form)?;
    let (action, ids): (&str, Vec<i64>) = match form.get("one") {
        Some(one) => {
            let (action, id) = one.split_once(':').ok_or(AdminError::BadForm("one"))?;
            let id = id.parse().map_err(|_| AdminError::BadForm("one"))?;
            (action, vec![id])
        }
        None => (
            form.get("action").unwrap_or(""),
            form.all("id")
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|_| AdminError::BadForm("id"))?,
        ),
    };
    let status = match action {
        "approve" => Some(Status::Published),
        "reject" => Some(Status::Rejected),
        "delete" => None,
        _ => return Err(AdminError::BadForm("action")),
    };
    // The status of the page the form came from: a comment another
    // moderator moved meanwhile (approved what this page still lists as
    // waiting, say) is left as they left it, not reversed from a stale page.
    // The check and the change are one step in the store: a decision that
    // lands between them (an e-mailed link's) is never undone.
    let listed = form.get("listed").filter(|l| !l.is_empty());
    let from = match listed {
        Some(name) => Some(Status::parse(name).ok_or(AdminError::BadForm("listed"))?),
        None => None,
    };
    let act = match status {
        Some(to) => Act::Set { to, from },
        None => Act::Delete { only_if: from },
    };
    let mut done = 0_u32;
    for (i, &id) in ids.iter().enumerate() {
        // Each act with its line of the audit log, in one transaction.
        let line = crate::audit::line(signed.moderator(), action);
        match state.store.moderate(id, act, line).await {
            Ok(Some(_)) => done += 1,
            Ok(None) => {}
            // Storage failed part-way: the page says what was done and
            // what was not (this one and the rest, untried), to try again.
            Err(e) => {
                tracing::error!("admin: {action} of comment {id}: {e}");
                return Ok(redirect_partly(form.get("back"), done, ids.len() - i));
            }
        }
    }
    Ok(redirect_done(form.get("back"), done))
}

/// An article in the list.
#[derive(Serialize)]
struct ArticleRow {
    id: String,
    title: String,
    url: String,
    published_at: String,
    comment_count: u32,
    comments_open: bool,
    hidden: bool,
    thread: bool,
}

/// Articles one page of the list shows.
const ARTICLE_ROWS: u32 = 100;

#[derive(Deserialize)]
pub(crate) struct ArticlesAt {
    cursor: Option<String>,
}

/// `GET /admin/articles?cursor=…`: the articles, newest first, their
/// comment counts and whether they take comments; "older" carries the
/// public API's opaque cursor (published time and id) to the next page.
pub(crate) async fn articles(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    signed: Signed,
    Query(p): Query<ArticlesAt>,
) -> Result<Html<String>, AdminError> {
    let after = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(decode_cursor(c).ok_or(AdminError::BadForm("cursor"))?),
        None => None,
    };
    let first_page = after.is_none();
    // Hidden articles and the threads of pages known by their URL alone
    // too: their comments are the moderators' as much as any.
    let (list, next) = state.store.moderated_articles(after, ARTICLE_ROWS).await?;
    let rows: Vec<ArticleRow> = list
        .into_iter()
        .map(|a| ArticleRow {
            published_at: shown_time(&a.published_at),
            id: a.id,
            title: a.title,
            url: a.url,
            comment_count: a.comment_count,
            comments_open: a.comments_open,
            hidden: a.hidden,
            thread: a.thread,
        })
        .collect();
    let links = paging::Links {
        older: next.map(|(ts, id)| format!("/admin/articles?cursor={}", encode_cursor(ts, &id))),
        newer: None,
        newest: (!first_page).then(|| "/admin/articles".to_owned()),
    };
    render(
        "articles.html",
        Lang::of_request(&headers),
        &uri,
        Some(&signed),
        minijinja::context! { articles => Serde(rows), links => Serde(links), page => "articles" },
    )
}

/// `GET /admin/articles/{id}?q=…`: an article's published comments,
/// searched by text or author, and its open/closed switch.
pub(crate) async fn article(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    signed: Signed,
    Path(id): Path<String>,
    Query(p): Query<Done>,
) -> Result<Html<String>, AdminError> {
    // A hidden article's comments are still the moderators' (the queue
    // links here for them).
    let article = state
        .store
        .article_even_hidden(&id)
        .await?
        .ok_or(AdminError::NotFound)?;
    let hidden = state.store.article(&id).await?.is_none();
    let q =
        p.q.as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_owned);
    let base = match &q {
        Some(q) => format!("/admin/articles/{}?q={}", urlencode(&id), urlencode(q)),
        None => format!("/admin/articles/{}", urlencode(&id)),
    };
    let (items, links, back) = comment_page(
        &state,
        Status::Published,
        Some(id.clone()),
        q.clone(),
        &p.cursor,
        &base,
    )
    .await?;
    // The heading counts every comment listed (the search's matches), not
    // the page's 200.
    let total = state
        .store
        .moderation_count(ModQuery {
            status: Status::Published,
            article_id: Some(id.clone()),
            search: q.clone(),
            limit: 0,
            at: Keyset::Newest,
            readers_only: false,
        })
        .await?;
    // Readers do not see replies under a comment no longer published: the
    // heading says how many they see when that is fewer (of all, not of a
    // search's matches).
    let shown = match q {
        Some(_) => total,
        None => state
            .store
            .published_counts(vec![id.clone()])
            .await?
            .first()
            .map_or(0, |(_, n)| *n),
    };
    render(
        "article.html",
        Lang::of_request(&headers),
        &uri,
        Some(&signed),
        minijinja::context! {
            article => minijinja::context! {
                id => &article.id,
                title => &article.title,
                url => &article.url,
                comments_open => article.comments_open,
                lang => &article.lang,
                hidden => hidden,
            },
            items => Serde(items),
            total => total,
            shown => shown,
            links => Serde(links),
            q => q,
            back => back,
            listed => Status::Published.as_str(),
            done => p.done,
            failed => p.failed,
            page => "articles",
        },
    )
}

/// `POST /admin/articles/{id}/open` with `open=1` or `open=0`.
pub(crate) async fn set_open(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let form = FormData::parse(&body);
    signed.check(&form)?;
    let open = match form.get("open") {
        Some("1") => true,
        Some("0") => false,
        _ => return Err(AdminError::BadForm("open")),
    };
    let action = if open { "open" } else { "close" };
    let line = crate::store::AuditEntry {
        article_id: Some(id.clone()),
        ..crate::audit::line(signed.moderator(), action)
    };
    if !state.store.set_comments_open(&id, open, Some(line)).await? {
        return Err(AdminError::NotFound);
    }
    Ok(Redirect::to(&format!("/admin/articles/{}", urlencode(&id))).into_response())
}

/// `GET /admin/audit`: who did what, newest first, a page at a time.
pub(crate) async fn audit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    signed: Signed,
    Query(cursor): Query<Cursor>,
) -> Result<Html<String>, AdminError> {
    let at = cursor.keyset()?;
    let rows = state.store.audit_page(PAGE_ROWS + 1, at).await?;
    let (rows, links) = paging::page(rows, PAGE_ROWS, at, "/admin/audit", |e| e.id);
    let lang = Lang::of_request(&headers);
    let entries: Vec<_> = rows
        .into_iter()
        .map(|e| {
            let time = shown_time(&e.at);
            // Stored in English; shown in the page's language.
            let detail = e
                .detail
                .as_deref()
                .map(|d| lang.detail(&crate::audit::Detail::parse(d)));
            minijinja::context! { e => Serde(e), time => time, detail => Serde(detail) }
        })
        .collect();
    render(
        "audit.html",
        lang,
        &uri,
        Some(&signed),
        minijinja::context! { entries => entries, links => Serde(links), page => "audit" },
    )
}

/// Messages the outbox pages show.
const OUTBOX_ROWS: u32 = 50;

/// The outbox list, or 404 when mail does not go to the outbox.
/// The outbox's newest messages; for the demo's visitors (`public`),
/// without the mail to moderators, whose approve and reject links work for
/// whoever holds them.
async fn outbox_rows(state: &AppState, public: bool) -> Result<Vec<minijinja::Value>, AdminError> {
    if !state.mailer.as_ref().is_some_and(|m| m.is_outbox()) {
        return Err(AdminError::NotFound);
    }
    let moderators: Vec<String> = match state.notify.as_deref() {
        Some(settings) if public => settings
            .to
            .iter()
            .map(|to| to.email.to_string().to_lowercase())
            .collect(),
        _ => Vec::new(),
    };
    Ok(state
        .store
        .outbox_mail(OUTBOX_ROWS)
        .await?
        .into_iter()
        .filter(|m| {
            let recipient = m.recipient.to_lowercase();
            !moderators.iter().any(|a| recipient.contains(a.as_str()))
        })
        .map(|m| {
            let time = shown_time(&m.at);
            minijinja::context! { m => Serde(m), time => time }
        })
        .collect())
}

/// `GET /admin/outbox`: the mail `--mail-outbox` kept, newest first.
pub(crate) async fn outbox_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    signed: Signed,
) -> Result<Html<String>, AdminError> {
    let mails = outbox_rows(&state, false).await?;
    render(
        "outbox.html",
        Lang::of_request(&headers),
        &uri,
        Some(&signed),
        minijinja::context! { mails => mails, page => "outbox" },
    )
}

/// `GET /demo/outbox`: the same list for the demo's visitors, who have no
/// account. Routed only when the server runs the demo (see `crate::app`).
pub(crate) async fn demo_outbox_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Html<String>, AdminError> {
    let mails = outbox_rows(&state, true).await?;
    render(
        "outbox.html",
        Lang::of_request(&headers),
        &uri,
        None,
        minijinja::context! { mails => mails, page => "outbox" },
    )
}

/// `GET /admin/static/admin.css`.
pub(crate) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../templates/admin/static/admin.css"),
    )
}

/// `GET /admin/static/icon.svg`.
pub(crate) async fn icon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../../templates/admin/static/icon.svg"),
    )
}

#[cfg(test)]
mod tests {
    use super::shown_time;

    #[test]
    fn times_are_shown_in_utc_whatever_their_offset() {
        assert_eq!(
            shown_time("2026-11-30T02:25:00Z"),
            "2026-11-30 02:25:00 UTC"
        );
        assert_eq!(
            shown_time("2026-11-30T09:00:00+03:00"),
            "2026-11-30 06:00:00 UTC"
        );
        assert_eq!(
            shown_time("2026-11-30T09:00:00.250Z"),
            "2026-11-30 09:00:00 UTC"
        );
        assert_eq!(shown_time("not a time"), "not a time");
    }
}
