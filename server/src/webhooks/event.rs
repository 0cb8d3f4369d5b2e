//! What a webhook says: the comment events and their JSON bodies, built in
//! the storage transaction that changes the comment (so an event is
//! written exactly when its change is, and a crash loses neither).
//!
//! This module imports neither the store nor the worker: the store builds
//! deliveries with it, the worker sends them.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

use crate::comments::StoredComment;

/// A comment event a webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A new comment was stored (pending or published; never spam).
    Created,
    /// A comment became visible: at creation under post-moderation, or
    /// approved by a moderator.
    Published,
    /// A moderator rejected a comment.
    Rejected,
    /// A moderator deleted a comment, or the comment it answered; the body
    /// names it without its author or text (see [`deleted`]).
    Deleted,
}

impl Event {
    /// The name in the body and in the `Khabar-Event` header.
    pub fn name(self) -> &'static str {
        match self {
            Event::Created => "comment.created",
            Event::Published => "comment.published",
            Event::Rejected => "comment.rejected",
            Event::Deleted => "comment.deleted",
        }
    }

    /// The events a newly stored comment in `status` sends, in order.
    /// Spam (the honeypot) sends nothing: it is never shown and never
    /// moderated.
    pub fn for_new(status: &str) -> &'static [Event] {
        match status {
            "published" => &[Event::Created, Event::Published],
            "pending" => &[Event::Created],
            _ => &[],
        }
    }

    /// The event of a moderator moving a comment into `status`, if any.
    pub fn for_status(status: &str) -> Option<Event> {
        match status {
            "published" => Some(Event::Published),
            "rejected" => Some(Event::Rejected),
            _ => None,
        }
    }
}

/// `comment` as a [`Event::Deleted`] body shows it: its ids, article and
/// time, with `deleted` for its status and neither author nor text, which
/// a receiver is to forget rather than learn. `None` for the honeypot's
/// spam, which no receiver ever heard of.
pub fn deleted(comment: &StoredComment) -> Option<StoredComment> {
    if comment.status == "spam" {
        return None;
    }
    let mut gone = comment.clone();
    gone.comment.author.clear();
    gone.comment.body.clear();
    gone.status = "deleted".into();
    gone.email = None;
    Some(gone)
}

/// The article a comment belongs to, as the body names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleRef {
    /// Its canonical URL.
    pub url: String,
    /// Its title.
    pub title: String,
}

/// One delivery to write: a body for one URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// Random, unique: `Khabar-Delivery` and the body's `id`.
    pub delivery_id: String,
    /// Where it goes.
    pub url: String,
    /// `comment.created`, …
    pub event: &'static str,
    /// The comment it is about.
    pub comment_id: i64,
    /// The JSON body, signed and sent as it is (but for an article stored
    /// with a path, see [`with_absolute_article_url`]).
    pub body: String,
}

/// Why deliveries could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The operating system gave no random bytes for the delivery id.
    #[error("random delivery id: {0}")]
    Random(String),
    /// The body did not serialize.
    #[error("webhook body: {0}")]
    Json(#[from] serde_json::Error),
}

// Read back as well as written (`with_absolute_article_url`): the same
// fields in the same order, so that a body read and written again is the
// same text but for what was changed.
#[derive(Serialize, Deserialize)]
struct Body<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(borrow)]
    created_at: Cow<'a, str>,
    #[serde(borrow)]
    comment: CommentBody<'a>,
}

/// The comment as a webhook shows it. The reader's e-mail address and
/// the HMAC of their network address stay out: personal data that a chat
/// room or a CMS receiving the hook has no need for (moderators see both
/// in `/admin`).
#[derive(Serialize, Deserialize)]
struct CommentBody<'a> {
    id: i64,
    #[serde(borrow)]
    article_id: Cow<'a, str>,
    #[serde(borrow)]
    article_url: Cow<'a, str>,
    #[serde(borrow)]
    article_title: Cow<'a, str>,
    #[serde(borrow)]
    author: Cow<'a, str>,
    #[serde(borrow)]
    body: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
    parent_id: Option<i64>,
    #[serde(borrow)]
    created_at: Cow<'a, str>,
}

/// `body` (a delivery as stored) with its article's URL made absolute
/// against `origin` (`--public-url`), when the article was stored with a
/// path (imported or pushed so): a receiver has no address to resolve it
/// against. `None` when there is nothing to change, or `body` is not
/// exactly one of these bodies (one written by another version, with
/// other fields, is sent as it is rather than rewritten without them).
/// The body is written in the store's transaction, which knows no server
/// address; the worker calls this as it sends.
pub fn with_absolute_article_url(body: &str, origin: &str) -> Option<String> {
    let mut parsed: Body = serde_json::from_str(body).ok()?;
    if !crate::model::is_root_relative(&parsed.comment.article_url)
        || serde_json::to_string(&parsed).ok()? != body
    {
        return None;
    }
    let url = crate::model::absolute(&parsed.comment.article_url, origin);
    parsed.comment.article_url = Cow::Owned(url);
    serde_json::to_string(&parsed).ok()
}

