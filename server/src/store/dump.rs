//! Every stored row in an engine-neutral form, for moving a site between
//! engines (`khabar-server migrate --from … --to …`) with a checksum that
//! proves nothing was lost or changed on the way.

use serde::Serialize;

use crate::model::Article;

/// A comment row exactly as stored, moderation-only fields included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommentRow {
    /// Identifier, kept across engines (replies point at it).
    pub id: i64,
    /// The article it belongs to.
    pub article_id: String,
    /// The comment it replies to.
    pub parent_id: Option<i64>,
    /// Display name.
    pub author: String,
    /// Address, never published.
    pub email: Option<String>,
    /// Plain text.
    pub body: String,
    /// `published`, `pending`, `rejected` or `spam`.
    pub status: String,
    /// RFC 3339.
    pub created_at: String,
    /// The key its client chose, so retries stay idempotent after a move.
    pub idempotency_key: Option<String>,
    /// The client address as an HMAC under the install's secret.
    pub client_hmac: Option<String>,
}

/// Everything a store holds: articles by id, comments by id.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Dump {
    /// Articles, ordered by id.
    pub articles: Vec<Article>,
    /// Comments, ordered by id.
    pub comments: Vec<CommentRow>,
    /// Per article id: whether it is hidden, and where it came from.
    pub article_state: Vec<ArticleState>,
    /// Every other table worth keeping, row by row, in [`TABLES`] order:
    /// moderator accounts, their sessions, the audit log, the install's
    /// secret (so client hashes stay comparable), the sources' sync state,
    /// moderator mail's cursors, the blocked authors, reply subscriptions and notices, webhook
    /// deliveries with their URL list, and the keys of imported comments
    /// deleted here ([`TABLES`] says which). Rate-limit
    /// events, failed sign-ins and job times are transient and start
    /// afresh.
    pub tables: Vec<(String, Vec<Vec<Cell>>)>,
    /// Per table of [`NEVER_REUSED`], in that order: the largest id it has
    /// handed out, deleted rows included, so that the target never hands
    /// one out again (0 when none).
    pub id_counters: Vec<(String, i64)>,
}

/// Tables whose ids leave the database (in mail links, webhooks, the mail
/// cursor, the admin page's retry buttons) and so must never be given
/// to a second row.
pub const NEVER_REUSED: &[&str] = &["comments", "reply_subscriptions", "webhook_deliveries"];

/// One value of a row of [`TABLES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// An integer column.
    Int(i64),
    /// A text column.
    Text(String),
}

/// Whether a column holds integers or text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// INTEGER / BIGINT.
    Int,
    /// TEXT.
    Text,
}

