//! Reader comments: their shapes and the rules a new comment must follow.
//!
//! The rules are pure functions (tested natively, shared with the widget
//! through `khabar-rules`). Storage (`crate::store`) keeps one row per
//! idempotency key, so no retry can ever create a second copy of a comment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use khabar_rules::{clean_author, clean_body, is_bidi_control, is_email};
use khabar_rules::{Field, Problem};

/// What a reader sends to `POST /articles/{id}/comments`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewComment {
    /// Display name.
    #[serde(default)]
    pub author: String,
    /// Optional, never published.
    #[serde(default)]
    pub email: Option<String>,
    /// Plain text.
    #[serde(default)]
    pub body: String,
    /// A published top-level comment of the same article.
    #[serde(default)]
    pub parent_id: Option<i64>,
    /// Honeypot: people leave it empty.
    #[serde(default)]
    pub website: Option<String>,
    /// Chosen by the client once per comment and reused on every retry.
    #[serde(default)]
    pub idempotency_key: String,
    /// The page's title, when the comment creates the thread of a page
    /// the server does not hold (comments by URL); ignored otherwise.
    #[serde(default)]
    pub title: Option<String>,
    /// "Tell me about replies": mail a confirmation link to `email`
    /// (see `crate::replies`).
    #[serde(default)]
    pub notify_replies: bool,
    /// The reader's interface language, for that mail.
    #[serde(default)]
    pub lang: Option<String>,
}

/// A comment after cleaning, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanComment {
    /// Cleaned display name.
    pub author: String,
    /// Cleaned e-mail, if any.
    pub email: Option<String>,
    /// Cleaned body.
    pub body: String,
    /// Parent to reply to.
    pub parent_id: Option<i64>,
    /// Whether the honeypot was filled in.
    pub is_spam: bool,
    /// The idempotency key.
    pub key: String,
}

/// A published comment as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Identifier.
    pub id: i64,
    /// Display name.
    pub author: String,
    /// Plain text with line breaks.
    pub body: String,
    /// RFC 3339.
    pub created_at: String,
    /// The comment this replies to.
    pub parent_id: Option<i64>,
    /// Published replies, oldest first (top-level comments only): in a
    /// page of comments, the first [`crate::store::CommentQuery::replies`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replies: Option<Vec<Comment>>,
    /// Cursor of the replies after those in `replies`, when there are more
    /// (`GET /comments/{id}/replies`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replies_next: Option<String>,
}

/// The most comment text one page of the API carries, in bytes of its
/// JSON (about). The widget's page of 20 comments with 20 replies each
/// could otherwise hold 420 of the longest, 8 MB of emoji: past what the
/// widget reads (4 MiB), and much for a phone.
pub const PAGE_BYTES: usize = 1 << 20;

/// About the bytes `c` takes in a page's JSON, its replies left out.
fn json_bytes(c: &Comment) -> usize {
    // A quote, a backslash or a line break takes two bytes; no other
    // control character is in a stored comment.
    let written = |s: &str| {
        s.len()
            + s.bytes()
                .filter(|b| matches!(b, b'"' | b'\\' | b'\n' | b'\r' | b'\t'))
                .count()
    };
    written(&c.author) + written(&c.body) + c.created_at.len() + 128
}

/// Where a page of comments or replies goes on: after the comment written
/// at `at` (its `created_at`) with id `id`. Readers see comments in the
/// order they were written, then by id: an import of older comments into
/// a story readers already comment on puts them before the new ones,
/// where their ids (higher) would put them after.
///
/// Written `{id}_{at}`. A plain id, which the server gave before
/// 2026-12-07 (and still gives as `"0"`: the first of a comment's
/// replies), has no time: the store reads it from that comment (see its
/// `AFTER_AT`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CommentCursor {
    /// The last comment shown.
    pub id: i64,
    /// Its `created_at`; `None` for a plain id.
    pub at: Option<String>,
}

impl CommentCursor {
    /// After `c`.
    pub fn after(c: &Comment) -> Self {
        Self {
            id: c.id,
            at: Some(c.created_at.clone()),
        }
    }

    /// A cursor the server gave, or `None` for any other text.
    pub fn parse(s: &str) -> Option<Self> {
        let (id, at) = match s.split_once('_') {
            // A time as the server writes it (RFC 3339, UTC, whole
            // seconds): times compare as text, and any other spelling
            // (`+03:00`, a fraction) would skip or end the list unnoticed.
            Some((id, at)) if at.len() <= 40 && is_stored_time(at) => (id, Some(at.to_owned())),
            Some(_) => return None,
            None => (s, None),
        };
        Some(Self {
            id: id.parse().ok()?,
            at,
        })
    }
}

/// Whether `at` is a time as comments store it: `2026-11-28T12:00:00Z`.
fn is_stored_time(at: &str) -> bool {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(at, &Rfc3339)
        .ok()
        .filter(|t| t.offset().is_utc() && t.nanosecond() == 0)
        .and_then(|t| t.format(&Rfc3339).ok())
        .is_some_and(|written| written == at)
}

impl std::fmt::Display for CommentCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{}_{at}", self.id),
            None => write!(f, "{}", self.id),
        }
    }
}