/// 16 random bytes in hex.
fn delivery_id() -> Result<String, EventError> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| EventError::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// RFC 3339 of now, to the second.
fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// One delivery of each of `events` to each of `urls`, about `comment`
/// (as it is after the change) on `article`.
pub fn deliveries(
    urls: &[String],
    events: &[Event],
    comment: &StoredComment,
    article: &ArticleRef,
) -> Result<Vec<NewDelivery>, EventError> {
    let at = now_rfc3339();
    let mut out = Vec::with_capacity(urls.len() * events.len());
    for &event in events {
        for url in urls {
            let id = delivery_id()?;
            let body = serde_json::to_string(&Body {
                id: Cow::Borrowed(&id),
                event: Cow::Borrowed(event.name()),
                created_at: Cow::Borrowed(&at),
                comment: CommentBody {
                    id: comment.comment.id,
                    article_id: Cow::Borrowed(&comment.article_id),
                    article_url: Cow::Borrowed(&article.url),
                    article_title: Cow::Borrowed(&article.title),
                    author: Cow::Borrowed(&comment.comment.author),
                    body: Cow::Borrowed(&comment.comment.body),
                    status: Cow::Borrowed(&comment.status),
                    parent_id: comment.comment.parent_id,
                    created_at: Cow::Borrowed(&comment.comment.created_at),
                },
            })?;
            out.push(NewDelivery {
                delivery_id: id,
                url: url.clone(),
                event: event.name(),
                comment_id: comment.comment.id,
                body,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comments::Comment;

    fn comment(status: &str) -> StoredComment {
        StoredComment {
            comment: Comment {
                id: 7,
                author: "سلمى".into(),
                body: "تعليق عن خطة النقل".into(),
                created_at: "2026-11-30T05:00:00Z".into(),
                parent_id: Some(3),
                replies: None,
                replies_next: None,
            },
            article_id: "a1".into(),
            status: status.into(),
            email: Some("salma@example.org".into()),
        }
    }

    #[test]
    fn a_published_comment_sends_created_then_published_to_every_url() {
        let urls = vec!["http://a.test/h".to_owned(), "http://b.test/h".to_owned()];
        let article = ArticleRef {
            url: "https://news.test/a1".into(),
            title: "Transit".into(),
        };
        let c = comment("published");
        let out = deliveries(&urls, Event::for_new(&c.status), &c, &article).expect("built");
        let events: Vec<_> = out.iter().map(|d| (d.event, d.url.as_str())).collect();
        assert_eq!(
            events,
            [
                ("comment.created", "http://a.test/h"),
                ("comment.created", "http://b.test/h"),
                ("comment.published", "http://a.test/h"),
                ("comment.published", "http://b.test/h"),
            ]
        );
        let body: serde_json::Value = serde_json::from_str(&out[0].body).expect("json");
        assert_eq!(body["id"], out[0].delivery_id.as_str());
        assert_eq!(body["comment"]["article_title"], "Transit");
        assert_eq!(body["comment"]["parent_id"], 3);
        assert!(body["comment"].get("email").is_none(), "{body}");
        assert_ne!(out[0].delivery_id, out[1].delivery_id);
    }

    #[test]
    fn an_article_stored_with_a_path_is_sent_with_the_server_address_and_nothing_else_changes() {
        let c = comment("published");
        let built = |url: &str| {
            let article = ArticleRef {
                url: url.into(),
                title: "النقل \"العام\" \\ خطة\u{2028}".into(),
            };
            deliveries(
                &["http://a.test/h".into()],
                &[Event::Published],
                &c,
                &article,
            )
            .expect("built")
            .remove(0)
            .body
        };
        let stored = built("/?article=a1");
        let sent = with_absolute_article_url(&stored, "https://news.test").expect("changed");
        // The same text, byte for byte, but the URL.
        assert_eq!(
            sent,
            stored.replace(
                "\"article_url\":\"/?article=a1",
                "\"article_url\":\"https://news.test/?article=a1"
            )
        );
        // An absolute URL, a protocol-relative one, or a body not ours: as is.
        for url in ["https://cms.test/a1", "//cms.test/a1"] {
            assert_eq!(
                with_absolute_article_url(&built(url), "https://news.test"),
                None
            );
        }
        assert_eq!(
            with_absolute_article_url("{\"id\":1}", "https://news.test"),
            None
        );
        // A body with a field this version does not know (written by
        // another): as is, not rewritten without it.
        let other = stored.replacen("{\"id\"", "{\"v\":2,\"id\"", 1);
        assert_eq!(with_absolute_article_url(&other, "https://news.test"), None);
    }

    #[test]
    fn spam_sends_nothing_and_pending_only_created() {
        assert!(Event::for_new("spam").is_empty());
        assert_eq!(Event::for_new("pending"), &[Event::Created]);
        assert_eq!(Event::for_status("pending"), None);
        assert_eq!(Event::for_status("rejected"), Some(Event::Rejected));
    }
}
