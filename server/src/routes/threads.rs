//! Comments by the page's URL: `GET` and `POST /api/v1/comments?url=…`,
//! for sites that render their own articles and only want comments. The
//! URL is made canonical (see [`crate::threads::Sites::canonical`]); an
//! article the server holds with that URL is its thread; otherwise the first
//! comment creates one, titled as the page says.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::comments::NewComment;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, ClientKey};
use crate::routes::comments;
use crate::state::AppState;
use crate::store::CommentQuery;
use crate::threads::{page_spellings, thread_id, ThreadError};

#[derive(Debug, Deserialize)]
pub(crate) struct ByUrl {
    url: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::page_size")]
    limit: Option<u32>,
    cursor: Option<String>,
    sort: Option<String>,
    lang: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::page_size")]
    replies: Option<u32>,
}

impl From<ThreadError> for ApiError {
    fn from(e: ThreadError) -> Self {
        match e {
            ThreadError::NoSites => ApiError::BadRequest(e.to_string()),
            ThreadError::NotAUrl(_) | ThreadError::NotAnOrigin(_) => {
                ApiError::BadRequest(e.to_string())
            }
            ThreadError::OtherSite(_) => ApiError::UrlNotAllowed(e.to_string()),
        }
    }
}

/// The canonical URL of a page's `url=` (`400` for none, or one of no
/// `--site`).
fn address(state: &AppState, url: Option<&str>) -> Result<String, ApiError> {
    let url = url
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| ApiError::BadRequest("give the page's url=".into()))?;
    Ok(state.sites.canonical(url)?)
}

/// The id of the article that is the thread of page `canonical`, if the
/// server holds one; `Err` with the ids of the page's articles when all
/// are hidden (deleted in the CMS): that page is `404`, as its comments by
/// id are, and neither shows them nor opens a second thread beside them.
async fn resolve(
    state: &AppState,
    canonical: &str,
) -> Result<Result<Option<String>, Vec<String>>, ApiError> {
    let forms = page_spellings(canonical);
    let found = state.store.ids_by_url(forms.clone()).await?;
    // The closest spelling of a shown article wins when several match: an
    // absolute URL before a bare path.
    let shown = forms
        .iter()
        .find_map(|form| found.iter().find(|m| &m.url == form && !m.hidden));
    Ok(match shown {
        Some(m) => Ok(Some(m.id.clone())),
        None if !found.is_empty() => Err(found.into_iter().map(|m| m.id).collect()),
        None => Ok(None),
    })
}

/// `{"items", "next", "total", "comments_open", "article_id"}`; a page
/// nobody commented on yet has an empty list and `article_id: null`.
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ByUrl>,
) -> Result<Json<Value>, ApiError> {
    // Read before the page is looked up: a request it refuses is refused
    // on a page with no comments yet too, not once the first comes.
    let sort = crate::routes::comments::sort(p.sort.as_deref())?;
    let after = crate::routes::comments::cursor(p.cursor.as_deref())?;
    let canonical = address(&state, p.url.as_deref())?;
    let id = resolve(&state, &canonical)
        .await?
        .map_err(|_| ApiError::NotFound("article"))?;
    let Some(article_id) = id else {
        return Ok(Json(
            json!({ "items": [], "next": null, "total": 0, "article_id": null,
                    "reply_notifications": state.reply_notifications(),
                    "comments_open": true }),
        ));
    };
    let mut page = state
        .store
        .list_comments(CommentQuery {
            article_id: article_id.clone(),
            sort,
            limit: p
                .limit
                .unwrap_or(khabar_rules::COMMENT_PAGE_DEFAULT)
                .clamp(1, khabar_rules::COMMENT_PAGE_MAX),
            after,
            replies: crate::routes::comments::replies_shown(p.replies),
        })
        .await?
        .ok_or(ApiError::NotFound("article"))?;
    crate::comments::fit_page(&mut page.items, &mut page.next);
    Ok(Json(json!({
        "items": page.items,
        "next": page.next.map(|n| n.to_string()),
        "total": page.total,
        "reply_notifications": state.reply_notifications(),
        "comments_open": page.comments_open,
        "article_id": article_id,
    })))
}

/// Like `POST /articles/{id}/comments`; the first comment on a page the
/// server does not hold creates its thread.
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ByUrl>,
    ClientKey(client): ClientKey,
    ApiJson(input): ApiJson<NewComment>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    // The address first (400), then the comment (422, as by id, whatever
    // became of its page), then the page.
    let canonical = address(&state, p.url.as_deref())?;
    let clean = crate::comments::validate(&input).map_err(ApiError::Invalid)?;
    let id = match resolve(&state, &canonical).await? {
        Ok(id) => id,
        // A retry of a comment stored on the page before it was withdrawn
        // (an answer lost, then the story deleted): the stored answer, as
        // by id; a key of another page's comment is a conflict, as by id.
        Err(withdrawn) => {
            let Some(stored) = state.store.comment_by_key(&clean.key).await? else {
                return Err(ApiError::NotFound("article"));
            };
            if !withdrawn.contains(&stored.article_id) {
                return Err(ApiError::IdempotencyConflict);
            }
            let (status, Json(mut answer)) =
                comments::post(&state, &stored.article_id, None, &client, &input).await?;
            answer["article_id"] = json!(stored.article_id);
            return Ok((status, Json(answer)));
        }
    };
    // A page the server does not hold: its thread's title and language, for
    // `post` to create it once the comment has passed its checks.
    // An article, or this page's own thread (whose title follows its
    // readers' until a comment is published there).
    let own = thread_id(&canonical);
    let (article_id, new_thread) = match id {
        Some(id) if id != own => (id, None),
        found => {
            let title = input
                .title
                .as_deref()
                // A page title may arrive with markup: text only.
                .map(|t| khabar_rules::clean_author(&crate::sync::html_to_text(t)))
                .map(|t| t.chars().take(300).collect::<String>())
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| canonical.clone());
            let lang = p
                .lang
                .as_deref()
                .filter(|l| {
                    !l.is_empty()
                        && l.len() <= 35
                        && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
                .unwrap_or("ar");
            (own, Some((title, lang, found.is_some())))
        }
    };
    let thread = new_thread
        .as_ref()
        .map(|(title, lang, exists)| comments::NewThread {
            url: &canonical,
            title,
            lang,
            exists: *exists,
        });
    let (status, Json(mut answer)) =
        comments::post(&state, &article_id, thread, &client, &input).await?;
    answer["article_id"] = json!(article_id);
    Ok((status, Json(answer)))
}