/// Cuts a page (`items`, and `next`, where it goes on) to
/// [`PAGE_BYTES`]: it ends with the comment that reaches them, whose
/// replies end before the one that would pass them (`replies_next` then
/// goes on from the last one kept). A page keeps its first comment.
pub fn fit_page(items: &mut Vec<Comment>, next: &mut Option<CommentCursor>) {
    let mut spent = 0;
    for i in 0..items.len() {
        let c = &mut items[i];
        spent += json_bytes(c);
        if spent > PAGE_BYTES && i > 0 {
            items.truncate(i);
            *next = items.last().map(CommentCursor::after);
            return;
        }
        let Some(replies) = c.replies.as_mut() else {
            continue;
        };
        let Some(over) = replies.iter().position(|r| {
            spent += json_bytes(r);
            spent > PAGE_BYTES
        }) else {
            continue;
        };
        replies.truncate(over);
        // Replies' ids are above 0: "0" is the first of them.
        let after = replies
            .last()
            .map_or_else(|| "0".to_owned(), |r| CommentCursor::after(r).to_string());
        c.replies_next = Some(after);
        let here = CommentCursor::after(c);
        if i + 1 < items.len() {
            items.truncate(i + 1);
            *next = Some(here);
        }
        return;
    }
}

/// A stored comment with what only moderators see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredComment {
    /// The public part.
    #[serde(flatten)]
    pub comment: Comment,
    /// The article it belongs to.
    pub article_id: String,
    /// `published`, `pending`, `rejected` or `spam`.
    pub status: String,
    /// The address the reader gave, if any.
    pub email: Option<String>,
}

/// Per-field problems: field name → (code, English message).
pub type FieldErrors = BTreeMap<&'static str, (&'static str, String)>;

/// The English message of a problem, for people reading API answers.
fn english(field: Field, problem: Problem) -> String {
    use khabar_rules::{AUTHOR_MAX, BODY_MAX, BODY_MIN};
    match (field, problem) {
        (Field::Author, Problem::TooLong) => format!("A name has at most {AUTHOR_MAX} characters."),
        (Field::Author, _) => "Please give a name.".into(),
        (Field::Body, Problem::TooLong) => format!("A comment has at most {BODY_MAX} characters."),
        (Field::Body, _) => format!("A comment has at least {BODY_MIN} characters."),
        (Field::Email, _) => "This e-mail address is not valid.".into(),
        (Field::Parent, _) => "Replies go to a published top-level comment of this article.".into(),
        (Field::IdempotencyKey, _) => "8–100 of A–Z, a–z, 0–9, '-', '_'.".into(),
    }
}

/// Applies every rule; all failing fields are reported at once.
pub fn validate(input: &NewComment) -> Result<CleanComment, FieldErrors> {
    let email = input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned);
    let mut problems =
        khabar_rules::check(&input.author, email.as_deref().unwrap_or(""), &input.body);
    let key = input.idempotency_key.trim().to_owned();
    if !khabar_rules::is_idempotency_key(&key) {
        problems.push((Field::IdempotencyKey, Problem::Invalid));
    }
    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .map(|(f, p)| (f.name(), (p.code(), english(f, p))))
            .collect());
    }
    Ok(CleanComment {
        author: clean_author(&input.author),
        email,
        body: khabar_rules::clean_comment(&input.body),
        parent_id: input.parent_id,
        is_spam: input
            .website
            .as_deref()
            .is_some_and(|w| !w.trim().is_empty()),
        key,
    })
}

/// Moderation policy for new comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderation {
    /// New comments wait for a moderator.
    Pre,
    /// New comments are published at once; moderators remove afterwards.
    Post,
}

impl CleanComment {
    /// The status this comment is stored with: a filled honeypot is kept
    /// as spam (answered like any comment, never shown), the rest follows
    /// the moderation policy.
    pub fn initial_status(&self, moderation: Moderation) -> &'static str {
        match (self.is_spam, moderation) {
            (true, _) => "spam",
            (false, Moderation::Pre) => "pending",
            (false, Moderation::Post) => "published",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(author: &str, body: &str) -> NewComment {
        NewComment {
            author: author.into(),
            body: body.into(),
            idempotency_key: "key-0123456789".into(),
            ..NewComment::default()
        }
    }

    #[test]
    fn every_rule_names_its_field() {
        let ok = validate(&input("Ali", "Good piece.")).expect("valid");
        assert_eq!(ok.author, "Ali");
        assert!(!ok.is_spam);

        let e = validate(&input("  \u{202E} ", "x")).expect_err("invalid");
        assert_eq!(e["author"].0, "required");
        assert_eq!(e["body"].0, "too_short");

        let e = validate(&input(&"ن".repeat(81), &"ب".repeat(5001))).expect_err("too long");
        assert_eq!(e["author"].0, "too_long");
        assert_eq!(e["body"].0, "too_long");
        assert!(validate(&input(&"ن".repeat(80), &"ب".repeat(5000))).is_ok());

        let mut bad = input("Ali", "ok!");
        bad.email = Some("not-an-address".into());
        bad.idempotency_key = "short".into();
        let e = validate(&bad).expect_err("invalid");
        assert_eq!(e["email"].0, "invalid");
        assert_eq!(e["idempotency_key"].0, "invalid");
    }

    #[test]
    fn a_filled_honeypot_marks_spam() {
        let mut i = input("Bot", "Buy now");
        i.website = Some("http://spam.example".into());
        assert!(validate(&i).expect("looks valid").is_spam);
    }
}
