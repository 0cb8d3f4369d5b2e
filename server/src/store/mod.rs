//! The one storage interface of the server. Handlers, the command line and
//! the import reach the database only through [`Store`]; each engine is an
//! implementation of it (today [`sqlite::SqliteStore`]).

pub mod cached;
pub mod dump;
pub mod engine;
pub mod migrate;
pub mod postgres;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;

use crate::comments::{CleanComment, Moderation, StoredComment};
use crate::model::{Article, ArticleSummary};

/// A shared handle on the storage engine.
pub type SharedStore = Arc<dyn Store>;

/// Called whenever the stored data may have changed.
pub type ChangeHook = Arc<dyn Fn() + Send + Sync>;

/// Storage failures. Details go to the log, never to a client.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The engine refused or failed.
    #[error("database: {0}")]
    Engine(String),
    /// A stored JSON column does not parse.
    #[error("stored body is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The blocking task running the query died.
    #[error("database task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Why a comment could not be created.
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
    Store(#[from] StoreError),
}

/// A place in the newest-first order of articles: (published_ts, id).
pub type Position = (i64, String);

/// Filters and position of an article list.
#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    /// At most this many items.
    pub limit: u32,
    /// Only after this (published_ts, id) position.
    pub after: Option<Position>,
    /// Only this section.
    pub section: Option<String>,
    /// Only this language.
    pub lang: Option<String>,
}

/// Sort order of a comment list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sort {
    /// Oldest first (the default: a conversation reads top-down).
    Oldest,
    /// Newest first.
    Newest,
}

/// A page of published top-level comments with their published replies.
#[derive(Debug, Clone)]
pub struct CommentPage {
    /// Top-level comments of this page.
    pub items: Vec<crate::comments::Comment>,
    /// Id to continue after, if there is more.
    pub next: Option<i64>,
    /// All published comments of the article, replies included.
    pub total: i64,
}

/// Which comments a list asks for.
#[derive(Debug, Clone)]
pub struct CommentQuery {
    /// The article.
    pub article_id: String,
    /// Order.
    pub sort: Sort,
    /// Top-level comments per page.
    pub limit: u32,
    /// Continue after this comment id.
    pub after: Option<i64>,
}

/// Milliseconds since the Unix epoch, as the stores keep times they compare.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Moderation states a comment can be put in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Shown to readers.
    Published,
    /// Waiting for a moderator.
    Pending,
    /// Kept, never shown.
    Rejected,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Published => "published",
            Status::Pending => "pending",
            Status::Rejected => "rejected",
        }
    }
}

/// Everything the server stores, behind one async interface. Every method
/// is safe to call from async handlers: implementations keep blocking work
/// off the async threads.
#[async_trait]
pub trait Store: Send + Sync {
    /// Number of stored articles.
    async fn article_count(&self) -> Result<i64, StoreError>;
    /// Inserts or replaces already validated articles, all or none. An
    /// article that was hidden is shown again. `origin` records where they
    /// came from (a source URL for syncs, `push` for the publishing API;
    /// `None` for imports), so that a sync can tell which are gone.
    async fn upsert_articles(
        &self,
        articles: Vec<Article>,
        origin: Option<&str>,
    ) -> Result<usize, StoreError>;
    /// Hides an article (gone upstream, or deleted through the publishing
    /// API) or shows it again: a hidden article is missing from lists,
    /// feeds and its endpoint, and its comments are kept. `false` when
    /// there is no such article.
    async fn set_article_hidden(&self, id: &str, hidden: bool) -> Result<bool, StoreError>;
    /// Ids of the articles from `origin` that are shown now.
    async fn visible_ids_from(&self, origin: &str) -> Result<Vec<String>, StoreError>;
    /// One article by id.
    async fn article(&self, id: &str) -> Result<Option<Article>, StoreError>;
    /// Newest first, keyset-paged: the page and where the next one starts.
    async fn list_articles(
        &self,
        query: ListQuery,
    ) -> Result<(Vec<ArticleSummary>, Option<Position>), StoreError>;
    /// The newest `limit` full articles, optionally of one section (feeds).
    async fn recent_articles(
        &self,
        section: Option<String>,
        limit: u32,
    ) -> Result<Vec<Article>, StoreError>;

    /// Stores `comment` on `article_id` unless its idempotency key was seen
    /// before; either way returns the comment stored under that key.
    async fn create_comment(
        &self,
        article_id: &str,
        comment: CleanComment,
        moderation: Moderation,
        now: String,
    ) -> Result<StoredComment, CreateError>;
    /// The comment stored under an idempotency key, if any.
    async fn comment_by_key(&self, key: &str) -> Result<Option<StoredComment>, StoreError>;
    /// One comment by id, whatever its status.
    async fn comment(&self, id: i64) -> Result<Option<StoredComment>, StoreError>;
    /// A page of published comments; `None` when the article does not exist.
    async fn list_comments(&self, query: CommentQuery) -> Result<Option<CommentPage>, StoreError>;
    /// Comments waiting for a moderator, oldest first.
    async fn pending_comments(&self, limit: u32) -> Result<Vec<StoredComment>, StoreError>;
    /// Sets a comment's status; the comment after the change, `None` when
    /// there is no such comment.
    async fn set_comment_status(
        &self,
        id: i64,
        status: Status,
    ) -> Result<Option<StoredComment>, StoreError>;
    /// Deletes a comment and its replies; `false` when there is no such comment.
    async fn delete_comment(&self, id: i64) -> Result<bool, StoreError>;
    /// Opens or closes an article's comments; `false` when there is no such
    /// article.
    async fn set_comments_open(&self, article_id: &str, open: bool) -> Result<bool, StoreError>;
    /// How many comments are in each status (`published`, `pending`, …).
    async fn comment_counts(&self) -> Result<Vec<(String, i64)>, StoreError>;

    /// Every row the server stores, for `khabar-server migrate`.
    async fn dump(&self) -> Result<dump::Dump, StoreError>;
    /// Writes a dump into this (empty) store, keeping every id.
    async fn restore(&self, dump: dump::Dump) -> Result<(), StoreError>;

    /// Whether several server processes may use this store at once, so
    /// that what they must agree on (rate-limit windows) lives in it.
    fn shares_state(&self) -> bool;
    /// Records one event of `client` in `bucket` unless it already had
    /// `max` in the last `window`; then how long until it may again.
    async fn rate_hit(
        &self,
        bucket: &str,
        client: &str,
        max: u32,
        window: std::time::Duration,
    ) -> Result<Option<std::time::Duration>, StoreError>;
    /// Claims the periodic job `name` for `holder` if it is due, and
    /// schedules its next run `every` later: of all the instances that ask
    /// at the same moment, exactly one gets `true`.
    async fn claim_job(
        &self,
        name: &str,
        every: std::time::Duration,
        holder: &str,
    ) -> Result<bool, StoreError>;
    /// Forgets rate-limit events older than `window`; how many.
    async fn prune_rate_hits(&self, window: std::time::Duration) -> Result<u64, StoreError>;

    /// Calls `on_change` from now on whenever any process (this one, the
    /// CLI, another instance) may have changed the data, for as long as the
    /// runtime runs. What the read cache relies on.
    async fn watch_changes(&self, on_change: ChangeHook) -> Result<(), StoreError>;
}
