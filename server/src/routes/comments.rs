//! `GET` and `POST /api/v1/articles/{id}/comments`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

use crate::comments::CommentCursor;
use crate::comments::{self, Moderation, NewComment, StoredComment};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, ClientKey};
use crate::state::AppState;
use crate::store::{CommentQuery, CreateError, Sort, REPLIES_UNASKED};

// Shared with the widget.
use khabar_rules::{COMMENT_PAGE_DEFAULT as DEFAULT_LIMIT, COMMENT_PAGE_MAX as MAX_LIMIT};
/// Largest accepted request body.
pub const MAX_BODY: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
pub(crate) struct ListParams {
    #[serde(default, deserialize_with = "crate::extract::page_size")]
    limit: Option<u32>,
    cursor: Option<String>,
    sort: Option<String>,
    /// Replies under each comment: the first this many (none: all).
    #[serde(default, deserialize_with = "crate::extract::page_size")]
    replies: Option<u32>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    ApiPath(article_id): ApiPath<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let sort = sort(p.sort.as_deref())?;
    let after = cursor(p.cursor.as_deref())?;
    let query = CommentQuery {
        article_id,
        sort,
        limit: p.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
        after,
        replies: replies_shown(p.replies),
    };
    let mut page = state
        .store
        .list_comments(query)
        .await?
        .ok_or(ApiError::NotFound("article"))?;
    comments::fit_page(&mut page.items, &mut page.next);
    Ok(Json(json!({
        "items": page.items,
        "next": page.next.map(|n| n.to_string()),
        "total": page.total,
        "reply_notifications": state.reply_notifications(),
        "comments_open": page.comments_open,
    })))
}

/// `replies=`: at least one, at most a page's most (none: the first
/// [`REPLIES_UNASKED`], as many as an older client may need).
pub(crate) fn replies_shown(asked: Option<u32>) -> Option<u32> {
    Some(asked.map_or(REPLIES_UNASKED, |n| n.clamp(1, MAX_LIMIT)))
}

/// `sort=`: `oldest` (also when absent) or `newest`.
pub(crate) fn sort(given: Option<&str>) -> Result<Sort, ApiError> {
    match given {
        None | Some("" | "oldest") => Ok(Sort::Oldest),
        Some("newest") => Ok(Sort::Newest),
        Some(_) => Err(ApiError::BadRequest("sort is oldest or newest".into())),
    }
}