/// A copied table: its name, its columns with their kinds, and whether its
/// first column is an identity.
pub type Table = (&'static str, &'static [(&'static str, Kind)], bool);

/// The tables copied as they are, each with its columns in order (parents
/// before the tables that reference them), and whether its first column is
/// an identity whose sequence must continue after the copied ids.
pub const TABLES: &[Table] = &[
    (
        "moderators",
        &[
            ("id", Kind::Int),
            ("name", Kind::Text),
            ("password_hash", Kind::Text),
        ],
        true,
    ),
    (
        "sessions",
        &[
            ("token_hash", Kind::Text),
            ("moderator_id", Kind::Int),
            ("csrf", Kind::Text),
            ("expires_ms", Kind::Int),
        ],
        false,
    ),
    (
        "audit_log",
        &[
            ("id", Kind::Int),
            ("at", Kind::Text),
            ("moderator", Kind::Text),
            ("action", Kind::Text),
            ("comment_id", Kind::Int),
            ("article_id", Kind::Text),
            ("detail", Kind::Text),
        ],
        true,
    ),
    (
        "install_secrets",
        &[("name", Kind::Text), ("value", Kind::Text)],
        false,
    ),
    (
        "sources",
        &[("url", Kind::Text), ("state_json", Kind::Text)],
        false,
    ),
    // How far moderator mail got (for each address): without it the new
    // database would start after the newest waiting comment, and those
    // not yet mailed would never be.
    (
        "cursors",
        &[("name", Kind::Text), ("value", Kind::Int)],
        false,
    ),
    (
        "author_blocks",
        &[
            ("id", Kind::Int),
            ("kind", Kind::Text),
            ("value", Kind::Text),
            ("moderator", Kind::Text),
            ("at", Kind::Text),
        ],
        true,
    ),
    // After `comments` (restored before every table here): a subscription
    // belongs to a conversation.
    (
        "reply_subscriptions",
        &[
            ("id", Kind::Int),
            ("comment_id", Kind::Int),
            ("email", Kind::Text),
            ("lang", Kind::Text),
            ("base_url", Kind::Text),
            ("created_ms", Kind::Int),
            ("confirmed_ms", Kind::Int),
            ("ended_ms", Kind::Int),
            ("confirm_due_ms", Kind::Int),
            ("confirm_tries", Kind::Int),
        ],
        true,
    ),
    (
        "reply_notices",
        &[
            ("id", Kind::Int),
            ("reply_id", Kind::Int),
            ("attempts", Kind::Int),
            ("created_ms", Kind::Int),
            ("sent_to", Kind::Text),
            ("next_ms", Kind::Int),
            ("done", Kind::Int),
            ("queued", Kind::Int),
        ],
        true,
    ),
    (
        "webhook_urls",
        &[("url", Kind::Text), ("seen_ms", Kind::Int)],
        false,
    ),
    (
        "webhook_deliveries",
        &[
            ("id", Kind::Int),
            ("delivery_id", Kind::Text),
            ("url", Kind::Text),
            ("event", Kind::Text),
            ("comment_id", Kind::Int),
            ("body", Kind::Text),
            ("attempts", Kind::Int),
            ("next_attempt_ms", Kind::Int),
            ("claimed_until_ms", Kind::Int),
            ("last_status", Kind::Int),
            ("last_error", Kind::Text),
            ("delivered_ms", Kind::Int),
            ("failed_ms", Kind::Int),
            ("created_ms", Kind::Int),
        ],
        true,
    ),
    (
        "deleted_imports",
        &[("idempotency_key", Kind::Text), ("article_id", Kind::Text)],
        false,
    ),
    // The mail `--mail-outbox` keeps for `/admin/outbox` (it was left
    // behind by a move before 2026-12-07).
    (
        "mail_outbox",
        &[
            ("id", Kind::Int),
            ("at", Kind::Text),
            ("sender", Kind::Text),
            ("recipient", Kind::Text),
            ("subject", Kind::Text),
            ("text", Kind::Text),
        ],
        true,
    ),
];

/// What the store keeps about an article beside its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleState {
    /// The article.
    pub id: String,
    /// Hidden from readers (kept with its comments).
    pub hidden: bool,
    /// A source URL, `push`, or `None` for imports.
    pub origin: Option<String>,
    /// What its source last said about comments.
    pub source_open: Option<bool>,
}

impl Dump {
    /// Puts rows in the canonical order the checksum is computed over.
    pub fn sort(&mut self) {
        self.articles.sort_by(|a, b| a.id.cmp(&b.id));
        self.comments.sort_by_key(|c| c.id);
        self.article_state.sort_by(|a, b| a.id.cmp(&b.id));
        for (_, rows) in &mut self.tables {
            rows.sort_by_key(|r| format!("{r:?}"));
        }
    }

    /// SHA-256 of the canonical JSON of every row (stable field order,
    /// rows sorted, derived counts left out), in hex.
    pub fn checksum(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut sorted = self.clone();
        sorted.sort();
        let mut hash = Sha256::new();
        for mut a in sorted.articles {
            // Derived from the comments, not stored with the article.
            a.comment_count = 0;
            hash.update(serde_json::to_vec(&a).unwrap_or_default());
            hash.update(b"\n");
        }
        for c in &sorted.comments {
            hash.update(serde_json::to_vec(c).unwrap_or_default());
            hash.update(b"\n");
        }
        for st in &sorted.article_state {
            hash.update(serde_json::to_vec(st).unwrap_or_default());
            hash.update(b"\n");
        }
        for (table, rows) in &sorted.tables {
            hash.update(table.as_bytes());
            for row in rows {
                hash.update(serde_json::to_vec(row).unwrap_or_default());
                hash.update(b"\n");
            }
        }
        for (table, counter) in &sorted.id_counters {
            hash.update(format!("{table} next after {counter}\n").as_bytes());
        }
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}
