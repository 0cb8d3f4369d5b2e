//! Reader comments: the rules a new comment must follow, and its storage.
//!
//! The rules are pure functions (tested natively, mirrored by the widget);
//! storage keeps one row per idempotency key, so no retry can ever create a
//! second copy of a comment.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::db::DbError;

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
    /// Published replies, oldest first (top-level comments only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replies: Option<Vec<Comment>>,
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
        body: clean_body(&input.body),
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

/// Why a stored comment could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The article does not exist.
    #[error("article not found")]
    NoArticle,
    /// The article does not take comments.
    #[error("comments are closed on this article")]
    Closed,
    /// `parent_id` is not a published top-level comment of this article.
    #[error("parent comment is not a published top-level comment of this article")]
    BadParent,
    /// The key was already used for a comment on another article.
    #[error("idempotency key already used for another comment")]
    KeyConflict,
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for CreateError {
    fn from(e: rusqlite::Error) -> Self {
        CreateError::Db(DbError::Sql(e))
    }
}

const COLUMNS: &str = "id, author, body, created_at, parent_id, article_id, status, email";

fn row_to_stored(row: &Row<'_>) -> rusqlite::Result<StoredComment> {
    Ok(StoredComment {
        comment: Comment {
            id: row.get(0)?,
            author: row.get(1)?,
            body: row.get(2)?,
            created_at: row.get(3)?,
            parent_id: row.get(4)?,
            replies: None,
        },
        article_id: row.get(5)?,
        status: row.get(6)?,
        email: row.get(7)?,
    })
}

/// Serializes comment writes inside the process (see [`create`]).
static WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Stores `c` on `article_id` unless its key was seen before; either way
/// returns the comment stored under that key. One transaction, so
/// concurrent identical requests still create one row.
pub fn create(
    conn: &mut Connection,
    article_id: &str,
    c: &CleanComment,
    moderation: Moderation,
    now: &str,
) -> Result<StoredComment, CreateError> {
    // SQLite has one writer at a time anyway; waiting here is a queue,
    // where its busy handler would sleep up to 100 ms between retries
    // (measured: p99 of a POST over 1 s at 16 connections without this).
    let _one_writer = WRITER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if let Some(existing) = by_key(&tx, &c.key)? {
        return if existing.article_id == article_id {
            Ok(existing)
        } else {
            Err(CreateError::KeyConflict)
        };
    }
    let open: Option<bool> = tx
        .query_row(
            "SELECT comments_open FROM articles WHERE id = ?1",
            [article_id],
            |r| r.get(0),
        )
        .optional()?;
    match open {
        None => return Err(CreateError::NoArticle),
        Some(false) => return Err(CreateError::Closed),
        Some(true) => {}
    }
    if let Some(parent) = c.parent_id {
        let ok: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM comments WHERE id = ?1 AND article_id = ?2
                 AND status = 'published' AND parent_id IS NULL)",
            params![parent, article_id],
            |r| r.get(0),
        )?;
        if !ok {
            return Err(CreateError::BadParent);
        }
    }
    let status = match (c.is_spam, moderation) {
        (true, _) => "spam",
        (false, Moderation::Pre) => "pending",
        (false, Moderation::Post) => "published",
    };
    tx.execute(
        "INSERT INTO comments (article_id, parent_id, author, email, body, status, created_at,
             idempotency_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            article_id,
            c.parent_id,
            c.author,
            c.email,
            c.body,
            status,
            now,
            c.key
        ],
    )?;
    let stored = by_key(&tx, &c.key)?.ok_or(DbError::Sql(rusqlite::Error::QueryReturnedNoRows))?;
    tx.commit()?;
    Ok(stored)
}

fn by_key(conn: &Connection, key: &str) -> Result<Option<StoredComment>, DbError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM comments WHERE idempotency_key = ?1"),
            [key],
            row_to_stored,
        )
        .optional()?)
}

/// One comment by id, whatever its status.
pub fn get(conn: &Connection, id: i64) -> Result<Option<StoredComment>, DbError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM comments WHERE id = ?1"),
            [id],
            row_to_stored,
        )
        .optional()?)
}

/// Sort order of the comment list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Oldest first (the default: a conversation reads top-down).
    Oldest,
    /// Newest first.
    Newest,
}

/// A page of published top-level comments with their published replies.
pub struct CommentPage {
    /// Top-level comments of this page.
    pub items: Vec<Comment>,
    /// Id to continue after, if there is more.
    pub next: Option<i64>,
    /// All published comments of the article, replies included.
    pub total: i64,
}

/// Lists published comments of `article_id`, `limit` top-level ones at a
/// time after `after` (an id), each with its published replies.
pub fn list(
    conn: &Connection,
    article_id: &str,
    sort: Sort,
    limit: u32,
    after: Option<i64>,
) -> Result<CommentPage, DbError> {
    let (cmp, order, start) = match sort {
        Sort::Oldest => (">", "ASC", i64::MIN),
        Sort::Newest => ("<", "DESC", i64::MAX),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM comments
         WHERE article_id = ?1 AND status = 'published' AND parent_id IS NULL AND id {cmp} ?2
         ORDER BY id {order} LIMIT ?3"
    ))?;
    let mut items = stmt
        .query_map(
            params![article_id, after.unwrap_or(start), i64::from(limit) + 1],
            row_to_stored,
        )?
        .map(|r| r.map(|s| s.comment))
        .collect::<Result<Vec<_>, _>>()?;
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|c| c.id)
    } else {
        None
    };
    let mut replies = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM comments
         WHERE parent_id = ?1 AND status = 'published' ORDER BY id ASC"
    ))?;
    for item in &mut items {
        let found = replies
            .query_map([item.id], row_to_stored)?
            .map(|r| r.map(|s| s.comment))
            .collect::<Result<Vec<_>, _>>()?;
        item.replies = Some(found);
    }
    let total = conn.query_row(
        "SELECT COUNT(*) FROM comments WHERE article_id = ?1 AND status = 'published'",
        [article_id],
        |r| r.get(0),
    )?;
    Ok(CommentPage { items, next, total })
}

/// Comments waiting for a moderator, oldest first.
pub fn pending(conn: &Connection, limit: u32) -> Result<Vec<StoredComment>, DbError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM comments WHERE status = 'pending' ORDER BY id ASC LIMIT ?1"
    ))?;
    let rows = stmt
        .query_map([limit], row_to_stored)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Sets the status of comment `id`; `false` when there is no such comment.
pub fn set_status(conn: &Connection, id: i64, status: &str) -> Result<bool, DbError> {
    Ok(conn.execute(
        "UPDATE comments SET status = ?2 WHERE id = ?1",
        params![id, status],
    )? > 0)
}

/// Deletes comment `id` and its replies; `false` when there is no such comment.
pub fn delete(conn: &Connection, id: i64) -> Result<bool, DbError> {
    conn.execute("DELETE FROM comments WHERE parent_id = ?1", [id])?;
    Ok(conn.execute("DELETE FROM comments WHERE id = ?1", [id])? > 0)
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