/// A `cursor=` the server gave (see [`CommentCursor`]), or none.
pub(crate) fn cursor(given: Option<&str>) -> Result<Option<CommentCursor>, ApiError> {
    match given.filter(|c| !c.is_empty()) {
        Some(c) => CommentCursor::parse(c)
            .map(Some)
            .ok_or_else(|| ApiError::BadRequest("invalid cursor".into())),
        None => Ok(None),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReplyParams {
    #[serde(default, deserialize_with = "crate::extract::page_size")]
    limit: Option<u32>,
    cursor: Option<String>,
}

/// `GET /api/v1/comments/{id}/replies`: the replies to a comment after
/// those its page of comments carried (`replies_next`), oldest first.
pub(crate) async fn replies(
    State(state): State<AppState>,
    ApiPath(parent): ApiPath<i64>,
    ApiQuery(p): ApiQuery<ReplyParams>,
) -> Result<Json<Value>, ApiError> {
    let after = cursor(p.cursor.as_deref())?;
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let mut page = state
        .store
        .list_replies(parent, after, limit)
        .await?
        .ok_or(ApiError::NotFound("comment"))?;
    comments::fit_page(&mut page.items, &mut page.next);
    Ok(Json(json!({
        "items": page.items,
        "next": page.next.map(|n| n.to_string()),
    })))
}

pub(crate) async fn create(
    State(state): State<AppState>,
    ApiPath(article_id): ApiPath<String>,
    ClientKey(client): ClientKey,
    ApiJson(input): ApiJson<NewComment>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    post(&state, &article_id, None, &client, &input).await
}

/// A page's thread that a comment by URL creates, once the comment has
/// passed the rate limit: a client past its limit creates nothing.
pub(crate) struct NewThread<'a> {
    /// The page's canonical URL.
    pub(crate) url: &'a str,
    /// Its title, as text.
    pub(crate) title: &'a str,
    /// Its language tag.
    pub(crate) lang: &'a str,
    /// Whether the thread is there already: then it takes the title only
    /// while none of its comments is published (`Store::ensure_thread`).
    pub(crate) exists: bool,
}

/// Stores a reader's comment on `article_id`: the rules, the idempotency
/// key, the rate limit, the moderation policy. Shared by comments by id
/// and by URL (`thread`: the page's thread to create first, if it has none).
pub(crate) async fn post(
    state: &AppState,
    article_id: &str,
    thread: Option<NewThread<'_>>,
    client: &str,
    input: &NewComment,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let clean = comments::validate(input).map_err(ApiError::Invalid)?;

    // A retry of a comment already stored (the widget retries after a lost
    // answer) gets its stored answer before any rate limiting: it creates
    // nothing, so it must not use up the reader's allowance.
    let (stored, replay) = match state.store.comment_by_key(&clean.key).await? {
        Some(existing) if existing.article_id == article_id => (existing, true),
        Some(_) => return Err(ApiError::IdempotencyConflict),
        None => {
            // A reader past the limit on a closed article is told it is
            // closed, not to come back later for nothing.
            if let Some(article) = state.store.article(article_id).await? {
                if !article.comments_open {
                    return Err(ApiError::CommentsClosed);
                }
            }
            if let Err(wait) = state
                .comment_limit
                .check_in(state.store.as_ref(), "comments", client)
                .await?
            {
                return Err(ApiError::RateLimited {
                    wait,
                    message: "Too many comments; try again later.",
                });
            }
            let (stored, created) = match store_new(state, article_id, thread, client, clean).await
            {
                Ok(stored) => stored,
                // Refused (a closed article, a reply to a comment gone):
                // nothing was created, and the allowance is the reader's.
                Err(e) => {
                    state
                        .comment_limit
                        .give_back(state.store.as_ref(), "comments", client)
                        .await?;
                    return Err(e);
                }
            };
            // A copy sent at the same moment stored it first: this one
            // created nothing, and is a replay.
            if !created {
                state
                    .comment_limit
                    .give_back(state.store.as_ref(), "comments", client)
                    .await?;
            }
            (stored, !created)
        }
    };
    let mut body = answer(&stored, state.moderation);
    // The article's published comments with this one: a page the reader
    // already has may have counted it (an answer lost, the comment sent
    // again), so a widget sets its count rather than adding one.
    let counts = state
        .store
        .published_counts(vec![article_id.to_owned()])
        .await?;
    let mut total = counts.first().map_or(0, |(_, n)| *n);
    // A comment the honeypot caught is answered as the others are, so
    // counted as the answer says (published under post-moderation).
    if body["status"] == "published" && stored.status != "published" {
        total += 1;
    }
    body["total"] = total.into();
    if input.notify_replies && stored.status != "spam" {
        // Links in the mail: never the request's Host (see `mail_url`).
        let subscribed = match state.mail_base() {
            Some(base) => subscribe(state, &stored, input, base, client, replay).await?,
            None => crate::replies::Subscribed::Unavailable,
        };
        body["reply_notifications"] = subscribed.as_str().into();
    }
    Ok((StatusCode::CREATED, Json(body)))
}

/// Stores a new comment (and the thread of its page, if it is the first):
/// the comment and whether this call created it.
async fn store_new(
    state: &AppState,
    article_id: &str,
    thread: Option<NewThread<'_>>,
    client: &str,
    clean: crate::comments::CleanComment,
) -> Result<(crate::comments::StoredComment, bool), ApiError> {
    // A thread that is there takes the title once the comment is stored:
    // a comment refused (closed, a reply to a comment gone) names nothing.
    let mut retitle = None;
    if let Some(t) = thread {
        // A page without a thread has no comment to reply to: the reply is
        // refused before a thread is made, which would be left behind,
        // titled by the sender.
        if clean.parent_id.is_some() && !t.exists {
            return Err(CreateError::BadParent.into());
        }
        // The honeypot's catch names no page: its thread is titled by
        // its address until a reader's comment comes.
        let title = if clean.is_spam { t.url } else { t.title };
        if t.exists {
            retitle = Some((t.url, title, t.lang));
        } else {
            state
                .store
                .ensure_thread(article_id, t.url, title, t.lang)
                .await?;
        }
    }
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    // Kept for the moderators, as an HMAC: never the address itself.
    let client_hmac = crate::admin::client_hmac(state, client).await?;
    // A blocked author's comment waits for a moderator even under
    // post-moderation (see `crate::blocks` for why it is held).
    let blocked = crate::blocks::is_blocked(
        state.store.as_ref(),
        clean.email.as_deref(),
        Some(&client_hmac),
    )
    .await?;
    let moderation = if blocked {
        Moderation::Pre
    } else {
        state.moderation
    };
    let (stored, created) = state
        .store
        .create_comment(article_id, clean, moderation, now, Some(client_hmac))
        .await?;
    if let (Some((url, title, lang)), true) = (retitle, created) {
        state
            .store
            .ensure_thread(article_id, url, title, lang)
            .await?;
    }
    Ok((stored, created))
}

/// "Tell me about replies" on a new comment (see `crate::replies`), in the
/// reader's interface language, else the article's.
async fn subscribe(
    state: &AppState,
    stored: &StoredComment,
    input: &NewComment,
    base: &str,
    client: &str,
    replay: bool,
) -> Result<crate::replies::Subscribed, ApiError> {
    let Some(article) = state.store.article(&stored.article_id).await? else {
        return Ok(crate::replies::Subscribed::Unavailable);
    };
    let lang = input
        .lang
        .as_deref()
        .filter(|l| crate::sync::is_language_tag(l))
        .unwrap_or(&article.lang)
        .to_owned();
    Ok(crate::replies::subscribe(state, stored, &article, &lang, base, client, replay).await?)
}

/// `{"comment", "status"}`; spam is answered like any other comment and
/// never shown, and a retry after a rejection hears `pending`, as the
/// contract says (`published` or `pending`): a rejection is not told to its
/// author.
fn answer(stored: &StoredComment, moderation: Moderation) -> Value {
    let status = match (stored.status.as_str(), moderation) {
        ("spam", Moderation::Pre) | ("rejected", _) => "pending",
        ("spam", Moderation::Post) => "published",
        (s, _) => s,
    };
    json!({ "comment": stored.comment, "status": status })
}
