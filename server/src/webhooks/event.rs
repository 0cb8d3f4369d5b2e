//! What a webhook says: the comment events and their JSON bodies, built in
//! the storage transaction that changes the comment (so an event is
//! written exactly when its change is, and a crash loses neither).
//!
//! This module imports neither the store nor the worker: the store builds
//! deliveries with it, the worker sends them.

use serde::Serialize;
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
}

impl Event {
    /// The name in the body and in the `Khabar-Event` header.
    pub fn name(self) -> &'static str {
        match self {
            Event::Created => "comment.created",
            Event::Published => "comment.published",
            Event::Rejected => "comment.rejected",
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
    /// The JSON body, exactly as it is signed and sent.
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

#[derive(Serialize)]
struct Body<'a> {
    id: &'a str,
    event: &'static str,
    created_at: &'a str,
    comment: CommentBody<'a>,
}

/// The comment as a webhook shows it. The reader's e-mail address and
/// the HMAC of their network address stay out: personal data that a chat
/// room or a CMS receiving the hook has no need for (moderators see both
/// in `/admin`).
#[derive(Serialize)]
struct CommentBody<'a> {
    id: i64,
    article_id: &'a str,
    article_url: &'a str,
    article_title: &'a str,
    author: &'a str,
    body: &'a str,
    status: &'a str,
    parent_id: Option<i64>,
    created_at: &'a str,
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
                id: &id,
                event: event.name(),
                created_at: &at,
                comment: CommentBody {
                    id: comment.comment.id,
                    article_id: &comment.article_id,
                    article_url: &article.url,
                    article_title: &article.title,
                    author: &comment.comment.author,
                    body: &comment.comment.body,
                    status: &comment.status,
                    parent_id: comment.comment.parent_id,
                    created_at: &comment.comment.created_at,
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
    fn spam_sends_nothing_and_pending_only_created() {
        assert!(Event::for_new("spam").is_empty());
        assert_eq!(Event::for_new("pending"), &[Event::Created]);
        assert_eq!(Event::for_status("pending"), None);
        assert_eq!(Event::for_status("rejected"), Some(Event::Rejected));
    }
}
