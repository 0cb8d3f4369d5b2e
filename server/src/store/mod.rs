//! The one storage interface of the server. Handlers, the command line and
//! the import reach the database only through [`Store`]; each engine is an
//! implementation of it (today [`sqlite::SqliteStore`]).

/// The SQL condition of a comment readers see, on a row of `comments`
/// named `c`: published, and a reply only under a published comment (a
/// reply to a comment a moderator rejected is hidden with it, and is not
/// counted). Replies are one level deep (`create_comment` refuses deeper
/// ones), so one look at the parent is enough. A macro, not a constant, so
/// that `concat!` can put it inside the stores' constant queries.
macro_rules! shown_comment {
    () => {
        "c.status = 'published' AND (c.parent_id IS NULL OR EXISTS (SELECT 1 FROM comments p WHERE p.id = c.parent_id AND p.status = 'published'))"
    };
}

pub mod cached;
pub mod dump;
pub mod engine;
pub mod migrate;
pub mod postgres;
mod postgres_tls;
pub mod sqlite;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;

use crate::comments::{CleanComment, CommentCursor, Moderation, StoredComment};
use crate::model::{Article, ArticleSummary};

/// A shared handle on the storage engine.
pub type SharedStore = Arc<dyn Store>;

/// What a change watcher ([`Store::watch_changes`]) reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The stored data may have changed.
    Data,
    /// The watcher can no longer tell when the data changes (PostgreSQL's
    /// `LISTEN` connection is lost): whatever is read now may go stale
    /// unnoticed until [`Change::Watching`].
    Lost,
    /// The watcher hears changes again; what changed while it could not
    /// is unknown.
    Watching,
}

/// Called with every [`Change`] a watcher reports.
pub type ChangeHook = Arc<dyn Fn(Change) + Send + Sync>;

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

/// One row of the moderators' list of articles, which holds what readers'
/// lists leave out: hidden articles and the comment threads of pages known
/// only by their URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeratedArticle {
    /// Identifier.
    pub id: String,
    /// Canonical URL (a thread's page).
    pub url: String,
    /// Headline (a thread's: the title its first comment named).
    pub title: String,
    /// RFC 3339 (a thread's: when its first comment came).
    pub published_at: String,
    /// Comments shown to readers.
    pub comment_count: u32,
    /// Whether readers may comment.
    pub comments_open: bool,
    /// Hidden from readers (deleted in its CMS, or hidden here).
    pub hidden: bool,
    /// A thread of a page known by its URL alone, not an article.
    pub thread: bool,
}

/// The first `limit` of `rows` (each with its `published_ts`, one more
/// asked for than shown) and where the next page starts.
pub(crate) fn moderated_page(
    mut rows: Vec<(ModeratedArticle, i64)>,
    limit: u32,
) -> (Vec<ModeratedArticle>, Option<Position>) {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = more
        .then(|| rows.last().map(|(a, ts)| (*ts, a.id.clone())))
        .flatten();
    (rows.into_iter().map(|(a, _)| a).collect(), next)
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
    /// Where the next page begins, if there is more.
    pub next: Option<CommentCursor>,
    /// All published comments of the article, replies included.
    pub total: i64,
    /// Whether the article takes comments (a `comments` widget has no
    /// article to tell it).
    pub comments_open: bool,
}

/// A page of the replies to one comment.
#[derive(Debug, Clone)]
pub struct ReplyPage {
    /// Published replies, oldest first.
    pub items: Vec<crate::comments::Comment>,
    /// Where the next page begins, if there is more.
    pub next: Option<CommentCursor>,
}

/// Where a page in `sort` order goes on: the time (`None` for a plain
/// id, which the store looks up) and the id to compare (created_at, id)
/// with. Without a cursor, before the first in that order (each
/// `created_at` begins with a digit, which `~` follows).
pub(crate) fn cursor_bounds(cursor: Option<&CommentCursor>, sort: Sort) -> (Option<&str>, i64) {
    match (cursor, sort) {
        (Some(c), _) => (c.at.as_deref(), c.id),
        (None, Sort::Oldest) => (Some(""), i64::MIN),
        (None, Sort::Newest) => (Some("~"), i64::MAX),
    }
}

/// Keeps the first `limit` of `items` (fetched one more than that): where
/// to go on when there were more.
pub(crate) fn cut_page(
    items: &mut Vec<crate::comments::Comment>,
    limit: usize,
) -> Option<CommentCursor> {
    if items.len() <= limit {
        return None;
    }
    items.truncate(limit);
    items.last().map(CommentCursor::after)
}

/// Replies under each comment of a page for a client that names no
/// `replies` (one of the first contract, before replies were paged): more
/// than any real thread, with `replies_next` past them, so that one
/// request never reads a comment's replies without end.
pub const REPLIES_UNASKED: u32 = 1_000;

/// Which comments a list asks for.
#[derive(Debug, Clone)]
pub struct CommentQuery {
    /// The article.
    pub article_id: String,
    /// Order.
    pub sort: Sort,
    /// Top-level comments per page.
    pub limit: u32,
    /// Continue after this comment.
    pub after: Option<CommentCursor>,
    /// Replies under each comment: the first this many, the rest from
    /// [`Store::list_replies`] (`None`: all, as clients of the first
    /// contract expect).
    pub replies: Option<u32>,
}

/// What an upsert of `a` from `origin` records as its source's word on
/// comments: none for an import (`origin` is `None`); otherwise what a sync
/// found at the source, or, for a push, what was pushed. An upsert keeps
/// the stored `comments_open` while that word is unchanged, so that a
/// moderator's choice stands until the source says something new.
pub(crate) fn source_word(a: &crate::model::Article, origin: Option<&str>) -> Option<bool> {
    origin.map(|_| a.source_comments_open.unwrap_or(a.comments_open))
}

