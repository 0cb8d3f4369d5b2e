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
}

/// What the store keeps about an article beside its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleState {
    /// The article.
    pub id: String,
    /// Hidden from readers (kept with its comments).
    pub hidden: bool,
    /// A source URL, `push`, or `None` for imports.
    pub origin: Option<String>,
}

impl Dump {
    /// Puts rows in the canonical order the checksum is computed over.
    pub fn sort(&mut self) {
        self.articles.sort_by(|a, b| a.id.cmp(&b.id));
        self.comments.sort_by_key(|c| c.id);
        self.article_state.sort_by(|a, b| a.id.cmp(&b.id));
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
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}