/// `d` in milliseconds (`i64::MAX` past that), to add to or take from a
/// time the stores keep; saturating arithmetic keeps a long one in range.
pub fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Milliseconds since the Unix epoch, as the stores keep times they compare.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// What the syncs of one article source remember between runs (see
/// `crate::sync`), kept in the store so that any instance, or the
/// one-shot CLI, continues where the last sync left off.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceState {
    /// `ETag` of the last good answer (conditional GET).
    #[serde(default)]
    pub etag: Option<String>,
    /// `Last-Modified` of the last good answer (conditional GET).
    #[serde(default)]
    pub last_modified: Option<String>,
    /// When the last successful sync started, ms since the epoch.
    #[serde(default)]
    pub synced_from_ms: Option<i64>,
    /// Failed syncs since the last success (for the backoff).
    #[serde(default)]
    pub failures: u32,
    /// When the last sync, good or bad, started, ms since the epoch.
    #[serde(default)]
    pub last_try_ms: Option<i64>,
    /// What the ids of a WordPress source's articles start with, chosen
    /// at its first sync (`{host}` or `{host}-{path}`); absent in a
    /// state from before sites in subdirectories had their own ids.
    #[serde(default)]
    pub article_prefix: Option<String>,
    /// How far the listing of a WordPress source's posts, newest first,
    /// has been read to fetch those a first sync stopped before; absent
    /// once every post has been read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfill_at: Option<ListingAt>,
    /// Whether every post of a WordPress source has been read once (a
    /// first sync that was not cut, or the older posts since); a state
    /// without it, from an earlier version, has the archive read once.
    #[serde(default)]
    pub archive_read: bool,
    /// A WordPress source's posts that a sync skipped for good (no title,
    /// a password, a page that fails), with when (ms since the epoch): not
    /// fetched by id again until a day later; an edit brings one back
    /// sooner.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unstorable: BTreeMap<u64, i64>,
    /// A WordPress source's changes that the pages missed and a sync had
    /// no room (or no answer) to fetch by id, with when one was first left
    /// (ms since the epoch): fetched by id by the next syncs, for a week.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub missed: BTreeMap<u64, i64>,
    /// A WordPress source's posts its syncs hid because the site stopped
    /// listing them (unpublished, or scheduled again): shown again when it
    /// lists them again, edited or not.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub unlisted: BTreeSet<u64>,
}

/// A place in a WordPress site's listing of post ids, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListingAt {
    /// Posts before the next page.
    pub at: usize,
    /// The site's page size.
    pub size: usize,
    /// The lowest id read: the next page starts below it, unless posts
    /// trashed meanwhile moved the listing back.
    pub below: Option<u64>,
}

impl ListingAt {
    /// The listing's start.
    pub const START: ListingAt = ListingAt {
        at: 0,
        size: 100,
        below: None,
    };
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
    /// The status stored as `name`, if it is one of these.
    pub fn parse(name: &str) -> Option<Status> {
        [Status::Published, Status::Pending, Status::Rejected]
            .into_iter()
            .find(|s| s.as_str() == name)
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Published => "published",
            Status::Pending => "pending",
            Status::Rejected => "rejected",
        }
    }
}

/// A comment brought over from another system (`khabar-server comments
/// import`), already cleaned, with the history it had there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedComment {
    /// Its idempotency key, `import:<system>:<site>:<id there>`
    /// (`comment_import::keys`): a second import of the same file finds it
    /// and adds nothing.
    pub key: String,
    /// The key of the comment it answers, if any: a reply stored under
    /// that key hands over its own (top-level) parent, and a key not stored
    /// on the same article makes this a top-level comment.
    pub parent_key: Option<String>,
    /// The keys earlier imports gave it (before keys named the site, or
    /// with the site's other spelling, `www.` or not): stored under one of
    /// them *on the same article*, it is already there.
    pub legacy_keys: Vec<String>,
    /// The same for the comment it answers.
    pub legacy_parent_keys: Vec<String>,
    /// The keys (and legacy keys) of the comments up its chain there,
    /// nearest first (a reply to a reply has more than its parent): the
    /// nearest of them stored here, or deleted here, says whether it
    /// answers a comment that is gone (then it is not added). Empty: its
    /// parent alone.
    pub via_keys: Vec<(String, Vec<String>)>,
    /// Display name.
    pub author: String,
    /// The address the reader gave there, if any.
    pub email: Option<String>,
    /// Plain text with line breaks.
    pub body: String,
    /// `Published` or `Pending`, as it was there.
    pub status: Status,
    /// When it was written there, RFC 3339.
    pub created_at: String,
}

impl ImportedComment {
    /// The keys up its chain, nearest first: [`ImportedComment::via_keys`],
    /// or its parent's alone.
    pub fn chain(&self) -> impl Iterator<Item = (&String, &Vec<String>)> {
        let parent = self
            .parent_key
            .as_ref()
            .filter(|_| self.via_keys.is_empty())
            .map(|key| (key, &self.legacy_parent_keys));
        self.via_keys.iter().map(|(k, l)| (k, l)).chain(parent)
    }
}

/// What an import did (or, in a dry run, would do) with one comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// Stored now.
    Added,
    /// Stored by an earlier import.
    AlreadyThere,
    /// Stored by an earlier import and deleted here since: left deleted.
    DeletedHere,
}

/// A moderator account of the web UI (`khabar-server admin add`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moderator {
    /// Identifier.
    pub id: i64,
    /// Sign-in name.
    pub name: String,
    /// Argon2 PHC string of the password.
    pub password_hash: String,
}

/// A signed-in session of the web UI, found by the hash of its cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Who signed in.
    pub moderator: String,
    /// The token every form of this session must carry.
    pub csrf: String,
}

/// One line of the moderators' audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// Identifier, increasing (ignored when storing).
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    /// Who did it.
    pub moderator: String,
    /// What: `approve`, `reject`, `delete`, `open`, `close`, `sign_in`, …
    pub action: String,
    /// The comment it was done to, if any.
    pub comment_id: Option<i64>,
    /// The article it was done to, if any.
    pub article_id: Option<String>,
    /// What else the action was about: the address or client HMAC of a
    /// block or unblock.
    pub detail: Option<String>,
}

/// What a moderator does to a comment ([`Store::moderate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Gives it the status `to`: only from `from` when named (the status
    /// of the page a moderator acted on), else from any other.
    Set {
        /// The status it gets.
        to: Status,
        /// The status it must have now.
        from: Option<Status>,
    },
    /// Deletes it and its replies, with `only_if` only while it has that
    /// status.
    Delete {
        /// The status it must have now.
        only_if: Option<Status>,
    },
}

/// What [`Store::moderate`] did.
#[derive(Debug, Clone)]
pub struct Moderated {
    /// The comment as the act left it (as it was, for a deletion).
    pub comment: StoredComment,
    /// The replies a deletion took with it.
    pub replies: u64,
}

/// The audit log's detail of a deletion that took `replies` replies with
/// it: the log names what went, not only the comment a moderator chose.
pub fn deletion_detail(replies: u64) -> Option<String> {
    (replies > 0).then(|| crate::audit_detail::Detail::Replies(replies).stored())
}

/// `line` for an act on `comment`: its comment, its article and, for a
/// deletion that took replies, the detail, filled in.
pub(crate) fn line_of(line: &AuditEntry, done: &Moderated, act: Act) -> AuditEntry {
    AuditEntry {
        comment_id: Some(done.comment.comment.id),
        article_id: Some(done.comment.article_id.clone()),
        detail: match act {
            Act::Delete { .. } => deletion_detail(done.replies),
            Act::Set { .. } => line.detail.clone(),
        },
        ..line.clone()
    }
}

/// A comment as the moderation pages show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModComment {
    /// The comment with its moderator-only fields.
    #[serde(flatten)]
    pub stored: StoredComment,
    /// HMAC-SHA256 of the client's address under the install's secret.
    pub client_hmac: Option<String>,
    /// Title of its article.
    pub article_title: String,
    /// URL of its article.
    pub article_url: String,
    /// The comment it replies to.
    pub parent: Option<crate::comments::Comment>,
    /// That comment's status: a published reply under one not published is
    /// not shown to readers, nor counted.
    pub parent_status: Option<String>,
}

/// Which comments the moderation pages list, newest first.
#[derive(Debug, Clone)]
pub struct ModQuery {
    /// Only comments in this status.
    pub status: Status,
    /// Only comments on this article.
    pub article_id: Option<String>,
    /// Only comments whose text or author contains this.
    pub search: Option<String>,
    /// At most this many.
    pub limit: u32,
    /// Where the page starts.
    pub at: Keyset,
    /// Leave out the comments an import brought in (`comments import`):
    /// what the moderators' mail skips, since they come in by the
    /// thousand and wait in the queue, not as news.
    pub readers_only: bool,
}

/// The condition [`ModQuery::readers_only`] adds (on `c`): an import's
/// keys start with `import:`, which a reader's never can (letters, digits,
/// `-` and `_` only).
pub(crate) fn readers_only(yes: bool) -> &'static str {
    if yes {
        "AND (c.idempotency_key IS NULL OR c.idempotency_key NOT LIKE 'import:%')"
    } else {
        ""
    }
}

/// Where a page of a newest-first list (rows with increasing ids) starts:
/// the admin pages' "older" and "newer" links carry the id they continue
/// from, never an offset, so rows arriving meanwhile shift nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Keyset {
    /// The newest rows.
    #[default]
    Newest,
    /// The newest rows older than this id.
    Before(i64),
    /// The oldest rows newer than this id (still returned newest first).
    After(i64),
}

impl Keyset {
    /// (`id <` bound, `id >` bound, whether to read ascending) for SQL.
    pub fn bounds(self) -> (Option<i64>, Option<i64>, bool) {
        match self {
            Keyset::Newest => (None, None, false),
            Keyset::Before(id) => (Some(id), None, false),
            Keyset::After(id) => (None, Some(id), true),
        }
    }
}

/// What a block matches (see [`crate::blocks`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockKind {
    /// The whole e-mail address, lower-cased.
    Email,
    /// The client address's HMAC (`client_hmac`), 64 lower-case hex digits.
    Client,
}

impl BlockKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Email => "email",
            BlockKind::Client => "client",
        }
    }

    /// The kind stored as `name`.
    pub fn parse(name: &str) -> Option<BlockKind> {
        match name {
            "email" => Some(BlockKind::Email),
            "client" => Some(BlockKind::Client),
            _ => None,
        }
    }
}

/// A blocked author: their new comments wait for a moderator whatever the
/// moderation policy (`docs/moderation.md`, "Blocking an author").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuthorBlock {
    /// Row id.
    pub id: i64,
    /// What `value` is.
    pub kind: BlockKind,
    /// The normalized address or HMAC.
    pub value: String,
    /// Who blocked.
    pub moderator: String,
    /// When, RFC 3339.
    pub at: String,
}

/// A message the mail outbox (`--mail-outbox`) kept instead of sending.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutboxMail {
    /// Identifier, increasing (ignored when storing).
    pub id: i64,
    /// When it was "sent", RFC 3339.
    pub at: String,
    /// The From header.
    pub sender: String,
    /// The To header.
    pub recipient: String,
    /// The subject.
    pub subject: String,
    /// The plain-text part, as its reader would see it.
    pub text: String,
}

/// A reader's wish to hear by e-mail of replies to one comment
/// (`crate::replies`); nothing is sent before it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplySubscription {
    /// Identifier (signed into the confirm and unsubscribe links).
    pub id: i64,
    /// The top-level comment whose replies are wanted.
    pub comment_id: i64,
    /// Where to write.
    pub email: String,
    /// The reader's interface language, for the messages.
    pub lang: String,
    /// The server's address as the reader's browser reached it, for links.
    pub base_url: String,
    /// Confirmed through the link in the confirmation message.
    pub confirmed: bool,
    /// Ended by the reader (unsubscribe).
    pub ended: bool,
    /// How often its confirmation was tried, sent or not.
    pub confirm_tries: i64,
}

/// A reply that became visible, whose comment's subscribers may still
/// need telling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyNotice {
    /// Identifier.
    pub id: i64,
    /// The published reply.
    pub reply_id: i64,
    /// Failed sends so far.
    pub attempts: i64,
    /// The subscriptions already told (a retry mails only the others).
    pub sent_to: Vec<i64>,
    /// How many times the reply was published: a finish written for an
    /// older publication records whom it told, and leaves the notice due.
    pub queued: i64,
    /// When the reply was last published (ms since the epoch): a notice
    /// too old to be news is dropped unsent.
    pub published_ms: i64,
}

impl ReplyNotice {
    /// Reads the stored list of subscription ids (`1,5,9`).
    pub fn parse_sent_to(text: &str) -> Vec<i64> {
        text.split(',').filter_map(|id| id.parse().ok()).collect()
    }

    /// Writes a list of subscription ids for storage.
    pub fn format_sent_to(ids: &[i64]) -> String {
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    }
}

/// What came of a run over a reply notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeOutcome {
    /// Every subscriber was told, or the notice was given up on: kept,
    /// with whom it reached, so that the reply published again tells
    /// only the others.
    Done {
        /// Every subscription told.
        sent_to: Vec<i64>,
    },
    /// Some could not be told: try again `after` this wait (on the
    /// store's clock), skipping `sent_to`.
    Retry {
        /// Every subscription told so far.
        sent_to: Vec<i64>,
        /// How long to wait before the next try.
        after: std::time::Duration,
    },
    /// The run's time was up before everyone was told: the next run goes
    /// on, skipping `sent_to`, with no attempt counted.
    Unfinished {
        /// Every subscription told so far.
        sent_to: Vec<i64>,
    },
}

/// `text` as a `LIKE` pattern matching it anywhere (escape character `\`).
pub fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// A failed webhook delivery a moderator put back in the queue: what the
/// audit log names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetriedDelivery {
    /// The comment it is about.
    pub comment_id: i64,
    /// Its event, `comment.published` say.
    pub event: String,
    /// Where it goes.
    pub url: String,
}

impl RetriedDelivery {
    /// `audit` as the log names the retry of delivery `id`: it sends the
    /// comment's text to that URL again.
    pub fn audited(&self, id: i64, audit: AuditEntry) -> AuditEntry {
        AuditEntry {
            comment_id: Some(self.comment_id),
            detail: Some(
                crate::audit_detail::Detail::Delivery {
                    id,
                    event: self.event.clone(),
                    url: self.url.clone(),
                }
                .stored(),
            ),
            ..audit
        }
    }
}

/// `audit` as the log names an erasure of `n` comments.
pub fn erasure_audited(n: u64, audit: AuditEntry) -> AuditEntry {
    AuditEntry {
        detail: Some(crate::audit_detail::Detail::Erased(n).stored()),
        ..audit
    }
}

/// One webhook delivery: an event's body for one URL and how sending it
/// went (`webhook_deliveries`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WebhookDelivery {
    /// Row id (the admin page's retry button names it).
    pub id: i64,
    /// Random id sent as `Khabar-Delivery` and in the body.
    pub delivery_id: String,
    /// Where it goes.
    pub url: String,
    /// `comment.created`, `comment.published`, `comment.rejected` or
    /// `comment.deleted`.
    pub event: String,
    /// The comment it is about.
    pub comment_id: i64,
    /// The JSON body as written with the comment; sent and signed as it
    /// is, but for an article stored with a path, which goes out at
    /// `--public-url` (`webhooks::event::with_absolute_article_url`).
    pub body: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due, ms since the epoch.
    pub next_attempt_ms: i64,
    /// The HTTP status of the last attempt, if it got one.
    pub last_status: Option<u16>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was delivered (a 2xx answer).
    pub delivered_ms: Option<i64>,
    /// When it was given up.
    pub failed_ms: Option<i64>,
    /// When the event happened.
    pub created_ms: i64,
}

/// How one attempt of a webhook delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered 2xx with this status.
    Delivered(u16),
    /// It failed (`status` if the receiver answered); try again `after`
    /// this wait, timed on the store's clock.
    Retry {
        /// The answer's status, if any.
        status: Option<u16>,
        /// What went wrong.
        error: String,
        /// How long to wait before the next attempt.
        after: std::time::Duration,
    },
    /// It failed and no attempt is left.
    Failed {
        /// The answer's status, if any.
        status: Option<u16>,
        /// What went wrong.
        error: String,
    },
}

/// An article found by its URL ([`Store::ids_by_url`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlMatch {
    /// The URL as asked, which the article is stored under.
    pub url: String,
    /// The article's id.
    pub id: String,
    /// Whether it is hidden (deleted upstream or through the publishing API).
    pub hidden: bool,
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
    /// `None` for imports), so that a sync can tell which are gone. A
    /// thread that comments by URL opened for an article's URL before the
    /// article came gives it its comments and is removed.
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
    /// Creates the thread of a page the server does not hold (its first
    /// comment arrived by URL): an article with no body, never listed,
    /// whose comments work like any article's. A thread that exists takes
    /// `title` and `lang` while none of its comments but the newest (the
    /// one just stored, whose title this is) is published: the first
    /// comment's title (a spammer's, or one a moderator rejected) must not
    /// name the page for good.
    async fn ensure_thread(
        &self,
        id: &str,
        url: &str,
        title: &str,
        lang: &str,
    ) -> Result<(), StoreError>;
    /// Ids of the articles from `origin` that are shown now.
    async fn visible_ids_from(&self, origin: &str) -> Result<Vec<String>, StoreError>;
    /// Takes the pushed articles among `ids` (origin `push`: the
    /// WordPress plugin's) as the source `origin`'s, which lists them as
    /// they are: from then on its sync also hides them when their posts
    /// go (a site that moved from the plugin to the sync). How many.
    async fn adopt_pushed(&self, ids: Vec<String>, origin: &str) -> Result<usize, StoreError>;
    /// One article by id.
    async fn article(&self, id: &str) -> Result<Option<Article>, StoreError>;
    /// Whether an article is stored under `id`, hidden or not.
    async fn article_exists(&self, id: &str) -> Result<bool, StoreError>;
    /// The article stored under `id`, hidden (deleted in its CMS, or by a
    /// moderator) or not: what a sync compares a post it reads with, so
    /// that a hidden article stays hidden until its post changes.
    async fn article_even_hidden(&self, id: &str) -> Result<Option<Article>, StoreError>;
    /// Newest first, keyset-paged: the page and where the next one starts.
    async fn list_articles(
        &self,
        query: ListQuery,
    ) -> Result<(Vec<ArticleSummary>, Option<Position>), StoreError>;
    /// Every article, hidden ones and comment threads included, newest
    /// first, keyset-paged like [`Store::list_articles`]: the moderators'.
    async fn moderated_articles(
        &self,
        after: Option<Position>,
        limit: u32,
    ) -> Result<(Vec<ModeratedArticle>, Option<Position>), StoreError>;
    /// The newest `limit` full articles, optionally of one section (feeds).
    async fn recent_articles(
        &self,
        section: Option<String>,
        limit: u32,
    ) -> Result<Vec<Article>, StoreError>;

    /// Stores `comment` on `article_id` unless its idempotency key was seen
    /// before; either way returns the comment stored under that key, and
    /// whether this call stored it (`false`: an earlier one did, perhaps
    /// a copy sent at the same moment).
    ///
    /// `client_hmac` (the HMAC of the client's address) is kept for the
    /// moderators.
    async fn create_comment(
        &self,
        article_id: &str,
        comment: CleanComment,
        moderation: Moderation,
        now: String,
        client_hmac: Option<String>,
    ) -> Result<(StoredComment, bool), CreateError>;
    /// Writes the comments of one imported thread onto `article_id` in one
    /// transaction, parents before their replies, whether the article is
    /// shown, hidden, open or closed (they are its history). Each comment
    /// whose key is already stored is left alone, and so is one stored
    /// under its key once and deleted since (a moderator's delete, an
    /// erasure by address): an import never brings it back. With `dry_run`
    /// nothing is written. What became of each comment, in order.
    async fn import_comments(
        &self,
        article_id: &str,
        comments: Vec<ImportedComment>,
        dry_run: bool,
    ) -> Result<Vec<Imported>, StoreError>;
    /// Every article's (id, url, hidden), hidden ones and threads
    /// included, shown ones first (a page shows those, as
    /// [`Store::ids_by_url`] finds them): what an import matches the pages
    /// of another system against.
    async fn article_urls(&self) -> Result<Vec<(String, String, bool)>, StoreError>;
    /// The comment stored under an idempotency key, if any.
    async fn comment_by_key(&self, key: &str) -> Result<Option<StoredComment>, StoreError>;
    /// One comment by id, whatever its status.
    async fn comment(&self, id: i64) -> Result<Option<StoredComment>, StoreError>;
    /// A page of published comments; `None` when the article does not exist.
    async fn list_comments(&self, query: CommentQuery) -> Result<Option<CommentPage>, StoreError>;
    /// Up to `limit` published replies to `parent` after reply `after`,
    /// oldest first; `None` when `parent` is not a published top-level
    /// comment of an article readers see.
    async fn list_replies(
        &self,
        parent: i64,
        after: Option<CommentCursor>,
        limit: u32,
    ) -> Result<Option<ReplyPage>, StoreError>;
    /// Comments waiting for a moderator, oldest first.
    async fn pending_comments(&self, limit: u32) -> Result<Vec<StoredComment>, StoreError>;
    /// Sets a comment's status; the comment after the change and whether
    /// it changed (it had another status), `None` when there is no such
    /// comment.
    async fn set_comment_status(
        &self,
        id: i64,
        status: Status,
    ) -> Result<Option<(StoredComment, bool)>, StoreError>;
    /// Moves a comment from status `from` to `to`: the comment after the
    /// change, `None` when it no longer has `from` (or is gone, or `from`
    /// is `to`: nothing changes). An e-mailed
    /// link and a moderator's page use it, so that a decision taken
    /// elsewhere at the same moment is never reversed by what they showed.
    async fn decide(
        &self,
        id: i64,
        from: Status,
        to: Status,
    ) -> Result<Option<StoredComment>, StoreError>;
    /// Takes `act` on comment `id` and writes its line of the audit log in
    /// the same transaction, so that the log holds every act taken and
    /// none that was not: `line` says who and when, and its comment,
    /// article and (for a deletion) detail are filled in. `None`, and no
    /// line, when it changed nothing: no such comment, not the status the
    /// act expects, or already the status it gives.
    async fn moderate(
        &self,
        id: i64,
        act: Act,
        line: AuditEntry,
    ) -> Result<Option<Moderated>, StoreError>;
    /// Deletes a comment and its replies, with `only_if` only while it has
    /// that status: how many replies went with it, or `None` when there is
    /// no such comment (or it has another status).
    async fn delete_comment(
        &self,
        id: i64,
        only_if: Option<Status>,
    ) -> Result<Option<u64>, StoreError>;
    /// Opens or closes an article's comments, with a moderator's `audit`
    /// line in the same transaction (none when they already were); `false`
    /// (and no line) when there is no such article.
    async fn set_comments_open(
        &self,
        article_id: &str,
        open: bool,
        audit: Option<AuditEntry>,
    ) -> Result<bool, StoreError>;
    /// Published comments of each shown article among `ids` (unknown and
    /// hidden ones are left out).
    async fn published_counts(&self, ids: Vec<String>) -> Result<Vec<(String, i64)>, StoreError>;
    /// The article stored under each of `urls` that has one, a shown one
    /// before a hidden one (a hidden article's page is gone, not free).
    async fn ids_by_url(&self, urls: Vec<String>) -> Result<Vec<UrlMatch>, StoreError>;
    /// `(url, id)` of the story published first under each of `urls` that
    /// has one (hidden ones count, comment threads without a story do
    /// not; the smaller id on a tie): the one whose
    /// feed item keeps the bare URL as its id. Later stories under the URL
    /// (a ticker's new headlines) cannot take it, nor does hiding it hand
    /// it on.
    async fn first_by_url(&self, urls: Vec<String>) -> Result<Vec<(String, String)>, StoreError>;
    /// Deletes every comment left with `email` (and the replies to them,
    /// which answer nothing any more), with their webhook deliveries, sent
    /// or not (they carry the text); how many comments were deleted. The
    /// `audit` line goes in the same transaction, its detail the count
    /// (never the address).
    async fn forget_email(&self, email: &str, audit: Option<AuditEntry>)
        -> Result<u64, StoreError>;
    /// How many comments are in each status (`published`, `pending`, …).
    async fn comment_counts(&self) -> Result<Vec<(String, i64)>, StoreError>;

    /// Every row the server stores, for `khabar-server migrate`.
    async fn dump(&self) -> Result<dump::Dump, StoreError>;
    /// The comments `comments export` prints: all, or one article's, or
    /// those written with an address (letter case of A to Z aside), by id.
    async fn export_comments(
        &self,
        article_id: Option<String>,
        email: Option<String>,
    ) -> Result<Vec<dump::CommentRow>, StoreError>;
    /// Writes a dump into this (empty) store, keeping every id.
    async fn restore(&self, dump: dump::Dump) -> Result<(), StoreError>;

    /// Whether several server processes may use this store at once, so
    /// that what they must agree on (rate-limit windows) lives in it.
    fn shares_state(&self) -> bool;
    /// Records one event of `client` in `bucket` unless it already had
    /// `max` in the last `window`; then how long until it may again. A
    /// store that several machines share times it on its own clock.
    async fn rate_hit(
        &self,
        bucket: &str,
        client: &str,
        max: u32,
        window: std::time::Duration,
    ) -> Result<Option<std::time::Duration>, StoreError>;
    /// Takes back the last event of `client` in `bucket`: what it counted
    /// did not happen after all (see [`crate::ratelimit::RateLimit::give_back`]).
    async fn rate_unhit(&self, bucket: &str, client: &str) -> Result<(), StoreError>;
    /// Claims the periodic job `name` for `holder` if it is due, and
    /// schedules its next run `every` later: of all the instances that ask
    /// at the same moment, exactly one gets `true`.
    async fn claim_job(
        &self,
        name: &str,
        every: std::time::Duration,
        holder: &str,
    ) -> Result<bool, StoreError>;
    /// Ends `holder`'s run of job `name` (claimed with a lease longer than
    /// the run): its next run is `every` from now. Nothing when another
    /// holder has it (the lease ran out first).
    async fn release_job(
        &self,
        name: &str,
        every: std::time::Duration,
        holder: &str,
    ) -> Result<(), StoreError>;
    /// Forgets rate-limit events older than `window`; how many.
    async fn prune_rate_hits(&self, window: std::time::Duration) -> Result<u64, StoreError>;
    /// What the last syncs of the source `url` left, if it was ever synced.
    async fn source_state(&self, url: &str) -> Result<Option<SourceState>, StoreError>;
    /// Records what a sync of the source `url` leaves for the next one.
    async fn save_source_state(&self, url: &str, state: &SourceState) -> Result<(), StoreError>;

    /// Calls `on_change` from now on whenever any process (this one, the
    /// CLI, another instance) may have changed the data, and when the
    /// watcher stops and starts hearing about it, for as long as the
    /// runtime runs. What the read cache relies on.
    async fn watch_changes(&self, on_change: ChangeHook) -> Result<(), StoreError>;
    /// The store's clock, in milliseconds since the Unix epoch: what its
    /// claims and windows are timed on (PostgreSQL's, shared by every
    /// instance; this machine's for SQLite). For times several instances
    /// compare that the store does not compute itself.
    async fn clock_ms(&self) -> Result<i64, StoreError>;

    /// Adds the moderator `name`, or sets a new password hash when it
    /// exists and ends its sessions (a new password shuts out whoever held
    /// the old one); `true` when it was added.
    async fn put_moderator(&self, name: &str, password_hash: &str) -> Result<bool, StoreError>;
    /// The moderator called `name`.
    async fn moderator(&self, name: &str) -> Result<Option<Moderator>, StoreError>;
    /// The moderators' names, sorted.
    async fn moderator_names(&self) -> Result<Vec<String>, StoreError>;
    /// Removes the moderator `name` and ends its sessions; `false` when
    /// there was no such account. The audit log keeps its name.
    async fn remove_moderator(&self, name: &str) -> Result<bool, StoreError>;
    /// Failed sign-ins under `key` (an account or a client) within
    /// `window` before the last one, when that was less than `window` ago:
    /// how many, and how long ago the last one was (a lock made by the
    /// last failure lasts `window` from it). The times
    /// of sign-ins and sessions are the store's (PostgreSQL's clock for
    /// several machines): an instance whose clock runs ahead must not
    /// take the others' failures for old ones, nor their sessions for
    /// ended ones.
    async fn login_failures(
        &self,
        key: &str,
        window: std::time::Duration,
    ) -> Result<(u32, Option<std::time::Duration>), StoreError>;
    /// Records a failed sign-in under `key` now, an attempt at `account`
    /// (`""` for a name no account can have), forgetting every key's
    /// failures too old to count (twice `window`).
    async fn add_login_failure(
        &self,
        key: &str,
        account: &str,
        window: std::time::Duration,
    ) -> Result<(), StoreError>;
    /// Forgets the failed sign-ins under `key`, only those at `account`
    /// when one is named (and those recorded before failures named their
    /// account); how many there were.
    async fn clear_login_failures(
        &self,
        key: &str,
        account: Option<&str>,
    ) -> Result<u64, StoreError>;
    /// Forgets the failed sign-ins at `account` counted under any client
    /// (`client:…` keys); how many there were.
    async fn clear_client_failures_at(&self, account: &str) -> Result<u64, StoreError>;
    /// Stores a session (by the hash of its cookie) that ends `lifetime`
    /// from now, and forgets the sessions that ended; `false`, and no
    /// session, when `moderator` was removed or given a new password since
    /// it was read (a new account may even have its id).
    async fn create_session(
        &self,
        token_hash: &str,
        moderator: &Moderator,
        csrf: &str,
        lifetime: std::time::Duration,
    ) -> Result<bool, StoreError>;
    /// The session whose cookie hashes to `token_hash`, unless it has
    /// ended or its moderator is gone.
    async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError>;
    /// Ends a session (sign-out).
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    /// Appends to the audit log.
    async fn add_audit(&self, entry: AuditEntry) -> Result<(), StoreError>;
    /// The newest `limit` lines of the audit log, newest first.
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;
    /// Whether the audit log holds an act on comment `id` (a moderator's
    /// decision, by any way in): what an import's takedown leaves alone.
    async fn acted_on(&self, id: i64) -> Result<bool, StoreError>;
    /// Up to `limit` lines of the audit log from `at`, newest first.
    async fn audit_page(&self, limit: u32, at: Keyset) -> Result<Vec<AuditEntry>, StoreError>;
    /// The install's secret called `name`, set to `fresh` the first time
    /// it is asked for (every instance then reads the same one).
    async fn install_secret(&self, name: &str, fresh: &str) -> Result<String, StoreError>;
    /// Sets the install's secret called `name` to `fresh`, whatever it was,
    /// and writes `audit`, both or neither.
    async fn replace_install_secret(
        &self,
        name: &str,
        fresh: &str,
        audit: AuditEntry,
    ) -> Result<(), StoreError>;
    /// Records an unconfirmed wish to hear of replies to `comment_id`. Its
    /// confirmation is owed from now on and counts as tried once (by the
    /// caller, who sends it): due again after `retry_after` unless
    /// [`settle_reply_confirmation`](Store::settle_reply_confirmation) says
    /// it left. `None`, recording nothing, when the address (in any case)
    /// has a subscription to the conversation that has not ended.
    async fn add_reply_subscription(
        &self,
        comment_id: i64,
        email: &str,
        lang: &str,
        base_url: &str,
        retry_after: std::time::Duration,
    ) -> Result<Option<i64>, StoreError>;
    /// Owes the confirmation of a subscription that is neither confirmed
    /// nor ended once more (its reader asked again), as its first try, by
    /// the caller; `false` if there is no such subscription.
    async fn resend_reply_confirmation(
        &self,
        id: i64,
        retry_after: std::time::Duration,
    ) -> Result<bool, StoreError>;
    /// Owed confirmations whose time has come (neither confirmed nor
    /// ended), the longest waiting first.
    async fn due_reply_confirmations(
        &self,
        limit: u32,
    ) -> Result<Vec<ReplySubscription>, StoreError>;
    /// Claims a due confirmation for one more try, `tries` being what the
    /// caller read: `false` when another run took it first, or it is no
    /// longer owed. Due again after `retry_after`.
    async fn claim_reply_confirmation(
        &self,
        id: i64,
        tries: i64,
        retry_after: std::time::Duration,
    ) -> Result<bool, StoreError>;
    /// Nothing more is owed for the subscription: try `tries` of its
    /// confirmation left, or it is given up; unless it was owed again
    /// since (its reader asked again after a later try).
    async fn settle_reply_confirmation(&self, id: i64, tries: i64) -> Result<(), StoreError>;
    /// One subscription by id.
    async fn reply_subscription(&self, id: i64) -> Result<Option<ReplySubscription>, StoreError>;
    /// The subscription, not ended, of `email` (in any case) to replies to
    /// `comment_id`, if there is one (the oldest).
    async fn reply_subscription_of(
        &self,
        comment_id: i64,
        email: &str,
    ) -> Result<Option<ReplySubscription>, StoreError>;
    /// Confirms a subscription that has not ended; `false` if there is none.
    async fn confirm_reply_subscription(&self, id: i64) -> Result<bool, StoreError>;
    /// Ends a subscription, and every other of its address to the same
    /// conversation (one "stop" stops the mail); `false` if there is none.
    async fn end_reply_subscription(&self, id: i64) -> Result<bool, StoreError>;
    /// The confirmed, not ended subscriptions to replies to `comment_id`.
    async fn reply_subscribers(
        &self,
        comment_id: i64,
    ) -> Result<Vec<ReplySubscription>, StoreError>;
    /// Replies published since their subscribers were last told, oldest
    /// first (queued by the engines when a reply becomes visible).
    async fn due_reply_notices(&self, limit: u32) -> Result<Vec<ReplyNotice>, StoreError>;
    /// Done with a notice, or one more failed attempt at it.
    async fn finish_reply_notice(
        &self,
        notice: &ReplyNotice,
        outcome: NoticeOutcome,
    ) -> Result<(), StoreError>;
    /// The value of the named cursor (how far a background job got).
    async fn cursor(&self, name: &str) -> Result<Option<i64>, StoreError>;
    /// Moves the named cursor on to `value`, never back: a run that
    /// outlasted its claim, finishing beside the run that took the job
    /// over, must not undo the other's progress (and mail it again).
    async fn set_cursor(&self, name: &str, value: i64) -> Result<(), StoreError>;
    /// Deletes every cursor whose name starts with `prefix`, except those
    /// named in `keep` (a job's cursors of recipients no longer listed).
    async fn forget_cursors(&self, prefix: &str, keep: Vec<String>) -> Result<(), StoreError>;
    /// Keeps `mail` in the outbox, then forgets all but the newest `keep`.
    async fn put_outbox_mail(&self, mail: OutboxMail, keep: u32) -> Result<i64, StoreError>;
    /// The newest `limit` messages of the outbox, newest first.
    async fn outbox_mail(&self, limit: u32) -> Result<Vec<OutboxMail>, StoreError>;
    /// Comments for the moderation pages, newest first.
    async fn moderation_comments(&self, query: ModQuery) -> Result<Vec<ModComment>, StoreError>;
    /// How many comments `query` finds on all its pages (its `limit` and
    /// `at` aside): the count an article's page heads its list with.
    async fn moderation_count(&self, query: ModQuery) -> Result<i64, StoreError>;

    /// Blocks an author by a normalized `value` of `kind`, by the
    /// moderator and at the time of `audit`, which goes to the audit log
    /// in the same transaction; `false` when it was blocked already (the
    /// first block is kept, nothing is recorded).
    async fn add_block(
        &self,
        kind: BlockKind,
        value: &str,
        audit: AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Lifts a block, recording `audit` in the same transaction; `false`
    /// when there was none (nothing is recorded).
    async fn remove_block(
        &self,
        kind: BlockKind,
        value: &str,
        audit: AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Up to `limit` blocks from `at`, newest first (a list of thousands
    /// is read a page at a time).
    async fn blocks(&self, limit: u32, at: Keyset) -> Result<Vec<AuthorBlock>, StoreError>;
    /// How many blocks there are.
    async fn block_count(&self) -> Result<i64, StoreError>;
    /// Whether the (normalized) e-mail address or client HMAC is blocked.
    async fn is_blocked(
        &self,
        email: Option<&str>,
        client_hmac: Option<&str>,
    ) -> Result<bool, StoreError>;

    /// Records that an instance delivers comment events to `urls` now
    /// (`serve --webhook`, renewed while it runs): the comment writes of
    /// every process, the CLI included, queue a delivery for each
    /// recorded URL. Then forgets the URLs not recorded again for
    /// `lifetime` (no running instance has them; `urls` themselves are
    /// kept) and marks failed the deliveries still waiting for a URL no
    /// longer recorded. How many URLs it forgot. Timed on the store's
    /// clock (PostgreSQL's for several machines): an instance whose clock
    /// runs ahead must not take the others' renewals for old ones.
    async fn renew_webhook_urls(
        &self,
        urls: Vec<String>,
        lifetime: std::time::Duration,
    ) -> Result<u64, StoreError>;
    /// Claims up to `limit` deliveries to one of `urls` (the claiming
    /// instance's own `--webhook` URLs) that are due and not claimed, for
    /// `lease`: until it ends no other claim (of any instance) returns them.
    /// Deliveries to other URLs are left to the instances that have them
    /// (one started with a newer list, during a rolling restart).
    async fn claim_webhook_deliveries(
        &self,
        urls: Vec<String>,
        limit: u32,
        lease: std::time::Duration,
    ) -> Result<Vec<WebhookDelivery>, StoreError>;
    /// Records how an attempt of the delivery `id` ended, and releases it.
    async fn record_webhook_attempt(&self, id: i64, attempt: Attempt) -> Result<(), StoreError>;
    /// Up to `limit` deliveries from `at`, newest first (the admin page).
    async fn webhook_deliveries(
        &self,
        limit: u32,
        at: Keyset,
    ) -> Result<Vec<WebhookDelivery>, StoreError>;
    /// How many deliveries are kept, in every state (the admin page's
    /// heading; the page lists 200 at a time).
    async fn webhook_delivery_count(&self) -> Result<i64, StoreError>;
    /// Puts a failed delivery back in the queue, due now, with a fresh
    /// count of attempts, and says which it was (for the audit log);
    /// `None` when there is no failed delivery `id`, or when its URL is no
    /// longer any running instance's `--webhook` (none would send it).
    /// The moderator's `audit` line, naming the delivery, its comment and
    /// where it goes, is written in the same transaction.
    async fn retry_webhook_delivery(
        &self,
        id: i64,
        audit: Option<AuditEntry>,
    ) -> Result<Option<RetriedDelivery>, StoreError>;
    /// Forgets delivered deliveries of events older than
    /// `delivered_before_ms` and failed ones of events older than
    /// `failed_before_ms` (waiting ones stay); how many.
    async fn prune_webhook_deliveries(
        &self,
        delivered_before_ms: i64,
        failed_before_ms: i64,
    ) -> Result<u64, StoreError>;
}
