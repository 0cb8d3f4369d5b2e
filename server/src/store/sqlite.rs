//! The SQLite engine: connection pool, schema migrations and queries. The
//! zero-setup default, embedded in the server.
//!
//! Durability (see [`PRAGMAS`] and `docs/operations.md`): WAL journal with
//! `synchronous=FULL`, so a comment answered `201` is on disk before the
//! answer leaves, whether the process is killed or the machine loses power.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::dump::{ArticleState, Cell, CommentRow, Dump, Kind, NEVER_REUSED, TABLES};
use super::{
    cursor_bounds, cut_page, millis, now_ms, source_word, Act, Attempt, AuditEntry, AuthorBlock,
    BlockKind, Change, ChangeHook, CommentPage, CommentQuery, CreateError, Imported,
    ImportedComment, Keyset, ListQuery, ModComment, ModQuery, Moderated, ModeratedArticle,
    Moderator, NoticeOutcome, OutboxMail, Position, ReplyNotice, ReplyPage, ReplySubscription,
    RetriedDelivery, Session, Sort, Status, Store, StoreError, UrlMatch, WebhookDelivery,
};
use crate::comments::{CleanComment, Comment, CommentCursor, Moderation, StoredComment};
use crate::model::{parse_time, Article, ArticleSummary, Block, Image};
use crate::webhooks::event::{self, Event};

/// A pool of SQLite connections.
pub type Pool = r2d2::Pool<SqliteConnectionManager>;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Engine(e.to_string())
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(e: r2d2::Error) -> Self {
        StoreError::Engine(format!("pool: {e}"))
    }
}

impl From<rusqlite::Error> for CreateError {
    fn from(e: rusqlite::Error) -> Self {
        CreateError::Store(e.into())
    }
}

/// Ordered schema migrations; index + 1 is the `user_version` after each.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE articles (
    id            TEXT PRIMARY KEY,
    url           TEXT NOT NULL,
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL DEFAULT '',
    body_json     TEXT,
    body_html     TEXT,
    published_at  TEXT NOT NULL,
    published_ts  INTEGER NOT NULL,
    updated_at    TEXT,
    source        TEXT,
    section       TEXT,
    author        TEXT,
    image_url     TEXT,
    image_alt     TEXT,
    image_caption TEXT,
    lang          TEXT NOT NULL DEFAULT 'ar',
    comments_open INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX articles_by_time ON articles (published_ts DESC, id DESC);
CREATE TABLE comments (
    id              INTEGER PRIMARY KEY,
    article_id      TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    parent_id       INTEGER REFERENCES comments (id),
    author          TEXT NOT NULL,
    email           TEXT,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('published', 'pending', 'rejected', 'spam')),
    created_at      TEXT NOT NULL,
    idempotency_key TEXT UNIQUE
);
CREATE INDEX comments_by_article ON comments (article_id, status, id);
"#,
    r#"
CREATE INDEX comments_by_parent ON comments (parent_id, status, id);
CREATE INDEX comments_by_status ON comments (status, id);
"#,
    r#"
CREATE TABLE rate_hits (
    bucket TEXT NOT NULL,
    client TEXT NOT NULL,
    at_ms  INTEGER NOT NULL
);
CREATE INDEX rate_hits_by_client ON rate_hits (bucket, client, at_ms);
CREATE TABLE jobs (
    name        TEXT PRIMARY KEY,
    next_run_ms INTEGER NOT NULL,
    holder      TEXT
);
"#,
    r#"
ALTER TABLE articles ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN origin TEXT;
CREATE INDEX articles_by_origin ON articles (origin, hidden);
"#,
    r#"
ALTER TABLE comments ADD COLUMN client_hmac TEXT;
CREATE TABLE moderators (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    moderator_id INTEGER NOT NULL REFERENCES moderators (id) ON DELETE CASCADE,
    csrf         TEXT NOT NULL,
    expires_ms   INTEGER NOT NULL
);
CREATE TABLE login_failures (
    key   TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (key, at_ms);
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    moderator  TEXT NOT NULL,
    action     TEXT NOT NULL,
    comment_id INTEGER,
    article_id TEXT
);
CREATE TABLE install_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#,
    r#"
CREATE TABLE sources (
    url        TEXT PRIMARY KEY,
    state_json TEXT NOT NULL
);
"#,
    r#"
CREATE TABLE mail_outbox (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    sender    TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject   TEXT NOT NULL,
    text      TEXT NOT NULL
);
"#,
    r#"
CREATE TABLE cursors (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"#,
    r#"
CREATE TABLE webhook_urls (
    url TEXT PRIMARY KEY
);
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    delivery_id      TEXT NOT NULL UNIQUE,
    url              TEXT NOT NULL,
    event            TEXT NOT NULL,
    comment_id       INTEGER NOT NULL,
    body             TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms  INTEGER NOT NULL,
    claimed_until_ms INTEGER NOT NULL DEFAULT 0,
    last_status      INTEGER,
    last_error       TEXT,
    delivered_ms     INTEGER,
    failed_ms        INTEGER,
    created_ms       INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms)
    WHERE delivered_ms IS NULL AND failed_ms IS NULL;
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (created_ms);
"#,
    r#"
CREATE TABLE reply_subscriptions (
    id           INTEGER PRIMARY KEY,
    comment_id   INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    lang         TEXT NOT NULL,
    base_url     TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    confirmed_ms INTEGER,
    ended_ms     INTEGER
);
CREATE INDEX reply_subscriptions_by_comment ON reply_subscriptions (comment_id);
CREATE TABLE reply_notices (
    id         INTEGER PRIMARY KEY,
    reply_id   INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL
);
"#,
    r#"
CREATE TABLE author_blocks (
    id        INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL,
    value     TEXT NOT NULL,
    moderator TEXT NOT NULL,
    at        TEXT NOT NULL,
    UNIQUE (kind, value)
);
ALTER TABLE audit_log ADD COLUMN detail TEXT;
"#,
    // A reply notice remembers whom it reached, and waits before a retry.
    r#"
ALTER TABLE reply_notices ADD COLUMN sent_to TEXT NOT NULL DEFAULT '';
ALTER TABLE reply_notices ADD COLUMN next_ms INTEGER NOT NULL DEFAULT 0;
"#,
    // What a source last said about comments (see `upsert_article`); until
    // now every sync and push wrote it into `comments_open`.
    r#"
ALTER TABLE articles ADD COLUMN source_open INTEGER;
UPDATE articles SET source_open = comments_open WHERE origin IS NOT NULL AND origin <> 'thread';
"#,
    // Comment and subscription ids are never reused. Without AUTOINCREMENT
    // SQLite gives a new row the largest id + 1, so deleting the newest
    // comment handed its id to the next one: moderator mail's cursor
    // skipped it, webhook receivers saw one id for two comments, and a
    // mailed link meant for the deleted row acted on the new one. SQLite
    // cannot add AUTOINCREMENT to a table, so both are rebuilt, with
    // foreign keys off (see `migrate`).
    r#"-- foreign keys off
CREATE TABLE comments_rebuilt (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id      TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    parent_id       INTEGER REFERENCES comments (id),
    author          TEXT NOT NULL,
    email           TEXT,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('published', 'pending', 'rejected', 'spam')),
    created_at      TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    client_hmac     TEXT
);
INSERT INTO comments_rebuilt (id, article_id, parent_id, author, email, body, status,
                              created_at, idempotency_key, client_hmac)
    SELECT id, article_id, parent_id, author, email, body, status,
           created_at, idempotency_key, client_hmac FROM comments;
DROP TABLE comments;
ALTER TABLE comments_rebuilt RENAME TO comments;
CREATE INDEX comments_by_article ON comments (article_id, status, id);
CREATE INDEX comments_by_parent ON comments (parent_id, status, id);
CREATE INDEX comments_by_status ON comments (status, id);
-- The next id also passes every id still named elsewhere (the newest
-- comment may have been deleted before this migration).
INSERT INTO sqlite_sequence (name, seq) SELECT 'comments', 0
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'comments');
UPDATE sqlite_sequence SET seq = MAX(seq,
        COALESCE((SELECT MAX(value) FROM cursors WHERE name = 'notify-moderators'), 0),
        COALESCE((SELECT MAX(comment_id) FROM audit_log), 0),
        COALESCE((SELECT MAX(comment_id) FROM webhook_deliveries), 0),
        COALESCE((SELECT MAX(reply_id) FROM reply_notices), 0))
    WHERE name = 'comments';
CREATE TABLE reply_subscriptions_rebuilt (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    comment_id   INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    lang         TEXT NOT NULL,
    base_url     TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    confirmed_ms INTEGER,
    ended_ms     INTEGER
);
INSERT INTO reply_subscriptions_rebuilt
    SELECT id, comment_id, email, lang, base_url, created_ms, confirmed_ms, ended_ms
    FROM reply_subscriptions;
DROP TABLE reply_subscriptions;
ALTER TABLE reply_subscriptions_rebuilt RENAME TO reply_subscriptions;
CREATE INDEX reply_subscriptions_by_comment ON reply_subscriptions (comment_id);
"#,
    // Every stored article looks for a thread of its URL to adopt, and
    // comments and counts by URL look articles up by it.
    "CREATE INDEX articles_by_url ON articles (url);",
    // When an instance last said it delivers to the URL: the list is
    // what the running instances have (see `renew_webhook_urls`).
    // The URLs there before count as recorded now.
    r#"
ALTER TABLE webhook_urls ADD COLUMN seen_ms INTEGER NOT NULL DEFAULT 0;
UPDATE webhook_urls SET seen_ms = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
"#,
    // The keys of imported comments deleted here (by a moderator, or with
    // their author's address), so that running an import again does not
    // bring them back. Kept by a trigger: every way a comment is deleted
    // passes through it. Only the key and its article: nothing personal.
    // A later migration that rebuilds `comments` drops the trigger with
    // the old table and must create it again.
    r#"
CREATE TABLE deleted_imports (
    idempotency_key TEXT PRIMARY KEY,
    article_id TEXT NOT NULL
);
CREATE TRIGGER comments_deleted_imports AFTER DELETE ON comments
WHEN old.idempotency_key LIKE 'import:%'
BEGIN
    INSERT OR IGNORE INTO deleted_imports (idempotency_key, article_id)
        VALUES (old.idempotency_key, old.article_id);
END;
"#,
    // The account a failed sign-in named, kept with a client's failures
    // too: a success clears that account's failures of the client, not
    // those at other accounts (one address could otherwise lock every
    // moderator, signing in as itself between).
    "ALTER TABLE login_failures ADD COLUMN account TEXT;",
    // A reply's notice is kept once sent, one per reply: a reply rejected,
    // then approved again, is not mailed twice to those it reached (nor
    // queued twice while its first notice waits).
    r#"
ALTER TABLE reply_notices ADD COLUMN done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reply_notices ADD COLUMN queued INTEGER NOT NULL DEFAULT 0;
-- Duplicates of one reply become its oldest row, told whom any of them told.
UPDATE reply_notices SET sent_to =
    (SELECT group_concat(r.sent_to, ',') FROM reply_notices r WHERE r.reply_id = reply_notices.reply_id)
    WHERE id IN (SELECT MIN(id) FROM reply_notices GROUP BY reply_id HAVING COUNT(*) > 1);
DELETE FROM reply_notices WHERE id NOT IN (SELECT MIN(id) FROM reply_notices GROUP BY reply_id);
CREATE UNIQUE INDEX reply_notices_by_reply ON reply_notices (reply_id);
CREATE INDEX reply_notices_due ON reply_notices (done, next_ms);
"#,
    // Each article keeps the number of its comments readers are shown, so
    // that a post's answer, a page of comments and a list of articles read
    // one column instead of counting the thread (a count that made posting
    // slower as the thread grew). Kept by triggers, so every write (an
    // import, a moderator, an erasure, an instance not yet upgraded) keeps
    // it. SQLite runs a row's triggers before the next row changes, so each
    // adds what its own row changed: its own shown-ness, and when it was
    // or becomes published, that of its published replies. A migration
    // that rebuilds `comments` must create these again.
    concat!(
        "ALTER TABLE articles ADD COLUMN shown_comments INTEGER NOT NULL DEFAULT 0;
UPDATE articles SET shown_comments =
    (SELECT COUNT(*) FROM comments c WHERE c.article_id = articles.id AND ",
        shown_comment!(),
        r#");
CREATE TRIGGER comments_shown_inserted AFTER INSERT ON comments
BEGIN
    UPDATE articles SET shown_comments = shown_comments + 1
        WHERE id = new.article_id AND new.status = 'published' AND (new.parent_id IS NULL
            OR EXISTS (SELECT 1 FROM comments p WHERE p.id = new.parent_id AND p.status = 'published'));
    UPDATE articles SET shown_comments = shown_comments + (SELECT COUNT(*) FROM comments k
            WHERE k.parent_id = new.id AND k.id <> new.id AND k.status = 'published'
                AND k.article_id = articles.id)
        WHERE new.status = 'published' AND id IN (SELECT k.article_id FROM comments k
            WHERE k.parent_id = new.id AND k.id <> new.id AND k.status = 'published');
END;
CREATE TRIGGER comments_shown_deleted AFTER DELETE ON comments
BEGIN
    UPDATE articles SET shown_comments = shown_comments - 1
        WHERE id = old.article_id AND old.status = 'published' AND (old.parent_id IS NULL
            OR EXISTS (SELECT 1 FROM comments p WHERE p.id = old.parent_id AND p.status = 'published'));
    UPDATE articles SET shown_comments = shown_comments - (SELECT COUNT(*) FROM comments k
            WHERE k.parent_id = old.id AND k.status = 'published' AND k.article_id = articles.id)
        WHERE old.status = 'published' AND id IN (SELECT k.article_id FROM comments k
            WHERE k.parent_id = old.id AND k.status = 'published');
END;
CREATE TRIGGER comments_shown_changed AFTER UPDATE OF status, parent_id, article_id ON comments
BEGIN
    UPDATE articles SET shown_comments = shown_comments - 1
        WHERE id = old.article_id AND old.status = 'published' AND (old.parent_id IS NULL
            OR EXISTS (SELECT 1 FROM comments p WHERE p.id = old.parent_id AND p.status = 'published'));
    UPDATE articles SET shown_comments = shown_comments + 1
        WHERE id = new.article_id AND new.status = 'published' AND (new.parent_id IS NULL
            OR EXISTS (SELECT 1 FROM comments p WHERE p.id = new.parent_id AND p.status = 'published'));
    UPDATE articles SET shown_comments = shown_comments
            + (CASE WHEN new.status = 'published' THEN 1 ELSE -1 END) * (SELECT COUNT(*)
                FROM comments k WHERE k.parent_id = new.id AND k.id <> new.id
                    AND k.status = 'published' AND k.article_id = articles.id)
        WHERE (old.status = 'published') <> (new.status = 'published')
            AND id IN (SELECT k.article_id FROM comments k
                WHERE k.parent_id = new.id AND k.id <> new.id AND k.status = 'published');
END;
"#
    ),
    // One open subscription per address and conversation: two copies of
    // one comment sent at once could record two. Of those already there,
    // the confirmed one stays, else the oldest; the others end (a "stop"
    // link of theirs still ends the one that stays). A confirmation is
    // owed until it leaves: `confirm_due_ms` is when it is tried (again),
    // `confirm_tries` how often it was.
    r#"
UPDATE reply_subscriptions SET ended_ms = CAST(strftime('%s', 'now') AS INTEGER) * 1000
    WHERE ended_ms IS NULL AND EXISTS (SELECT 1 FROM reply_subscriptions k
        WHERE k.comment_id = reply_subscriptions.comment_id
            AND k.email = reply_subscriptions.email COLLATE NOCASE
            AND k.ended_ms IS NULL AND k.id <> reply_subscriptions.id
            AND ((k.confirmed_ms IS NOT NULL) > (reply_subscriptions.confirmed_ms IS NOT NULL)
                OR ((k.confirmed_ms IS NOT NULL) = (reply_subscriptions.confirmed_ms IS NOT NULL)
                    AND k.id < reply_subscriptions.id)));
CREATE UNIQUE INDEX reply_subscriptions_open
    ON reply_subscriptions (comment_id, email COLLATE NOCASE) WHERE ended_ms IS NULL;
ALTER TABLE reply_subscriptions ADD COLUMN confirm_due_ms INTEGER;
ALTER TABLE reply_subscriptions ADD COLUMN confirm_tries INTEGER NOT NULL DEFAULT 0;
CREATE INDEX reply_confirmations_due ON reply_subscriptions (confirm_due_ms)
    WHERE confirm_due_ms IS NOT NULL;
"#,
    // Webhook deliveries' ids are never reused either: a deleted comment's
    // deliveries were the newest, and the `comment.deleted` ones queued in
    // the same transaction took their ids, so a moderator's "Retry now" on
    // a page opened before acted on another delivery. Rebuilt with
    // AUTOINCREMENT, as comments were (no key refers to this table).
    r#"
CREATE TABLE webhook_deliveries_rebuilt (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id      TEXT NOT NULL UNIQUE,
    url              TEXT NOT NULL,
    event            TEXT NOT NULL,
    comment_id       INTEGER NOT NULL,
    body             TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms  INTEGER NOT NULL,
    claimed_until_ms INTEGER NOT NULL DEFAULT 0,
    last_status      INTEGER,
    last_error       TEXT,
    delivered_ms     INTEGER,
    failed_ms        INTEGER,
    created_ms       INTEGER NOT NULL
);
INSERT INTO webhook_deliveries_rebuilt (id, delivery_id, url, event, comment_id, body, attempts,
        next_attempt_ms, claimed_until_ms, last_status, last_error, delivered_ms, failed_ms,
        created_ms)
    SELECT id, delivery_id, url, event, comment_id, body, attempts, next_attempt_ms,
           claimed_until_ms, last_status, last_error, delivered_ms, failed_ms, created_ms
    FROM webhook_deliveries;
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_rebuilt RENAME TO webhook_deliveries;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms)
    WHERE delivered_ms IS NULL AND failed_ms IS NULL;
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (created_ms);
"#,
    // Readers see comments and replies in the order they were written
    // (`CommentCursor`): an import of older comments gets higher ids.
    r#"
DROP INDEX comments_by_article;
DROP INDEX comments_by_parent;
CREATE INDEX comments_by_article ON comments (article_id, status, created_at, id);
CREATE INDEX comments_by_parent ON comments (parent_id, status, created_at, id);
"#,
];

/// How a migration that rebuilds a table begins: SQLite's own recipe for
/// changing a table runs with foreign keys off, since dropping the old
/// table would otherwise delete (by cascade) every row that refers to it.
const FOREIGN_KEYS_OFF: &str = "-- foreign keys off";

/// Settings of every pooled connection, chosen so that no acknowledged write
/// is ever lost (`docs/operations.md`, "Durability"):
///
/// - `busy_timeout` first, so that even switching the journal mode waits for
///   a concurrent connection instead of failing with `SQLITE_BUSY`; writers
///   queue for the single write lock for up to 5 s.
/// - `journal_mode = WAL`: readers never block the writer and the writer
///   never blocks readers; a commit is an append to the `-wal` file, which
///   the next open replays after a crash.
/// - `synchronous = FULL`: every commit fsyncs the WAL before `COMMIT`
///   returns, so a transaction that answered `201` survives a power loss
///   too. `NORMAL` would survive `kill -9` (the OS still has the pages) but
///   could lose the last commits when the machine itself goes down. The
///   price is one fsync per comment, which a news site's comment rate never
///   notices.
/// - `foreign_keys = ON`: SQLite leaves it off by default.
pub const PRAGMAS: &str = "PRAGMA busy_timeout = 5000;
     PRAGMA journal_mode = WAL;
     PRAGMA synchronous = FULL;
     PRAGMA foreign_keys = ON;";

/// The SQLite implementation of [`Store`]: rusqlite on a pool, every query
/// on tokio's blocking threads.
#[derive(Clone)]
pub struct SqliteStore {
    pool: Pool,
    path: std::path::PathBuf,
}

/// How often the change watcher asks SQLite whether another connection
/// committed (`PRAGMA data_version`, a read of one shared-memory counter).
const WATCH_EVERY: Duration = Duration::from_millis(100);

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // A missing directory would otherwise surface as an obscure SQLite error.
            let _ = std::fs::create_dir_all(dir);
        }
        // `with_init` runs on every connection the pool opens, not only the
        // first: `synchronous`, `foreign_keys` and `busy_timeout` are
        // per-connection settings.
        let manager = SqliteConnectionManager::file(path).with_init(|c| c.execute_batch(PRAGMAS));
        let pool = r2d2::Pool::builder().max_size(8).build(manager)?;
        migrate(&mut *pool.get()?)?;
        Ok(SqliteStore {
            pool,
            path: path.to_path_buf(),
        })
    }

    /// Copies the database file at `source` into a new file at `dest` with
    /// SQLite's online backup (consistent even while a server writes),
    /// as it is: opened read-only, never migrated, so that a backup taken
    /// with a newer binary before an upgrade keeps the schema the running
    /// server knows. Answers the copy's schema version and this binary's.
    pub fn backup_file(source: &Path, dest: &Path) -> Result<(i64, i64), StoreError> {
        let flags =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(source, flags)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        conn.backup(rusqlite::MAIN_DB, dest, None)?;
        Ok((version, i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)))
    }

    /// The schema version of the file at `path` and this binary's, read
    /// without opening it for writing (nor migrating it): what a command
    /// that promises to write nothing checks first.
    pub fn schema_versions(path: &Path) -> Result<(i64, i64), StoreError> {
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        Ok((version, i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)))
    }

    /// The connection pool, for diagnostics and durability tests.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Runs `f` with a pooled connection on a blocking thread: the one place
    /// where SQLite's blocking calls leave the async threads.
    async fn with_conn<T, E>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| E::from(e.into()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| E::from(StoreError::Task(e)))?
    }
}

/// Applies the migrations this database has not seen yet.
///
/// Each step takes the write lock first and reads the version under it, so
/// that processes starting together (a server and a CLI command, say)
/// apply each migration once, one after the other.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    // A rebuild takes seconds per million comments: a process starting
    // meanwhile waits for it instead of failing after `PRAGMAS`' 5 s.
    conn.execute_batch("PRAGMA busy_timeout = 600000")?;
    let migrated = migrate_all(conn);
    conn.execute_batch("PRAGMA busy_timeout = 5000")?;
    migrated
}

/// [`migrate`]'s steps, one transaction each.
fn migrate_all(conn: &mut Connection) -> Result<(), StoreError> {
    loop {
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let rebuild = MIGRATIONS
            .get(usize::try_from(version).unwrap_or(0))
            .is_some_and(|sql| sql.starts_with(FOREIGN_KEYS_OFF));
        // The pragma is a no-op inside a transaction: set it before.
        if rebuild {
            conn.execute_batch("PRAGMA foreign_keys = OFF")?;
        }
        let step = migrate_step(conn, rebuild);
        if rebuild {
            conn.execute_batch("PRAGMA foreign_keys = ON")?;
        }
        if !step? {
            return Ok(());
        }
    }
}

/// Applies the next migration, if any, under the write lock; `false` when
/// there was none. A rebuild must leave no more rows referring to missing
/// ones than there were before it.
fn migrate_step(conn: &mut Connection, keys_off: bool) -> Result<bool, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let Some(sql) = MIGRATIONS.get(usize::try_from(version).unwrap_or(0)) else {
        return Ok(false);
    };
    let rebuild = sql.starts_with(FOREIGN_KEYS_OFF);
    if rebuild != keys_off {
        // Another process migrated since the version was read: read again.
        return Ok(true);
    }
    let dangling = |tx: &rusqlite::Transaction| -> Result<i64, StoreError> {
        Ok(
            tx.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })?,
        )
    };
    let before = if rebuild { dangling(&tx)? } else { 0 };
    tx.execute_batch(sql)?;
    if rebuild {
        let after = dangling(&tx)?;
        if after > before {
            return Err(StoreError::Engine(format!(
                "migration {} would leave {} more rows referring to missing ones",
                version + 1,
                after - before
            )));
        }
    }
    tx.pragma_update(None, "user_version", version + 1)?;
    tx.commit()?;
    Ok(true)
}

#[async_trait]
impl Store for SqliteStore {
    async fn article_count(&self) -> Result<i64, StoreError> {
        self.with_conn(|c| Ok(c.query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0))?))
            .await
    }

    async fn upsert_articles(
        &self,
        articles: Vec<Article>,
        origin: Option<&str>,
    ) -> Result<usize, StoreError> {
        let origin = origin.map(str::to_owned);
        self.with_conn(move |c| {
            let tx = c.transaction()?;
            for a in &articles {
                upsert_article(&tx, a, origin.as_deref())?;
            }
            tx.commit()?;
            Ok(articles.len())
        })
        .await
    }

    async fn set_article_hidden(&self, id: &str, hidden: bool) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.with_conn(move |c| {
            Ok(c.execute(
                "UPDATE articles SET hidden = ?2 WHERE id = ?1",
                params![id, hidden],
            )? > 0)
        })
        .await
    }

    async fn ensure_thread(
        &self,
        id: &str,
        url: &str,
        title: &str,
        lang: &str,
    ) -> Result<(), StoreError> {
        let (id, url, title, lang) = (
            id.to_owned(),
            url.to_owned(),
            title.to_owned(),
            lang.to_owned(),
        );
        self.with_conn(move |c| {
            let now = time::OffsetDateTime::now_utc();
            let at = now
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            c.execute(
                "INSERT INTO articles (id, url, title, body_html, published_at, published_ts, lang,
                     origin)
                 VALUES (?1, ?2, ?3, '', ?4, ?5, ?6, 'thread')
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, lang = excluded.lang
                 WHERE articles.origin = 'thread'
                     AND (articles.title, articles.lang) IS NOT (excluded.title, excluded.lang)
                     AND NOT EXISTS (SELECT 1 FROM comments
                         WHERE article_id = articles.id AND status = 'published'
                             AND id < (SELECT MAX(id) FROM comments
                                 WHERE article_id = articles.id))",
                params![id, url, title, at, now.unix_timestamp(), lang],
            )?;
            Ok(())
        })
        .await
    }

    async fn visible_ids_from(&self, origin: &str) -> Result<Vec<String>, StoreError> {
        let origin = origin.to_owned();
        self.with_conn(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id FROM articles WHERE origin = ?1 AND hidden = 0 ORDER BY id",
            )?;
            let ids = stmt
                .query_map([origin], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(ids)
        })
        .await
    }

    async fn adopt_pushed(&self, ids: Vec<String>, origin: &str) -> Result<usize, StoreError> {
        let (ids, origin) = (serde_json::to_string(&ids)?, origin.to_owned());
        self.with_conn(move |c| {
            Ok(c.execute(
                "UPDATE articles SET origin = ?1
                 WHERE origin = ?3 AND id IN (SELECT value FROM json_each(?2))",
                params![origin, ids, crate::routes::publishing::ORIGIN],
            )?)
        })
        .await
    }

    async fn article(&self, id: &str) -> Result<Option<Article>, StoreError> {
        let id = id.to_owned();
        self.with_conn(move |c| get_article(c, &id)).await
    }

    async fn article_even_hidden(&self, id: &str) -> Result<Option<Article>, StoreError> {
        let id = id.to_owned();
        self.with_conn(move |c| {
            let raw = c
                .query_row(
                    &format!("SELECT {ARTICLE_COLUMNS} FROM articles a WHERE a.id = ?1"),
                    [&id],
                    row_to_article,
                )
                .optional()?;
            raw.map(RawArticle::finish).transpose()
        })
        .await
    }

    async fn article_exists(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.with_conn(move |c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM articles WHERE id = ?1)",
                [&id],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn list_articles(
        &self,
        query: ListQuery,
    ) -> Result<(Vec<ArticleSummary>, Option<Position>), StoreError> {
        self.with_conn(move |c| list_articles(c, &query)).await
    }

    async fn moderated_articles(
        &self,
        after: Option<Position>,
        limit: u32,
    ) -> Result<(Vec<ModeratedArticle>, Option<Position>), StoreError> {
        self.with_conn(move |c| {
            let (after_ts, after_id) = after.unwrap_or((i64::MAX, String::new()));
            let mut stmt = c.prepare_cached(
                "SELECT id, url, title, published_at, shown_comments, comments_open, hidden,
                        origin IS 'thread', published_ts
                 FROM articles
                 WHERE published_ts < ?1 OR (published_ts = ?1 AND (?2 = '' OR id < ?2))
                 ORDER BY published_ts DESC, id DESC
                 LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![after_ts, after_id, i64::from(limit) + 1], |r| {
                Ok((
                    ModeratedArticle {
                        id: r.get(0)?,
                        url: r.get(1)?,
                        title: r.get(2)?,
                        published_at: r.get(3)?,
                        comment_count: u32::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                        comments_open: r.get(5)?,
                        hidden: r.get(6)?,
                        thread: r.get(7)?,
                    },
                    r.get::<_, i64>(8)?,
                ))
            })?;
            let rows = rows.collect::<Result<Vec<_>, _>>()?;
            Ok(super::moderated_page(rows, limit))
        })
        .await
    }

    async fn recent_articles(
        &self,
        section: Option<String>,
        limit: u32,
    ) -> Result<Vec<Article>, StoreError> {
        self.with_conn(move |c| recent_articles(c, section.as_deref(), limit))
            .await
    }

    async fn create_comment(
        &self,
        article_id: &str,
        comment: CleanComment,
        moderation: Moderation,
        now: String,
        client_hmac: Option<String>,
    ) -> Result<(StoredComment, bool), CreateError> {
        let article_id = article_id.to_owned();
        self.with_conn(move |c| {
            create_comment(
                c,
                &article_id,
                &comment,
                moderation,
                &now,
                client_hmac.as_deref(),
            )
        })
        .await
    }

    async fn comment_by_key(&self, key: &str) -> Result<Option<StoredComment>, StoreError> {
        let key = key.to_owned();
        self.with_conn(move |c| comment_by_key(c, &key)).await
    }

    async fn comment(&self, id: i64) -> Result<Option<StoredComment>, StoreError> {
        self.with_conn(move |c| comment_by_id(c, id)).await
    }

    async fn list_comments(&self, query: CommentQuery) -> Result<Option<CommentPage>, StoreError> {
        self.with_conn(move |c| {
            let article: Option<(bool, i64)> = c
                .query_row(
                    "SELECT comments_open, shown_comments FROM articles
                     WHERE id = ?1 AND hidden = 0",
                    [&query.article_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((open, total)) = article else {
                return Ok(None);
            };
            list_comments(c, &query, open, total).map(Some)
        })
        .await
    }

    async fn list_replies(
        &self,
        parent: i64,
        after: Option<CommentCursor>,
        limit: u32,
    ) -> Result<Option<ReplyPage>, StoreError> {
        self.with_conn(move |c| {
            let shown: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM comments c JOIN articles a ON a.id = c.article_id
                     WHERE c.id = ?1 AND c.status = 'published' AND c.parent_id IS NULL
                       AND a.hidden = 0)",
                [parent],
                |r| r.get(0),
            )?;
            if !shown {
                return Ok(None);
            }
            let mut items = replies_after(c, parent, after.as_ref(), Some(limit))?;
            let next = cut_page(&mut items, limit as usize);
            Ok(Some(ReplyPage { items, next }))
        })
        .await
    }

    async fn pending_comments(&self, limit: u32) -> Result<Vec<StoredComment>, StoreError> {
        self.with_conn(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COMMENT_COLUMNS} FROM comments WHERE status = 'pending'
                 ORDER BY id ASC LIMIT ?1"
            ))?;
            let rows = stmt
                .query_map([limit], row_to_comment)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn set_comment_status(
        &self,
        id: i64,
        status: Status,
    ) -> Result<Option<(StoredComment, bool)>, StoreError> {
        // Only a real change is an event: approving twice sends one.
        self.with_conn(move |c| {
            let (stored, changed) = change_status(c, id, status, "status <> ?2")?;
            Ok(stored.map(|s| (s, changed)))
        })
        .await
    }

    async fn decide(
        &self,
        id: i64,
        from: Status,
        to: Status,
    ) -> Result<Option<StoredComment>, StoreError> {
        if from == to {
            return Ok(None);
        }
        // A status's name is one of three constants: safe in the SQL.
        let condition = format!("status = '{}'", from.as_str());
        self.with_conn(move |c| {
            change_status(c, id, to, &condition).map(|(stored, changed)| stored.filter(|_| changed))
        })
        .await
    }

    async fn set_comments_open(
        &self,
        article_id: &str,
        open: bool,
        audit: Option<AuditEntry>,
    ) -> Result<bool, StoreError> {
        let id = article_id.to_owned();
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM articles WHERE id = ?1)",
                [&id],
                |r| r.get(0),
            )?;
            // Closing what is closed is no act: no line in the log.
            let changed = tx.execute(
                "UPDATE articles SET comments_open = ?2 WHERE id = ?1 AND comments_open <> ?2",
                params![id, open],
            )? > 0;
            if let Some(audit) = audit.filter(|_| changed) {
                insert_audit(&tx, &audit)?;
            }
            tx.commit()?;
            Ok(exists)
        })
        .await
    }

    async fn published_counts(&self, ids: Vec<String>) -> Result<Vec<(String, i64)>, StoreError> {
        self.with_conn(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, shown_comments FROM articles WHERE id = ?1 AND hidden = 0",
            )?;
            let mut out = Vec::new();
            for id in &ids {
                if let Some(row) = stmt
                    .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?
                {
                    out.push(row);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn import_comments(
        &self,
        article_id: &str,
        comments: Vec<ImportedComment>,
        dry_run: bool,
    ) -> Result<Vec<Imported>, StoreError> {
        let article_id = article_id.to_owned();
        self.with_conn(move |c| import_comments(c, &article_id, &comments, dry_run))
            .await
    }

    async fn article_urls(&self) -> Result<Vec<(String, String, bool)>, StoreError> {
        self.with_conn(|c| {
            let mut stmt = c.prepare("SELECT id, url, hidden FROM articles ORDER BY hidden, id")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn ids_by_url(&self, urls: Vec<String>) -> Result<Vec<UrlMatch>, StoreError> {
        self.with_conn(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, hidden FROM articles WHERE url = ?1 ORDER BY hidden, id LIMIT 1",
            )?;
            let mut out = Vec::new();
            for url in urls {
                let found = stmt
                    .query_row([&url], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if let Some((id, hidden)) = found {
                    out.push(UrlMatch { url, id, hidden });
                }
            }
            Ok(out)
        })
        .await
    }

    async fn first_by_url(&self, urls: Vec<String>) -> Result<Vec<(String, String)>, StoreError> {
        self.with_conn(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id FROM articles WHERE url = ?1 AND origin IS NOT 'thread'
                 ORDER BY published_ts, id LIMIT 1",
            )?;
            let mut out = Vec::new();
            for url in urls {
                if let Some(id) = stmt.query_row([&url], |r| r.get(0)).optional()? {
                    out.push((url, id));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn forget_email(
        &self,
        email: &str,
        audit: Option<AuditEntry>,
    ) -> Result<u64, StoreError> {
        let email = email.to_owned();
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let doomed = doomed_comments(
                &tx,
                "email = ?1 COLLATE NOCASE OR parent_id IN
                     (SELECT id FROM comments WHERE email = ?1 COLLATE NOCASE)",
                &email,
            )?;
            // Webhook deliveries carry the comments' text and author: those
            // still to send would send them after the erasure, and the sent
            // ones keep them for days. Receivers hear of the deletions, to
            // forget what they were sent.
            tx.execute(
                "DELETE FROM webhook_deliveries WHERE comment_id IN
                     (SELECT id FROM comments WHERE email = ?1 COLLATE NOCASE
                      UNION SELECT id FROM comments WHERE parent_id IN
                          (SELECT id FROM comments WHERE email = ?1 COLLATE NOCASE))",
                [&email],
            )?;
            for gone in doomed.iter().filter_map(event::deleted) {
                queue_events(&tx, &[Event::Deleted], &gone)?;
            }
            let replies = tx.execute(
                "DELETE FROM comments WHERE parent_id IN
                     (SELECT id FROM comments WHERE email = ?1 COLLATE NOCASE)",
                [&email],
            )?;
            let own = tx.execute(
                "DELETE FROM comments WHERE email = ?1 COLLATE NOCASE",
                [&email],
            )?;
            tx.execute(
                "DELETE FROM reply_subscriptions WHERE email = ?1 COLLATE NOCASE",
                [&email],
            )?;
            let n = u64::try_from(replies + own).unwrap_or(0);
            if let Some(audit) = audit {
                insert_audit(&tx, &super::erasure_audited(n, audit))?;
            }
            tx.commit()?;
            Ok(n)
        })
        .await
    }

    async fn comment_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.with_conn(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT status, COUNT(*) FROM comments GROUP BY status ORDER BY status",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn dump(&self) -> Result<Dump, StoreError> {
        self.with_conn(|c| dump(c)).await
    }

    async fn export_comments(
        &self,
        article_id: Option<String>,
        email: Option<String>,
    ) -> Result<Vec<CommentRow>, StoreError> {
        self.with_conn(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {COMMENT_ROW_COLUMNS} FROM comments
                 WHERE (?1 IS NULL OR article_id = ?1) AND (?2 IS NULL OR email = ?2 COLLATE NOCASE)
                 ORDER BY id"
            ))?;
            let rows = stmt
                .query_map(params![article_id, email], comment_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn restore(&self, data: Dump) -> Result<(), StoreError> {
        self.with_conn(move |c| restore(c, &data)).await
    }

    fn shares_state(&self) -> bool {
        // One server process serves an SQLite file; its windows stay in
        // memory, where checking them costs no write.
        false
    }

    async fn rate_unhit(&self, bucket: &str, client: &str) -> Result<(), StoreError> {
        let (bucket, client) = (bucket.to_owned(), client.to_owned());
        self.with_conn(move |c| {
            c.execute(
                "DELETE FROM rate_hits WHERE rowid = (SELECT rowid FROM rate_hits
                 WHERE bucket = ?1 AND client = ?2 ORDER BY at_ms DESC LIMIT 1)",
                params![bucket, client],
            )?;
            Ok(())
        })
        .await
    }

    async fn rate_hit(
        &self,
        bucket: &str,
        client: &str,
        max: u32,
        window: Duration,
    ) -> Result<Option<Duration>, StoreError> {
        let (bucket, client) = (bucket.to_owned(), client.to_owned());
        let window_ms = millis(window);
        self.with_conn(move |c| {
            let now = now_ms();
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "DELETE FROM rate_hits WHERE bucket = ?1 AND client = ?2 AND at_ms <= ?3",
                params![bucket, client, now - window_ms],
            )?;
            let (count, oldest): (i64, Option<i64>) = tx.query_row(
                "SELECT COUNT(*), MIN(at_ms) FROM rate_hits WHERE bucket = ?1 AND client = ?2",
                params![bucket, client],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let wait = if count >= i64::from(max) {
                let until = oldest.unwrap_or(now) + window_ms;
                Some(Duration::from_millis(
                    u64::try_from(until - now).unwrap_or(0),
                ))
            } else {
                tx.execute(
                    "INSERT INTO rate_hits (bucket, client, at_ms) VALUES (?1, ?2, ?3)",
                    params![bucket, client, now],
                )?;
                None
            };
            tx.commit()?;
            Ok(wait)
        })
        .await
    }

    async fn claim_job(
        &self,
        name: &str,
        every: Duration,
        holder: &str,
    ) -> Result<bool, StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        let every_ms = millis(every);
        self.with_conn(move |c| {
            let now = now_ms();
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO jobs (name, next_run_ms) VALUES (?1, 0) ON CONFLICT (name) DO NOTHING",
                [&name],
            )?;
            let claimed = tx.execute(
                "UPDATE jobs SET next_run_ms = ?2, holder = ?3 WHERE name = ?1 AND next_run_ms <= ?4",
                params![name, now.saturating_add(every_ms), holder, now],
            )? > 0;
            tx.commit()?;
            Ok(claimed)
        })
        .await
    }

    async fn release_job(
        &self,
        name: &str,
        every: Duration,
        holder: &str,
    ) -> Result<(), StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        let every_ms = millis(every);
        self.with_conn(move |c| {
            c.execute(
                "UPDATE jobs SET next_run_ms = ?2 WHERE name = ?1 AND holder = ?3",
                params![name, now_ms().saturating_add(every_ms), holder],
            )?;
            Ok(())
        })
        .await
    }

    async fn prune_rate_hits(&self, window: Duration) -> Result<u64, StoreError> {
        let window_ms = millis(window);
        self.with_conn(move |c| {
            let gone = c.execute(
                "DELETE FROM rate_hits WHERE at_ms <= ?1",
                [now_ms() - window_ms],
            )?;
            Ok(u64::try_from(gone).unwrap_or(0))
        })
        .await
    }

    async fn source_state(&self, url: &str) -> Result<Option<super::SourceState>, StoreError> {
        let url = url.to_owned();
        let json: Option<String> = self
            .with_conn(move |c| {
                Ok::<_, StoreError>(
                    c.query_row(
                        "SELECT state_json FROM sources WHERE url = ?1",
                        [url],
                        |r| r.get(0),
                    )
                    .optional()?,
                )
            })
            .await?;
        Ok(json.map(|j| serde_json::from_str(&j)).transpose()?)
    }

    async fn save_source_state(
        &self,
        url: &str,
        state: &super::SourceState,
    ) -> Result<(), StoreError> {
        let (url, json) = (url.to_owned(), serde_json::to_string(state)?);
        self.with_conn(move |c| {
            c.execute(
                "INSERT INTO sources (url, state_json) VALUES (?1, ?2)
                 ON CONFLICT (url) DO UPDATE SET state_json = excluded.state_json",
                params![url, json],
            )?;
            Ok(())
        })
        .await
    }

    async fn clock_ms(&self) -> Result<i64, StoreError> {
        Ok(now_ms())
    }

    async fn watch_changes(&self, on_change: ChangeHook) -> Result<(), StoreError> {
        // A connection of its own: `data_version` changes when any *other*
        // connection commits, in this process or another.
        let path = self.path.clone();
        let watcher = tokio::task::spawn_blocking(move || {
            let conn = Connection::open(&path)?;
            conn.execute_batch("PRAGMA busy_timeout = 5000;")?;
            Ok::<_, StoreError>(conn)
        })
        .await??;
        let watcher = std::sync::Arc::new(std::sync::Mutex::new(watcher));
        let version = |w: &std::sync::Arc<std::sync::Mutex<Connection>>| {
            let w = w.clone();
            tokio::task::spawn_blocking(move || {
                let conn = w.lock().unwrap_or_else(|p| p.into_inner());
                conn.query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0))
            })
        };
        let mut last = version(&watcher).await??;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(WATCH_EVERY);
            let mut lost = false;
            loop {
                tick.tick().await;
                match version(&watcher).await {
                    Ok(Ok(v)) if lost => {
                        lost = false;
                        last = v;
                        on_change(Change::Watching);
                    }
                    Ok(Ok(v)) if v == last => {}
                    Ok(Ok(v)) => {
                        last = v;
                        on_change(Change::Data);
                    }
                    // Unsure until the version reads again: keep nothing
                    // rather than serve something stale.
                    _ => {
                        lost = true;
                        on_change(Change::Lost);
                    }
                }
            }
        });
        Ok(())
    }

    async fn put_moderator(&self, name: &str, password_hash: &str) -> Result<bool, StoreError> {
        let (name, hash) = (name.to_owned(), password_hash.to_owned());
        self.with_conn(move |c| {
            let tx = c.transaction()?;
            let updated = tx.execute(
                "UPDATE moderators SET password_hash = ?2 WHERE name = ?1",
                params![name, hash],
            )?;
            if updated == 0 {
                tx.execute(
                    "INSERT INTO moderators (name, password_hash) VALUES (?1, ?2)",
                    params![name, hash],
                )?;
            } else {
                tx.execute(
                    "DELETE FROM sessions WHERE moderator_id =
                         (SELECT id FROM moderators WHERE name = ?1)",
                    [&name],
                )?;
            }
            tx.commit()?;
            Ok(updated == 0)
        })
        .await
    }

    async fn moderator(&self, name: &str) -> Result<Option<Moderator>, StoreError> {
        let name = name.to_owned();
        self.with_conn(move |c| {
            Ok(c.query_row(
                "SELECT id, name, password_hash FROM moderators WHERE name = ?1",
                [name],
                |r| {
                    Ok(Moderator {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        password_hash: r.get(2)?,
                    })
                },
            )
            .optional()?)
        })
        .await
    }

    async fn moderator_names(&self) -> Result<Vec<String>, StoreError> {
        self.with_conn(|c| {
            let mut stmt = c.prepare("SELECT name FROM moderators ORDER BY name")?;
            let names = stmt.query_map([], |r| r.get(0))?;
            Ok(names.collect::<Result<Vec<String>, _>>()?)
        })
        .await
    }

    async fn remove_moderator(&self, name: &str) -> Result<bool, StoreError> {
        let name = name.to_owned();
        // Its sessions go with it (ON DELETE CASCADE; every connection has
        // foreign keys on, see `PRAGMAS`).
        self.with_conn(move |c| {
            let removed = c.execute("DELETE FROM moderators WHERE name = ?1", [&name])?;
            Ok(removed > 0)
        })
        .await
    }

    async fn login_failures(
        &self,
        key: &str,
        window: Duration,
    ) -> Result<(u32, Option<Duration>), StoreError> {
        let key = key.to_owned();
        let now = now_ms();
        let since_ms = now.saturating_sub(millis(window));
        let window_ms = millis(window);
        let (count, last): (u32, Option<i64>) = self
            .with_conn(move |c| {
                c.query_row(
                    "SELECT COUNT(*), MAX(f.at_ms)
                     FROM login_failures f,
                          (SELECT MAX(at_ms) AS at_ms FROM login_failures WHERE key = ?1) last
                     WHERE f.key = ?1 AND last.at_ms > ?2 AND f.at_ms > last.at_ms - ?3",
                    params![key, since_ms, window_ms],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(StoreError::from)
            })
            .await?;
        let ago = |at: i64| Duration::from_millis(u64::try_from(now - at).unwrap_or(0));
        Ok((count, last.map(ago)))
    }

    async fn add_login_failure(
        &self,
        key: &str,
        account: &str,
        window: Duration,
    ) -> Result<(), StoreError> {
        let (key, account) = (key.to_owned(), account.to_owned());
        let window_ms = millis(window);
        self.with_conn(move |c| {
            let at_ms = now_ms();
            let forget_before_ms = at_ms.saturating_sub(window_ms.saturating_mul(2));
            let tx = c.transaction()?;
            // Every key's old failures: names that never were accounts pile
            // up otherwise.
            tx.execute(
                "DELETE FROM login_failures WHERE at_ms < ?1",
                params![forget_before_ms],
            )?;
            tx.execute(
                "INSERT INTO login_failures (key, account, at_ms) VALUES (?1, ?2, ?3)",
                params![key, account, at_ms],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn clear_login_failures(
        &self,
        key: &str,
        account: Option<&str>,
    ) -> Result<u64, StoreError> {
        let (key, account) = (key.to_owned(), account.map(str::to_owned));
        self.with_conn(move |c| {
            let n = c.execute(
                "DELETE FROM login_failures
                 WHERE key = ?1 AND (?2 IS NULL OR account = ?2 OR account IS NULL)",
                params![key, account],
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn clear_client_failures_at(&self, account: &str) -> Result<u64, StoreError> {
        let account = account.to_owned();
        self.with_conn(move |c| {
            let n = c.execute(
                "DELETE FROM login_failures WHERE key LIKE 'client:%' AND account = ?1",
                [account],
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn create_session(
        &self,
        token_hash: &str,
        moderator: &Moderator,
        csrf: &str,
        lifetime: Duration,
    ) -> Result<bool, StoreError> {
        let (token_hash, csrf) = (token_hash.to_owned(), csrf.to_owned());
        let (id, hash) = (moderator.id, moderator.password_hash.clone());
        let lifetime_ms = millis(lifetime);
        self.with_conn(move |c| {
            let now = now_ms();
            let expires_ms = now.saturating_add(lifetime_ms);
            let tx = c.transaction()?;
            tx.execute("DELETE FROM sessions WHERE expires_ms < ?1", [now])?;
            let stored = tx.execute(
                "INSERT INTO sessions (token_hash, moderator_id, csrf, expires_ms)
                 SELECT ?1, id, ?3, ?4 FROM moderators WHERE id = ?2 AND password_hash = ?5",
                params![token_hash, id, csrf, expires_ms, hash],
            )?;
            tx.commit()?;
            Ok(stored > 0)
        })
        .await
    }

    async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        let token_hash = token_hash.to_owned();
        self.with_conn(move |c| {
            Ok(c.query_row(
                "SELECT m.name, s.csrf FROM sessions s JOIN moderators m ON m.id = s.moderator_id
                 WHERE s.token_hash = ?1 AND s.expires_ms > ?2",
                params![token_hash, now_ms()],
                |r| {
                    Ok(Session {
                        moderator: r.get(0)?,
                        csrf: r.get(1)?,
                    })
                },
            )
            .optional()?)
        })
        .await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let token_hash = token_hash.to_owned();
        self.with_conn(move |c| {
            c.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
            Ok(())
        })
        .await
    }

    async fn add_audit(&self, e: AuditEntry) -> Result<(), StoreError> {
        self.with_conn(move |c| insert_audit(c, &e)).await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_page(limit, Keyset::Newest).await
    }

    async fn acted_on(&self, id: i64) -> Result<bool, StoreError> {
        self.with_conn(move |c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM audit_log WHERE comment_id = ?1)",
                [id],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn audit_page(&self, limit: u32, at: Keyset) -> Result<Vec<AuditEntry>, StoreError> {
        let (before, after, ascending) = at.bounds();
        self.with_conn(move |c| {
            let mut stmt = c.prepare_cached(if ascending {
                "SELECT id, at, moderator, action, comment_id, article_id, detail FROM audit_log
                 WHERE (?2 IS NULL OR id < ?2) AND (?3 IS NULL OR id > ?3)
                 ORDER BY id ASC LIMIT ?1"
            } else {
                "SELECT id, at, moderator, action, comment_id, article_id, detail FROM audit_log
                 WHERE (?2 IS NULL OR id < ?2) AND (?3 IS NULL OR id > ?3)
                 ORDER BY id DESC LIMIT ?1"
            })?;
            let mut rows = stmt
                .query_map(params![limit, before, after], |r| {
                    Ok(AuditEntry {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        moderator: r.get(2)?,
                        action: r.get(3)?,
                        comment_id: r.get(4)?,
                        article_id: r.get(5)?,
                        detail: r.get(6)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            if ascending {
                rows.reverse();
            }
            Ok(rows)
        })
        .await
    }

    async fn add_reply_subscription(
        &self,
        comment_id: i64,
        email: &str,
        lang: &str,
        base_url: &str,
        retry_after: std::time::Duration,
    ) -> Result<Option<i64>, StoreError> {
        let (email, lang, base_url) = (email.to_owned(), lang.to_owned(), base_url.to_owned());
        let now = now_ms();
        let due = now.saturating_add(millis(retry_after));
        self.with_conn(move |c| {
            let added = c.execute(
                "INSERT INTO reply_subscriptions
                     (comment_id, email, lang, base_url, created_ms, confirm_due_ms, confirm_tries)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1) ON CONFLICT DO NOTHING",
                params![comment_id, email, lang, base_url, now, due],
            )?;
            Ok((added > 0).then(|| c.last_insert_rowid()))
        })
        .await
    }

    async fn resend_reply_confirmation(
        &self,
        id: i64,
        retry_after: std::time::Duration,
    ) -> Result<bool, StoreError> {
        let due = now_ms().saturating_add(millis(retry_after));
        self.with_conn(move |c| {
            Ok(c.execute(
                "UPDATE reply_subscriptions SET confirm_due_ms = ?2, confirm_tries = 1
                 WHERE id = ?1 AND confirmed_ms IS NULL AND ended_ms IS NULL",
                params![id, due],
            )? > 0)
        })
        .await
    }

    async fn due_reply_confirmations(
        &self,
        limit: u32,
    ) -> Result<Vec<ReplySubscription>, StoreError> {
        self.with_conn(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM reply_subscriptions
                 WHERE confirm_due_ms <= ?1 AND confirmed_ms IS NULL AND ended_ms IS NULL
                 ORDER BY confirm_due_ms, id LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![now_ms(), limit], row_to_subscription)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn claim_reply_confirmation(
        &self,
        id: i64,
        tries: i64,
        retry_after: std::time::Duration,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let due = now.saturating_add(millis(retry_after));
        self.with_conn(move |c| {
            Ok(c.execute(
                "UPDATE reply_subscriptions SET confirm_due_ms = ?4, confirm_tries = ?2 + 1
                 WHERE id = ?1 AND confirm_tries = ?2 AND confirm_due_ms <= ?3
                     AND confirmed_ms IS NULL AND ended_ms IS NULL",
                params![id, tries, now, due],
            )? > 0)
        })
        .await
    }

    async fn settle_reply_confirmation(&self, id: i64, tries: i64) -> Result<(), StoreError> {
        self.with_conn(move |c| {
            c.execute(
                "UPDATE reply_subscriptions SET confirm_due_ms = NULL
                 WHERE id = ?1 AND confirm_tries = ?2",
                [id, tries],
            )?;
            Ok(())
        })
        .await
    }

    async fn reply_subscription(&self, id: i64) -> Result<Option<ReplySubscription>, StoreError> {
        self.with_conn(move |c| {
            Ok(c.query_row(
                &format!("SELECT {SUBSCRIPTION_COLUMNS} FROM reply_subscriptions WHERE id = ?1"),
                [id],
                row_to_subscription,
            )
            .optional()?)
        })
        .await
    }

    async fn reply_subscription_of(
        &self,
        comment_id: i64,
        email: &str,
    ) -> Result<Option<ReplySubscription>, StoreError> {
        let email = email.to_owned();
        self.with_conn(move |c| {
            Ok(c.query_row(
                &format!(
                    "SELECT {SUBSCRIPTION_COLUMNS} FROM reply_subscriptions
                     WHERE comment_id = ?1 AND email = ?2 COLLATE NOCASE AND ended_ms IS NULL
                     ORDER BY id LIMIT 1"
                ),
                params![comment_id, email],
                row_to_subscription,
            )
            .optional()?)
        })
        .await
    }

    async fn confirm_reply_subscription(&self, id: i64) -> Result<bool, StoreError> {
        self.with_conn(move |c| {
            Ok(c.execute(
                "UPDATE reply_subscriptions SET confirmed_ms = COALESCE(confirmed_ms, ?2)
                 WHERE id = ?1 AND ended_ms IS NULL",
                params![id, now_ms()],
            )? > 0)
        })
        .await
    }

    async fn end_reply_subscription(&self, id: i64) -> Result<bool, StoreError> {
        self.with_conn(move |c| {
            Ok(c.execute(
                "UPDATE reply_subscriptions SET ended_ms = COALESCE(ended_ms, ?2)
                 WHERE id = ?1 OR (ended_ms IS NULL AND EXISTS (
                     SELECT 1 FROM reply_subscriptions s WHERE s.id = ?1
                         AND s.comment_id = reply_subscriptions.comment_id
                         AND s.email = reply_subscriptions.email COLLATE NOCASE))",
                params![id, now_ms()],
            )? > 0)
        })
        .await
    }

    async fn reply_subscribers(
        &self,
        comment_id: i64,
    ) -> Result<Vec<ReplySubscription>, StoreError> {
        self.with_conn(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM reply_subscriptions
                 WHERE comment_id = ?1 AND confirmed_ms IS NOT NULL AND ended_ms IS NULL
                 ORDER BY id"
            ))?;
            let rows = stmt
                .query_map([comment_id], row_to_subscription)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn due_reply_notices(&self, limit: u32) -> Result<Vec<ReplyNotice>, StoreError> {
        self.with_conn(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, reply_id, attempts, sent_to, queued, created_ms FROM reply_notices
                 WHERE done = 0 AND next_ms <= ?2 ORDER BY id LIMIT ?1",
            )?;
            let rows = stmt
                .query_map(params![limit, now_ms()], |r| {
                    Ok(ReplyNotice {
                        id: r.get(0)?,
                        reply_id: r.get(1)?,
                        attempts: r.get(2)?,
                        sent_to: ReplyNotice::parse_sent_to(&r.get::<_, String>(3)?),
                        queued: r.get(4)?,
                        published_ms: r.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn finish_reply_notice(
        &self,
        notice: &ReplyNotice,
        outcome: NoticeOutcome,
    ) -> Result<(), StoreError> {
        let (id, queued) = (notice.id, notice.queued);
        self.with_conn(move |c| {
            // Published again meanwhile (`queued` moved on): whom this run
            // told is kept, and the notice stays due for the others.
            match outcome {
                NoticeOutcome::Done { sent_to } => {
                    c.execute(
                        "UPDATE reply_notices SET sent_to = ?2,
                             done = CASE WHEN queued = ?3 THEN 1 ELSE done END
                         WHERE id = ?1",
                        params![id, ReplyNotice::format_sent_to(&sent_to), queued],
                    )?;
                }
                NoticeOutcome::Retry { sent_to, after } => {
                    let wait = millis(after);
                    c.execute(
                        "UPDATE reply_notices SET sent_to = ?2,
                             attempts = CASE WHEN queued = ?4 THEN attempts + 1 ELSE attempts END,
                             next_ms = CASE WHEN queued = ?4 THEN ?3 ELSE next_ms END
                         WHERE id = ?1",
                        params![
                            id,
                            ReplyNotice::format_sent_to(&sent_to),
                            now_ms().saturating_add(wait),
                            queued
                        ],
                    )?;
                }
                NoticeOutcome::Unfinished { sent_to } => {
                    c.execute(
                        "UPDATE reply_notices SET sent_to = ?2 WHERE id = ?1",
                        params![id, ReplyNotice::format_sent_to(&sent_to)],
                    )?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn cursor(&self, name: &str) -> Result<Option<i64>, StoreError> {
        let name = name.to_owned();
        self.with_conn(move |c| {
            Ok(
                c.query_row("SELECT value FROM cursors WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
        .await
    }

    async fn set_cursor(&self, name: &str, value: i64) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.with_conn(move |c| {
            c.execute(
                "INSERT INTO cursors (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                params![name, value],
            )?;
            Ok(())
        })
        .await
    }

    async fn forget_cursors(&self, prefix: &str, keep: Vec<String>) -> Result<(), StoreError> {
        let prefix = prefix.to_owned();
        let keep = serde_json::to_string(&keep)?;
        self.with_conn(move |c| {
            c.execute(
                "DELETE FROM cursors WHERE substr(name, 1, length(?1)) = ?1
                     AND name NOT IN (SELECT value FROM json_each(?2))",
                params![prefix, keep],
            )?;
            Ok(())
        })
        .await
    }

    async fn put_outbox_mail(&self, m: OutboxMail, keep: u32) -> Result<i64, StoreError> {
        self.with_conn(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO mail_outbox (at, sender, recipient, subject, text)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![m.at, m.sender, m.recipient, m.subject, m.text],
            )?;
            let id = tx.last_insert_rowid();
            tx.execute(
                "DELETE FROM mail_outbox WHERE id <= ?1 - ?2",
                params![id, keep],
            )?;
            tx.commit()?;
            Ok(id)
        })
        .await
    }

    async fn outbox_mail(&self, limit: u32) -> Result<Vec<OutboxMail>, StoreError> {
        self.with_conn(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, at, sender, recipient, subject, text FROM mail_outbox
                 ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt
                .query_map([limit], |r| {
                    Ok(OutboxMail {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        sender: r.get(2)?,
                        recipient: r.get(3)?,
                        subject: r.get(4)?,
                        text: r.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn install_secret(&self, name: &str, fresh: &str) -> Result<String, StoreError> {
        let (name, fresh) = (name.to_owned(), fresh.to_owned());
        self.with_conn(move |c| {
            // Read first: a key read at every use must not wait for the
            // write lock (a long import holds it).
            let held = c
                .query_row(
                    "SELECT value FROM install_secrets WHERE name = ?1",
                    [&name],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(held) = held {
                return Ok(held);
            }
            c.execute(
                "INSERT INTO install_secrets (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO NOTHING",
                params![name, fresh],
            )?;
            Ok(c.query_row(
                "SELECT value FROM install_secrets WHERE name = ?1",
                [name],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn replace_install_secret(
        &self,
        name: &str,
        fresh: &str,
        audit: AuditEntry,
    ) -> Result<(), StoreError> {
        let (name, fresh) = (name.to_owned(), fresh.to_owned());
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO install_secrets (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, fresh],
            )?;
            insert_audit(&tx, &audit)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn moderation_count(&self, q: ModQuery) -> Result<i64, StoreError> {
        self.with_conn(move |c| {
            let sql = format!(
                "SELECT COUNT(*) FROM comments c WHERE {MODERATED} {}",
                super::readers_only(q.readers_only)
            );
            let pattern = q.search.as_deref().map(super::like_pattern);
            Ok(c.prepare_cached(&sql)?
                .query_row(params![q.status.as_str(), q.article_id, pattern], |r| {
                    r.get(0)
                })?)
        })
        .await
    }

    async fn moderation_comments(&self, q: ModQuery) -> Result<Vec<ModComment>, StoreError> {
        let (before, after, ascending) = q.at.bounds();
        self.with_conn(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT c.id, c.author, c.body, c.created_at, c.parent_id, c.article_id,
                     c.status, c.email, c.client_hmac, a.title, a.url,
                     p.id, p.author, p.body, p.created_at, p.status
                 FROM comments c JOIN articles a ON a.id = c.article_id
                 LEFT JOIN comments p ON p.id = c.parent_id
                 WHERE {MODERATED}
                   AND (?5 IS NULL OR c.id < ?5) AND (?6 IS NULL OR c.id > ?6) {}
                 ORDER BY c.id {} LIMIT ?4",
                super::readers_only(q.readers_only),
                if ascending { "ASC" } else { "DESC" }
            ))?;
            let pattern = q.search.as_deref().map(super::like_pattern);
            let rows = stmt
                .query_map(
                    params![
                        q.status.as_str(),
                        q.article_id,
                        pattern,
                        q.limit,
                        before,
                        after
                    ],
                    |r| {
                        let parent_id: Option<i64> = r.get(11)?;
                        Ok(ModComment {
                            stored: row_to_comment(r)?,
                            client_hmac: r.get(8)?,
                            article_title: r.get(9)?,
                            article_url: r.get(10)?,
                            parent: match parent_id {
                                Some(id) => Some(Comment {
                                    id,
                                    author: r.get(12)?,
                                    body: r.get(13)?,
                                    created_at: r.get(14)?,
                                    parent_id: None,
                                    replies: None,
                                    replies_next: None,
                                }),
                                None => None,
                            },
                            parent_status: r.get(15)?,
                        })
                    },
                )?
                .collect::<Result<Vec<_>, _>>()?;
            let mut rows = rows;
            if ascending {
                rows.reverse();
            }
            Ok(rows)
        })
        .await
    }

    async fn add_block(
        &self,
        kind: BlockKind,
        value: &str,
        audit: AuditEntry,
    ) -> Result<bool, StoreError> {
        let value = value.to_owned();
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let added = tx.execute(
                "INSERT INTO author_blocks (kind, value, moderator, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (kind, value) DO NOTHING",
                params![kind.as_str(), value, audit.moderator, audit.at],
            )? > 0;
            if added {
                insert_audit(&tx, &audit)?;
            }
            tx.commit()?;
            Ok(added)
        })
        .await
    }

    async fn remove_block(
        &self,
        kind: BlockKind,
        value: &str,
        audit: AuditEntry,
    ) -> Result<bool, StoreError> {
        let value = value.to_owned();
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let removed = tx.execute(
                "DELETE FROM author_blocks WHERE kind = ?1 AND value = ?2",
                params![kind.as_str(), value],
            )? > 0;
            if removed {
                insert_audit(&tx, &audit)?;
            }
            tx.commit()?;
            Ok(removed)
        })
        .await
    }

    async fn blocks(&self, limit: u32, at: Keyset) -> Result<Vec<AuthorBlock>, StoreError> {
        let (before, after, ascending) = at.bounds();
        self.with_conn(move |c| {
            let mut stmt = c.prepare_cached(if ascending {
                "SELECT id, kind, value, moderator, at FROM author_blocks
                 WHERE (?2 IS NULL OR id < ?2) AND (?3 IS NULL OR id > ?3)
                 ORDER BY id ASC LIMIT ?1"
            } else {
                "SELECT id, kind, value, moderator, at FROM author_blocks
                 WHERE (?2 IS NULL OR id < ?2) AND (?3 IS NULL OR id > ?3)
                 ORDER BY id DESC LIMIT ?1"
            })?;
            let mut rows = stmt
                .query_map(params![limit, before, after], |r| {
                    let kind: String = r.get(1)?;
                    Ok((r.get(0)?, kind, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<Result<Vec<(i64, String, String, String, String)>, _>>()?;
            if ascending {
                rows.reverse();
            }
            // A kind this version does not know is left out, not an error.
            Ok(rows
                .into_iter()
                .filter_map(|(id, kind, value, moderator, at)| {
                    Some(AuthorBlock {
                        id,
                        kind: BlockKind::parse(&kind)?,
                        value,
                        moderator,
                        at,
                    })
                })
                .collect())
        })
        .await
    }

    async fn block_count(&self) -> Result<i64, StoreError> {
        self.with_conn(|c| Ok(c.query_row("SELECT COUNT(*) FROM author_blocks", [], |r| r.get(0))?))
            .await
    }

    async fn is_blocked(
        &self,
        email: Option<&str>,
        client_hmac: Option<&str>,
    ) -> Result<bool, StoreError> {
        if email.is_none() && client_hmac.is_none() {
            return Ok(false);
        }
        let (email, client_hmac) = (email.map(str::to_owned), client_hmac.map(str::to_owned));
        self.with_conn(move |c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM author_blocks
                     WHERE (kind = 'email' AND value = ?1) OR (kind = 'client' AND value = ?2))",
                params![email, client_hmac],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn renew_webhook_urls(
        &self,
        urls: Vec<String>,
        lifetime: Duration,
    ) -> Result<u64, StoreError> {
        let mut urls = urls;
        // One order for every instance's renewals.
        urls.sort();
        urls.dedup();
        let lifetime_ms = millis(lifetime);
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            // One machine's file: its clock, read under the write lock.
            let now_ms = now_ms();
            let stale_before_ms = now_ms.saturating_sub(lifetime_ms);
            for url in &urls {
                tx.execute(
                    "INSERT INTO webhook_urls (url, seen_ms) VALUES (?1, ?2)
                     ON CONFLICT (url) DO UPDATE SET seen_ms = excluded.seen_ms
                     WHERE webhook_urls.seen_ms < excluded.seen_ms",
                    params![url, now_ms],
                )?;
            }
            let forgotten = tx.execute(
                "DELETE FROM webhook_urls WHERE seen_ms < ?1",
                [stale_before_ms],
            )?;
            tx.execute(
                "UPDATE webhook_deliveries SET failed_ms = ?1,
                     last_error = 'the URL is no longer a --webhook'
                 WHERE delivered_ms IS NULL AND failed_ms IS NULL
                   AND url NOT IN (SELECT url FROM webhook_urls)",
                [now_ms],
            )?;
            tx.commit()?;
            Ok(u64::try_from(forgotten).unwrap_or_default())
        })
        .await
    }

    async fn claim_webhook_deliveries(
        &self,
        urls: Vec<String>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        let lease_ms = millis(lease);
        // The URLs as a JSON list, read by json_each (SQLite binds no lists).
        let urls = serde_json::to_string(&urls).map_err(|e| StoreError::Engine(e.to_string()))?;
        self.with_conn(move |c| {
            let now = now_ms();
            // Asked every second: a plain read when nothing is due, so the
            // idle worker never takes the write lock.
            let any: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM webhook_deliveries
                     WHERE delivered_ms IS NULL AND failed_ms IS NULL
                       AND next_attempt_ms <= ?1 AND claimed_until_ms <= ?1
                       AND url IN (SELECT value FROM json_each(?2)))",
                params![now, urls],
                |r| r.get(0),
            )?;
            if !any {
                return Ok(Vec::new());
            }
            // The write lock first: a second claim waits and then sees the
            // first one's lease.
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let due = tx
                .prepare_cached(&format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
                     WHERE delivered_ms IS NULL AND failed_ms IS NULL
                       AND next_attempt_ms <= ?1 AND claimed_until_ms <= ?1
                       AND url IN (SELECT value FROM json_each(?3))
                     ORDER BY next_attempt_ms, id LIMIT ?2"
                ))?
                .query_map(params![now, limit, urls], row_to_delivery)?
                .collect::<Result<Vec<_>, _>>()?;
            for d in &due {
                tx.execute(
                    "UPDATE webhook_deliveries SET claimed_until_ms = ?2 WHERE id = ?1",
                    params![d.id, now.saturating_add(lease_ms)],
                )?;
            }
            tx.commit()?;
            Ok(due)
        })
        .await
    }

    async fn record_webhook_attempt(&self, id: i64, attempt: Attempt) -> Result<(), StoreError> {
        self.with_conn(move |c| {
            let now = now_ms();
            let (status, error, next, delivered, failed) = match attempt {
                Attempt::Delivered(status) => (Some(status), None, None, Some(now), None),
                Attempt::Retry {
                    status,
                    error,
                    after,
                } => {
                    let wait = millis(after);
                    (
                        status,
                        Some(error),
                        Some(now.saturating_add(wait)),
                        None,
                        None,
                    )
                }
                Attempt::Failed { status, error } => (status, Some(error), None, None, Some(now)),
            };
            c.execute(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, claimed_until_ms = 0,
                     last_status = ?2, last_error = COALESCE(?3, last_error),
                     next_attempt_ms = COALESCE(?4, next_attempt_ms),
                     delivered_ms = ?5, failed_ms = ?6
                 WHERE id = ?1 AND delivered_ms IS NULL AND failed_ms IS NULL",
                params![id, status, error, next, delivered, failed],
            )?;
            Ok(())
        })
        .await
    }

    async fn webhook_deliveries(
        &self,
        limit: u32,
        at: Keyset,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        let (before, after, ascending) = at.bounds();
        self.with_conn(move |c| {
            let mut rows = c
                .prepare_cached(&format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
                     WHERE (?2 IS NULL OR id < ?2) AND (?3 IS NULL OR id > ?3)
                     ORDER BY id {} LIMIT ?1",
                    if ascending { "ASC" } else { "DESC" }
                ))?
                .query_map(params![limit, before, after], row_to_delivery)?
                .collect::<Result<Vec<_>, _>>()?;
            if ascending {
                rows.reverse();
            }
            Ok(rows)
        })
        .await
    }

    async fn webhook_delivery_count(&self) -> Result<i64, StoreError> {
        self.with_conn(|c| {
            Ok(c.query_row("SELECT COUNT(*) FROM webhook_deliveries", [], |r| r.get(0))?)
        })
        .await
    }

    async fn retry_webhook_delivery(
        &self,
        id: i64,
        audit: Option<AuditEntry>,
    ) -> Result<Option<RetriedDelivery>, StoreError> {
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let retried = tx
                .query_row(
                    "UPDATE webhook_deliveries SET failed_ms = NULL, attempts = 0,
                     next_attempt_ms = ?2, claimed_until_ms = 0
                 WHERE id = ?1 AND failed_ms IS NOT NULL
                   AND url IN (SELECT url FROM webhook_urls)
                 RETURNING comment_id, event, url",
                    params![id, now_ms()],
                    |r| {
                        Ok(RetriedDelivery {
                            comment_id: r.get(0)?,
                            event: r.get(1)?,
                            url: r.get(2)?,
                        })
                    },
                )
                .optional()?;
            if let (Some(d), Some(audit)) = (&retried, audit) {
                insert_audit(&tx, &d.audited(id, audit))?;
            }
            tx.commit()?;
            Ok(retried)
        })
        .await
    }

    async fn prune_webhook_deliveries(
        &self,
        delivered_before_ms: i64,
        failed_before_ms: i64,
    ) -> Result<u64, StoreError> {
        self.with_conn(move |c| {
            let gone = c.execute(
                "DELETE FROM webhook_deliveries
                 WHERE (created_ms < ?1 AND delivered_ms IS NOT NULL)
                    OR (created_ms < ?2 AND failed_ms IS NOT NULL)",
                [delivered_before_ms, failed_before_ms],
            )?;
            Ok(u64::try_from(gone).unwrap_or(0))
        })
        .await
    }

    async fn delete_comment(
        &self,
        id: i64,
        only_if: Option<Status>,
    ) -> Result<Option<u64>, StoreError> {
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let gone = delete_in(&tx, id, only_if)?;
            tx.commit()?;
            Ok(gone.map(|(_, replies)| replies))
        })
        .await
    }

    async fn moderate(
        &self,
        id: i64,
        act: Act,
        line: AuditEntry,
    ) -> Result<Option<Moderated>, StoreError> {
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let done = match act {
                Act::Set { to, from } => {
                    // A status's name is one of three constants: safe in the SQL.
                    let condition = match from {
                        Some(from) if from == to => return Ok(None),
                        Some(from) => format!("status = '{}'", from.as_str()),
                        None => "status <> ?2".to_owned(),
                    };
                    let (now, changed) = status_in(&tx, id, to, &condition)?;
                    now.filter(|_| changed).map(|comment| Moderated {
                        comment,
                        replies: 0,
                    })
                }
                Act::Delete { only_if } => delete_in(&tx, id, only_if)?
                    .map(|(comment, replies)| Moderated { comment, replies }),
            };
            if let Some(done) = &done {
                insert_audit(&tx, &super::line_of(&line, done, act))?;
            }
            tx.commit()?;
            Ok(done)
        })
        .await
    }
}

// ----- articles -----

/// Everything, in id order.
fn dump(conn: &Connection) -> Result<Dump, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ARTICLE_COLUMNS} FROM articles a ORDER BY a.id"
    ))?;
    let articles = stmt
        .query_map([], row_to_article)?
        .map(|r| r.map_err(StoreError::from).and_then(RawArticle::finish))
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {COMMENT_ROW_COLUMNS} FROM comments ORDER BY id"
    ))?;
    let mut state =
        conn.prepare("SELECT id, hidden, origin, source_open FROM articles ORDER BY id")?;
    let article_state = state
        .query_map([], |r| {
            Ok(ArticleState {
                id: r.get(0)?,
                hidden: r.get(1)?,
                origin: r.get(2)?,
                source_open: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let comments = stmt
        .query_map([], comment_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let mut tables = Vec::new();
    for (table, columns, _) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        let mut stmt = conn.prepare(&format!("SELECT {} FROM {table}", names.join(", ")))?;
        let rows = stmt
            .query_map([], |r| {
                columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| {
                        Ok(match kind {
                            Kind::Int => r.get::<_, Option<i64>>(i)?.map_or(Cell::Null, Cell::Int),
                            Kind::Text => r
                                .get::<_, Option<String>>(i)?
                                .map_or(Cell::Null, Cell::Text),
                        })
                    })
                    .collect::<rusqlite::Result<Vec<Cell>>>()
            })?
            .collect::<Result<Vec<_>, _>>()?;
        tables.push(((*table).to_owned(), rows));
    }
    let id_counters = NEVER_REUSED
        .iter()
        .map(|table| {
            let counter: i64 = conn.query_row(
                &format!(
                    "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?1), 0),
                                COALESCE((SELECT MAX(id) FROM {table}), 0))"
                ),
                [table],
                |r| r.get(0),
            )?;
            Ok(((*table).to_owned(), counter))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Dump {
        articles,
        comments,
        article_state,
        tables,
        id_counters,
    })
}

/// Writes every row of `dump` in one transaction, ids kept.
fn restore(conn: &mut Connection, dump: &Dump) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    for a in &dump.articles {
        upsert_article(&tx, a, None)?;
    }
    for st in &dump.article_state {
        tx.execute(
            "UPDATE articles SET hidden = ?2, origin = ?3, source_open = ?4 WHERE id = ?1",
            params![st.id, st.hidden, st.origin, st.source_open],
        )?;
    }
    // Parents before replies: ids grow with time and replies come later.
    for c in &dump.comments {
        tx.execute(
            "INSERT INTO comments (id, article_id, parent_id, author, email, body, status,
                 created_at, idempotency_key, client_hmac)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                c.id,
                c.article_id,
                c.parent_id,
                c.author,
                c.email,
                c.body,
                c.status,
                c.created_at,
                c.idempotency_key,
                c.client_hmac
            ],
        )?;
    }
    for (table, rows) in &dump.tables {
        let Some((_, columns, _)) = TABLES.iter().find(|(t, _, _)| t == table) else {
            continue;
        };
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            marks.join(", ")
        );
        for row in rows {
            let values: Vec<rusqlite::types::Value> = row
                .iter()
                .map(|c| match c {
                    Cell::Null => rusqlite::types::Value::Null,
                    Cell::Int(i) => rusqlite::types::Value::Integer(*i),
                    Cell::Text(t) => rusqlite::types::Value::Text(t.clone()),
                })
                .collect();
            tx.execute(&sql, rusqlite::params_from_iter(values))?;
        }
    }
    // Ids the source handed out and then deleted stay used here too.
    for (table, counter) in &dump.id_counters {
        if !NEVER_REUSED.contains(&table.as_str()) {
            continue;
        }
        tx.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT ?1, 0
                 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?1)",
            [table],
        )?;
        tx.execute(
            "UPDATE sqlite_sequence SET seq = MAX(seq, ?2) WHERE name = ?1",
            params![table, counter],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn upsert_article(conn: &Connection, a: &Article, origin: Option<&str>) -> Result<(), StoreError> {
    let ts = parse_time(&a.published_at)
        .map(|t| t.unix_timestamp())
        .unwrap_or_default();
    let body_json = a.body.as_ref().map(serde_json::to_string).transpose()?;
    conn.execute(
        "INSERT INTO articles (id, url, title, summary, body_json, body_html, published_at,
             published_ts, updated_at, source, section, author, image_url, image_alt,
             image_caption, lang, comments_open, hidden, origin, source_open)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, 0, ?18,
             ?19)
         ON CONFLICT (id) DO UPDATE SET
             url = excluded.url, title = excluded.title, summary = excluded.summary,
             body_json = excluded.body_json, body_html = excluded.body_html,
             published_at = excluded.published_at, published_ts = excluded.published_ts,
             updated_at = excluded.updated_at, source = excluded.source,
             section = excluded.section, author = excluded.author,
             image_url = excluded.image_url, image_alt = excluded.image_alt,
             image_caption = excluded.image_caption, lang = excluded.lang,
             comments_open = CASE WHEN excluded.source_open IS NOT NULL
                 AND articles.source_open IS excluded.source_open
                 THEN articles.comments_open ELSE excluded.comments_open END,
             source_open = CASE WHEN excluded.origin IS NULL THEN articles.source_open
                 ELSE excluded.source_open END, hidden = 0,
             origin = COALESCE(excluded.origin, articles.origin)",
        params![
            a.id,
            a.url,
            a.title,
            a.summary,
            body_json,
            a.body_html,
            a.published_at,
            ts,
            a.updated_at,
            a.source,
            a.section,
            a.author,
            a.image.as_ref().map(|i| &i.url),
            a.image.as_ref().map(|i| &i.alt),
            a.image.as_ref().and_then(|i| i.caption.as_ref()),
            a.lang,
            a.comments_open,
            origin,
            source_word(a, origin),
        ],
    )?;
    adopt_threads(conn, &a.id, &a.url)
}

/// Readers may have commented on the article's page before the article
/// was stored (comments by URL open a thread of their own): that thread's
/// comments become the article's, and the thread goes, so that the page
/// keeps one conversation, whichever row its URL would have found.
fn adopt_threads(conn: &Connection, id: &str, url: &str) -> Result<(), StoreError> {
    let [a, b, c, d, e, f, g, h] = crate::threads::thread_spellings(url);
    // An article stored with a path is its page on every site: its threads
    // are matched by theirs (a thread's URL is `scheme://host/path`).
    let column = if crate::model::is_root_relative(url) {
        "substr(url, instr(substr(url, 9), '/') + 8)"
    } else {
        "url"
    };
    let threads = format!(
        "SELECT id FROM articles WHERE origin = 'thread' AND id <> ?1
         AND {column} IN (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    );
    conn.execute(
        &format!("UPDATE comments SET article_id = ?1 WHERE article_id IN ({threads})"),
        params![id, a, b, c, d, e, f, g, h],
    )?;
    conn.execute(
        &format!("DELETE FROM articles WHERE id IN ({threads})"),
        params![id, a, b, c, d, e, f, g, h],
    )?;
    Ok(())
}

const ARTICLE_COLUMNS: &str = "a.id, a.url, a.title, a.summary, a.body_json, a.body_html,
    a.published_at, a.updated_at, a.source, a.section, a.author, a.image_url, a.image_alt,
    a.image_caption, a.lang, a.comments_open, a.shown_comments,
    a.published_ts, a.source_open";

/// A row before its JSON body column is parsed.
struct RawArticle {
    article: Article,
    body_json: Option<String>,
    published_ts: i64,
}

fn row_to_article(row: &Row<'_>) -> rusqlite::Result<RawArticle> {
    let image_url: Option<String> = row.get(11)?;
    Ok(RawArticle {
        article: Article {
            id: row.get(0)?,
            url: row.get(1)?,
            title: row.get(2)?,
            summary: row.get(3)?,
            body: None,
            body_html: row.get(5)?,
            published_at: row.get(6)?,
            updated_at: row.get(7)?,
            source: row.get(8)?,
            section: row.get(9)?,
            author: row.get(10)?,
            image: match image_url {
                Some(url) => Some(Image {
                    url,
                    alt: row.get::<_, Option<String>>(12)?.unwrap_or_default(),
                    caption: row.get(13)?,
                }),
                None => None,
            },
            lang: row.get(14)?,
            comments_open: row.get(15)?,
            comment_count: row.get(16)?,
            source_comments_open: row.get(18)?,
        },
        body_json: row.get(4)?,
        published_ts: row.get(17)?,
    })
}

impl RawArticle {
    fn finish(self) -> Result<Article, StoreError> {
        let mut article = self.article;
        article.body = self
            .body_json
            .map(|j| serde_json::from_str::<Vec<Block>>(&j))
            .transpose()?;
        Ok(article)
    }
}

fn get_article(conn: &Connection, id: &str) -> Result<Option<Article>, StoreError> {
    let raw = conn
        .query_row(
            &format!("SELECT {ARTICLE_COLUMNS} FROM articles a WHERE a.id = ?1 AND a.hidden = 0"),
            [id],
            row_to_article,
        )
        .optional()?;
    raw.map(RawArticle::finish).transpose()
}

fn list_articles(
    conn: &Connection,
    q: &ListQuery,
) -> Result<(Vec<ArticleSummary>, Option<Position>), StoreError> {
    let (after_ts, after_id) = q.after.clone().unwrap_or((i64::MAX, String::new()));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ARTICLE_COLUMNS} FROM articles a
         WHERE a.hidden = 0 AND a.origin IS NOT 'thread'
           AND (a.published_ts < ?1 OR (a.published_ts = ?1 AND (?2 = '' OR a.id < ?2)))
           AND (?3 IS NULL OR a.section = ?3)
           AND (?4 IS NULL OR lower(a.lang) = lower(?4) OR lower(a.lang) LIKE lower(?4) || '-%')
         ORDER BY a.published_ts DESC, a.id DESC
         LIMIT ?5"
    ))?;
    let rows = stmt.query_map(
        params![
            after_ts,
            after_id,
            q.section,
            q.lang,
            i64::from(q.limit) + 1
        ],
        row_to_article,
    )?;
    let mut raws = rows.collect::<Result<Vec<_>, _>>()?;
    let more = raws.len() > q.limit as usize;
    raws.truncate(q.limit as usize);
    let next = if more {
        raws.last().map(|r| (r.published_ts, r.article.id.clone()))
    } else {
        None
    };
    let items = raws
        .into_iter()
        .map(|r| r.finish().map(|a| a.summary()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((items, next))
}

fn recent_articles(
    conn: &Connection,
    section: Option<&str>,
    limit: u32,
) -> Result<Vec<Article>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ARTICLE_COLUMNS} FROM articles a
         WHERE a.hidden = 0 AND a.origin IS NOT 'thread' AND (?1 IS NULL OR a.section = ?1)
         ORDER BY a.published_ts DESC, a.id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![section, limit], row_to_article)?;
    rows.map(|r| r.map_err(StoreError::from).and_then(RawArticle::finish))
        .collect()
}

// ----- comments -----

const COMMENT_COLUMNS: &str = "id, author, body, created_at, parent_id, article_id, status, email";

fn row_to_comment(row: &Row<'_>) -> rusqlite::Result<StoredComment> {
    Ok(StoredComment {
        comment: Comment {
            id: row.get(0)?,
            author: row.get(1)?,
            body: row.get(2)?,
            created_at: row.get(3)?,
            parent_id: row.get(4)?,
            replies: None,
            replies_next: None,
        },
        article_id: row.get(5)?,
        status: row.get(6)?,
        email: row.get(7)?,
    })
}

/// Serializes comment writes inside the process (see [`create_comment`]).
static WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// One transaction, so concurrent identical requests still create one row.
fn create_comment(
    conn: &mut Connection,
    article_id: &str,
    c: &CleanComment,
    moderation: Moderation,
    now: &str,
    client_hmac: Option<&str>,
) -> Result<(StoredComment, bool), CreateError> {
    // SQLite has one writer at a time anyway; waiting here is a queue,
    // where its busy handler would sleep up to 100 ms between retries
    // (measured: p99 of a POST over 1 s at 16 connections without this).
    let _one_writer = WRITER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if let Some(existing) = comment_by_key(&tx, &c.key)? {
        return if existing.article_id == article_id {
            Ok((existing, false))
        } else {
            Err(CreateError::KeyConflict)
        };
    }
    let open: Option<bool> = tx
        .query_row(
            "SELECT comments_open FROM articles WHERE id = ?1 AND hidden = 0",
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
    tx.execute(
        "INSERT INTO comments (article_id, parent_id, author, email, body, status, created_at,
             idempotency_key, client_hmac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            article_id,
            c.parent_id,
            c.author,
            c.email,
            c.body,
            c.initial_status(moderation),
            now,
            c.key,
            client_hmac
        ],
    )?;
    let stored = comment_by_key(&tx, &c.key)?
        .ok_or_else(|| StoreError::Engine("the new comment was not found".into()))?;
    queue_events(&tx, Event::for_new(&stored.status), &stored)?;
    queue_reply_notice(&tx, Event::for_new(&stored.status), &stored)?;
    tx.commit()?;
    Ok((stored, true))
}

/// Queues a reply notice when `events` make a reply visible.
fn queue_reply_notice(
    conn: &Connection,
    events: &[Event],
    comment: &StoredComment,
) -> Result<(), StoreError> {
    if comment.comment.parent_id.is_some() && events.contains(&Event::Published) {
        conn.execute(
            // Not for a reply under a comment readers do not see.
            // Published again: those its notice reached are not told twice
            // (`sent_to` stays), those it did not are.
            "INSERT INTO reply_notices (reply_id, created_ms)
             SELECT ?1, ?2 WHERE EXISTS
                 (SELECT 1 FROM comments WHERE id = ?3 AND status = 'published')
             ON CONFLICT (reply_id) DO UPDATE
                 SET done = 0, attempts = 0, next_ms = 0, queued = reply_notices.queued + 1,
                     created_ms = excluded.created_ms",
            params![comment.comment.id, now_ms(), comment.comment.parent_id],
        )?;
    }
    Ok(())
}

// ----- webhooks -----

/// Queues one delivery of each of `events` about `comment` for every
/// webhook URL, inside the caller's transaction.
fn queue_events(
    conn: &Connection,
    events: &[Event],
    comment: &StoredComment,
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let urls = conn
        .prepare_cached("SELECT url FROM webhook_urls ORDER BY url")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    if urls.is_empty() {
        return Ok(());
    }
    let article = conn.query_row(
        "SELECT url, title FROM articles WHERE id = ?1",
        [&comment.article_id],
        |r| {
            Ok(event::ArticleRef {
                url: r.get(0)?,
                title: r.get(1)?,
            })
        },
    )?;
    let now = now_ms();
    let mut insert = conn.prepare_cached(
        "INSERT INTO webhook_deliveries (delivery_id, url, event, comment_id, body,
             next_attempt_ms, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?;
    for d in event::deliveries(&urls, events, comment, &article)
        .map_err(|e| StoreError::Engine(e.to_string()))?
    {
        insert.execute(params![
            d.delivery_id,
            d.url,
            d.event,
            d.comment_id,
            d.body,
            now
        ])?;
    }
    Ok(())
}

const DELIVERY_COLUMNS: &str = "id, delivery_id, url, event, comment_id, body, attempts,
    next_attempt_ms, last_status, last_error, delivered_ms, failed_ms, created_ms";

fn row_to_delivery(r: &Row<'_>) -> rusqlite::Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: r.get(0)?,
        delivery_id: r.get(1)?,
        url: r.get(2)?,
        event: r.get(3)?,
        comment_id: r.get(4)?,
        body: r.get(5)?,
        attempts: r.get(6)?,
        next_attempt_ms: r.get(7)?,
        last_status: r.get(8)?,
        last_error: r.get(9)?,
        delivered_ms: r.get(10)?,
        failed_ms: r.get(11)?,
        created_ms: r.get(12)?,
    })
}

/// See [`Store::import_comments`].
fn import_comments(
    conn: &mut Connection,
    article_id: &str,
    comments: &[ImportedComment],
    dry_run: bool,
) -> Result<Vec<Imported>, StoreError> {
    let _one_writer = WRITER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut added = Vec::with_capacity(comments.len());
    for c in comments {
        // An earlier import's key counts on the same article only.
        let found = |table: &str, key: &str, legacy: &Vec<String>| {
            tx.query_row(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM {table} WHERE idempotency_key = ?1
                         OR (idempotency_key IN (SELECT value FROM json_each(?2))
                             AND article_id = ?3))"
                ),
                params![key, json_list(legacy), article_id],
                |r| r.get::<_, bool>(0),
            )
        };
        if found("comments", &c.key, &c.legacy_keys)? {
            added.push(Imported::AlreadyThere);
            continue;
        }
        // Deleted here, or a reply under a comment deleted here (whose
        // replies went with it): the nearest comment up its chain that is
        // here, or was, decides (those in between were never here), and
        // is the one it answers here.
        let mut under_deleted = false;
        let mut answers = c.parent_key.as_ref().map(|k| (k, &c.legacy_parent_keys));
        for (key, legacy) in c.chain() {
            if found("deleted_imports", key, legacy)? {
                under_deleted = true;
                break;
            }
            if found("comments", key, legacy)? {
                answers = Some((key, legacy));
                break;
            }
        }
        if under_deleted || found("deleted_imports", &c.key, &c.legacy_keys)? {
            added.push(Imported::DeletedHere);
            continue;
        }
        if dry_run {
            added.push(Imported::Added);
            continue;
        }
        // One level of replies: a parent that is a reply (stored by an
        // earlier import) hands over its own parent.
        let parent: Option<i64> = match answers {
            Some((key, legacy)) => tx
                .query_row(
                    "SELECT COALESCE(parent_id, id) FROM comments
                     WHERE (idempotency_key = ?1
                         OR idempotency_key IN (SELECT value FROM json_each(?3)))
                         AND article_id = ?2
                     ORDER BY idempotency_key = ?1 DESC LIMIT 1",
                    params![key, article_id, json_list(legacy)],
                    |r| r.get(0),
                )
                .optional()?,
            None => None,
        };
        tx.execute(
            "INSERT INTO comments (article_id, parent_id, author, email, body, status, created_at,
                 idempotency_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                article_id,
                parent,
                c.author,
                c.email,
                c.body,
                c.status.as_str(),
                c.created_at,
                c.key
            ],
        )?;
        added.push(Imported::Added);
    }
    if !dry_run {
        tx.commit()?;
    }
    Ok(added)
}

/// `keys` as a JSON array, for SQLite's `json_each`.
fn json_list(keys: &[String]) -> String {
    serde_json::to_string(keys).unwrap_or_else(|_| "[]".to_owned())
}

fn comment_by_key(conn: &Connection, key: &str) -> Result<Option<StoredComment>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COMMENT_COLUMNS} FROM comments WHERE idempotency_key = ?1"),
            [key],
            row_to_comment,
        )
        .optional()?)
}

/// Sets comment `id`'s status where `condition` holds (SQL on the row, with
/// the new status as `?2`), and queues the change's events: the comment
/// after the statement, and whether it changed.
fn change_status(
    c: &mut rusqlite::Connection,
    id: i64,
    status: Status,
    condition: &str,
) -> Result<(Option<StoredComment>, bool), StoreError> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let now = status_in(&tx, id, status, condition)?;
    tx.commit()?;
    Ok(now)
}

/// [`change_status`] in the caller's transaction.
fn status_in(
    tx: &Connection,
    id: i64,
    status: Status,
    condition: &str,
) -> Result<(Option<StoredComment>, bool), StoreError> {
    let changed = tx.execute(
        &format!("UPDATE comments SET status = ?2 WHERE id = ?1 AND {condition}"),
        params![id, status.as_str()],
    )? > 0;
    let Some(stored) = comment_by_id(tx, id)? else {
        return Ok((None, false));
    };
    if changed {
        if let Some(e) = Event::for_status(&stored.status) {
            queue_events(tx, &[e], &stored)?;
            queue_reply_notice(tx, &[e], &stored)?;
        }
    }
    Ok((Some(stored), changed))
}

/// Deletes comment `id` and its replies in the caller's transaction (with
/// `only_if`, only while it has that status): the comment as it was and
/// how many replies went with it.
fn delete_in(
    tx: &Connection,
    id: i64,
    only_if: Option<Status>,
) -> Result<Option<(StoredComment, u64)>, StoreError> {
    // Read under the write lock: no decision lands between the two.
    let Some(was) = comment_by_id(tx, id)? else {
        return Ok(None);
    };
    if only_if.is_some_and(|status| was.status != status.as_str()) {
        return Ok(None);
    }
    let doomed = doomed_comments(tx, "id = ?1 OR parent_id = ?1", &id)?;
    // Its webhook deliveries and reply notices carry its text (and its
    // replies'): queued ones would still send it, sent ones keep it in
    // the admin page's log. Receivers hear of the deletion.
    tx.execute(
        "DELETE FROM webhook_deliveries WHERE comment_id IN
             (SELECT id FROM comments WHERE id = ?1 OR parent_id = ?1)",
        [id],
    )?;
    for gone in doomed.iter().filter_map(event::deleted) {
        queue_events(tx, &[Event::Deleted], &gone)?;
    }
    tx.execute(
        "DELETE FROM reply_notices WHERE reply_id IN
             (SELECT id FROM comments WHERE id = ?1 OR parent_id = ?1)",
        [id],
    )?;
    let replies = tx.execute("DELETE FROM comments WHERE parent_id = ?1", [id])?;
    let gone = tx.execute("DELETE FROM comments WHERE id = ?1", [id])? > 0;
    Ok(gone.then_some((was, replies as u64)))
}

/// Writes `e` to the audit log (in the caller's transaction, if any).
fn insert_audit(conn: &Connection, e: &AuditEntry) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO audit_log (at, moderator, action, comment_id, article_id, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            e.at,
            e.moderator,
            e.action,
            e.comment_id,
            e.article_id,
            e.detail
        ],
    )?;
    Ok(())
}

/// The comments matching `condition` (on `?1`), about to be deleted in
/// the caller's transaction, each to be announced by a `comment.deleted`.
fn doomed_comments(
    conn: &Connection,
    condition: &str,
    param: &dyn rusqlite::ToSql,
) -> Result<Vec<StoredComment>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COMMENT_COLUMNS} FROM comments WHERE {condition} ORDER BY id"
        ))?
        .query_map([param], row_to_comment)?
        .collect::<Result<Vec<_>, _>>()?)
}

fn comment_by_id(conn: &Connection, id: i64) -> Result<Option<StoredComment>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COMMENT_COLUMNS} FROM comments WHERE id = ?1"),
            [id],
            row_to_comment,
        )
        .optional()?)
}

/// A page of `q`'s article, whose comments are open or not and which
/// shows `total` comments.
fn list_comments(
    conn: &Connection,
    q: &CommentQuery,
    comments_open: bool,
    total: i64,
) -> Result<CommentPage, StoreError> {
    let (cmp, order) = match q.sort {
        Sort::Oldest => (">", "ASC"),
        Sort::Newest => ("<", "DESC"),
    };
    let (at, id) = cursor_bounds(q.after.as_ref(), q.sort);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COMMENT_COLUMNS} FROM comments
         WHERE article_id = ?1 AND status = 'published' AND parent_id IS NULL
           AND (created_at, id) {cmp} ({AFTER_AT}, ?3)
         ORDER BY created_at {order}, id {order} LIMIT ?4"
    ))?;
    let mut items = stmt
        .query_map(
            params![q.article_id, at, id, i64::from(q.limit) + 1],
            row_to_comment,
        )?
        .map(|r| r.map(|s| s.comment))
        .collect::<Result<Vec<_>, _>>()?;
    let next = cut_page(&mut items, q.limit as usize);
    for item in &mut items {
        let mut found = replies_after(conn, item.id, None, q.replies)?;
        if let Some(shown) = q.replies {
            item.replies_next = cut_page(&mut found, shown as usize).map(|c| c.to_string());
        }
        item.replies = Some(found);
    }
    Ok(CommentPage {
        items,
        next,
        total,
        comments_open,
    })
}

/// The time of the cursor `?2` (its id `?3`) in article `?1`'s list: its
/// own, or for a plain id that comment's (one looked up by its key alone:
/// a search for the comment stored before a deleted one would read the
/// whole list for any id a client sends; the list starts again). A cursor
/// past the end in `newest` order never has a plain id.
const AFTER_AT: &str = "COALESCE(?2, (SELECT created_at FROM comments
     WHERE id = ?3 AND article_id = ?1 AND parent_id IS NULL), '')";

/// [`AFTER_AT`] among the replies to `?1`, where a plain id may be one the
/// widget made (a reply it knows by id alone, less one): the time of the
/// reply stored last before it, read from the parent's replies (`+id`
/// keeps SQLite from walking the whole table by its key instead).
const AFTER_AT_REPLY: &str = "COALESCE(?2, (SELECT created_at FROM comments
     WHERE +id <= ?3 AND parent_id = ?1 ORDER BY +id DESC LIMIT 1), '')";

/// Up to `limit + 1` published replies to `parent` after reply `after`
/// (`None`: all of them), in the order they were written.
fn replies_after(
    conn: &Connection,
    parent: i64,
    after: Option<&CommentCursor>,
    limit: Option<u32>,
) -> Result<Vec<Comment>, StoreError> {
    let (at, id) = cursor_bounds(after, Sort::Oldest);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COMMENT_COLUMNS} FROM comments
         WHERE parent_id = ?1 AND status = 'published' AND (created_at, id) > ({AFTER_AT_REPLY}, ?3)
         ORDER BY created_at, id LIMIT ?4"
    ))?;
    let rows = stmt
        // A negative LIMIT is none.
        .query_map(
            params![parent, at, id, limit.map_or(-1, |n| i64::from(n) + 1)],
            row_to_comment,
        )?
        .map(|r| r.map(|s| s.comment))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Which comments (`c`) a [`ModQuery`] lists: its status `?1`, article
/// `?2` and search pattern `?3` (`moderation_comments` and its count).
const MODERATED: &str = "c.status = ?1 AND (?2 IS NULL OR c.article_id = ?2)
    AND (?3 IS NULL OR c.body LIKE ?3 ESCAPE '\\' OR c.author LIKE ?3 ESCAPE '\\')";

/// The columns [`comment_row`] reads.
const COMMENT_ROW_COLUMNS: &str = "id, article_id, parent_id, author, email, body, status,
    created_at, idempotency_key, client_hmac";

/// A comment as [`dump`] and `comments export` read it (their columns).
fn comment_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CommentRow> {
    Ok(CommentRow {
        id: r.get(0)?,
        article_id: r.get(1)?,
        parent_id: r.get(2)?,
        author: r.get(3)?,
        email: r.get(4)?,
        body: r.get(5)?,
        status: r.get(6)?,
        created_at: r.get(7)?,
        idempotency_key: r.get(8)?,
        client_hmac: r.get(9)?,
    })
}

const SUBSCRIPTION_COLUMNS: &str =
    "id, comment_id, email, lang, base_url, confirmed_ms IS NOT NULL, ended_ms IS NOT NULL,
     confirm_tries";

fn row_to_subscription(r: &Row<'_>) -> rusqlite::Result<ReplySubscription> {
    Ok(ReplySubscription {
        id: r.get(0)?,
        comment_id: r.get(1)?,
        email: r.get(2)?,
        lang: r.get(3)?,
        base_url: r.get(4)?,
        confirmed: r.get(5)?,
        ended: r.get(6)?,
        confirm_tries: r.get(7)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backup (taken with a newer binary before an upgrade, say) copies
    /// the file as it is: neither the copy nor the live file is migrated.
    #[test]
    fn a_backup_leaves_the_schema_as_it_was() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Engine(e.to_string()))?;
        let (live, copy) = (
            dir.path().join("live.sqlite3"),
            dir.path().join("copy.sqlite3"),
        );
        let older = MIGRATIONS.len() / 2;
        {
            let c = Connection::open(&live)?;
            c.execute_batch(PRAGMAS)?;
            for sql in &MIGRATIONS[..older] {
                c.execute_batch(sql)?;
            }
            c.pragma_update(None, "user_version", i64::try_from(older).unwrap_or(0))?;
        }
        let (theirs, ours) = SqliteStore::backup_file(&live, &copy)?;
        let older = i64::try_from(older).unwrap_or(0);
        assert_eq!(
            (theirs, ours),
            (older, i64::try_from(MIGRATIONS.len()).unwrap_or(0))
        );
        for file in [&live, &copy] {
            let version: i64 =
                Connection::open(file)?.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            assert_eq!(version, older, "{}", file.display());
        }
        Ok(())
    }

    /// The rebuild keeps every comment, reply and subscription with its id,
    /// and from then on an id is never handed out twice.
    #[test]
    fn the_rebuild_keeps_rows_and_ids_are_never_reused() -> Result<(), StoreError> {
        let mut c = Connection::open_in_memory()?;
        c.execute_batch(PRAGMAS)?;
        let rebuild = MIGRATIONS
            .iter()
            .position(|m| m.starts_with(FOREIGN_KEYS_OFF))
            .ok_or_else(|| StoreError::Engine("no rebuild".into()))?;
        for sql in &MIGRATIONS[..rebuild] {
            c.execute_batch(sql)?;
        }
        c.pragma_update(None, "user_version", i64::try_from(rebuild).unwrap_or(0))?;
        c.execute_batch(
            "INSERT INTO articles (id, url, title, published_at, published_ts)
                 VALUES ('a', 'https://news.test/a', 'A', '2026-12-01T00:00:00Z', 0);
             INSERT INTO comments (id, article_id, parent_id, author, body, status, created_at)
                 VALUES (1, 'a', NULL, 'Huda', 'one', 'published', 't'),
                        (2, 'a', 1, 'Omar', 'two', 'published', 't'),
                        (3, 'a', NULL, 'Sara', 'three', 'pending', 't');
             INSERT INTO reply_subscriptions (id, comment_id, email, lang, base_url, created_ms)
                 VALUES (7, 1, 'huda@news.test', 'ar', 'https://news.test', 0),
                        (8, 3, 'sara@news.test', 'ar', 'https://news.test', 0);
             -- Mailed up to comment 12, since deleted.
             INSERT INTO cursors (name, value) VALUES ('notify-moderators', 12);",
        )?;
        migrate(&mut c)?;
        let count = |c: &Connection, sql: &str| -> Result<i64, StoreError> {
            Ok(c.query_row(sql, [], |r| r.get(0))?)
        };
        assert_eq!(count(&c, "SELECT COUNT(*) FROM comments")?, 3);
        assert_eq!(count(&c, "SELECT parent_id FROM comments WHERE id = 2")?, 1);
        assert_eq!(count(&c, "SELECT COUNT(*) FROM reply_subscriptions")?, 2);
        assert_eq!(count(&c, "PRAGMA foreign_keys")?, 1, "keys back on");

        // The newest comment goes, and its subscription with it: the next
        // of each gets a new id, not the freed one.
        c.execute_batch("DELETE FROM comments WHERE id = 3")?;
        assert_eq!(count(&c, "SELECT COUNT(*) FROM reply_subscriptions")?, 1);
        c.execute_batch(
            "INSERT INTO comments (article_id, author, body, status, created_at)
                 VALUES ('a', 'Lina', 'four', 'pending', 't');
             INSERT INTO reply_subscriptions (comment_id, email, lang, base_url, created_ms)
                 VALUES (1, 'lina@news.test', 'ar', 'https://news.test', 0);",
        )?;
        assert_eq!(
            count(&c, "SELECT MAX(id) FROM comments")?,
            13,
            "past the cursor"
        );
        assert_eq!(count(&c, "SELECT MAX(id) FROM reply_subscriptions")?, 9);
        Ok(())
    }

    /// A database at the schema before the first migration that contains
    /// `text`.
    fn schema_before(text: &str) -> Result<Connection, StoreError> {
        let c = Connection::open_in_memory()?;
        c.execute_batch(PRAGMAS)?;
        let before = MIGRATIONS
            .iter()
            .position(|sql| sql.contains(text))
            .ok_or_else(|| StoreError::Engine("no such migration".into()))?;
        for sql in &MIGRATIONS[..before] {
            c.execute_batch(sql)?;
        }
        c.pragma_update(None, "user_version", i64::try_from(before).unwrap_or(0))?;
        Ok(c)
    }

    /// A database from before the kept count gets each article's count
    /// of what readers are shown: replies under a comment not published
    /// are not among them.
    #[test]
    fn the_count_kept_per_article_starts_from_the_comments_there() -> Result<(), StoreError> {
        let mut c = schema_before("ADD COLUMN shown_comments")?;
        c.execute_batch(
            "INSERT INTO articles (id, url, title, published_at, published_ts)
                 VALUES ('a', 'https://news.test/a', 'A', '2026-12-01T00:00:00Z', 0),
                        ('b', 'https://news.test/b', 'B', '2026-12-01T00:00:00Z', 0);
             INSERT INTO comments (id, article_id, parent_id, author, body, status, created_at)
                 VALUES (1, 'a', NULL, 'Huda', 'one', 'published', 't'),
                        (2, 'a', 1, 'Omar', 'two', 'published', 't'),
                        (3, 'a', NULL, 'Sara', 'three', 'rejected', 't'),
                        (4, 'a', 3, 'Lina', 'four', 'published', 't'),
                        (5, 'a', NULL, 'Sami', 'five', 'pending', 't');",
        )?;
        migrate(&mut c)?;
        let kept = |id: &str| -> Result<i64, StoreError> {
            Ok(c.query_row(
                "SELECT shown_comments FROM articles WHERE id = ?1",
                [id],
                |r| r.get(0),
            )?)
        };
        assert_eq!((kept("a")?, kept("b")?), (2, 0));
        // And from then on the triggers keep it.
        c.execute_batch("UPDATE comments SET status = 'published' WHERE id = 3")?;
        assert_eq!(kept("a")?, 4);
        Ok(())
    }

    /// A webhook URL recorded before its time was kept counts as recorded
    /// at the upgrade: the instances have five minutes to renew it.
    #[test]
    fn urls_from_before_the_upgrade_count_as_recorded_then() -> Result<(), StoreError> {
        let mut c = schema_before("ADD COLUMN seen_ms")?;
        c.execute_batch("INSERT INTO webhook_urls (url) VALUES ('https://hooks.test/a');")?;
        migrate(&mut c)?;
        let seen: i64 = c.query_row("SELECT seen_ms FROM webhook_urls", [], |r| r.get(0))?;
        assert!((now_ms() - seen).abs() < 60_000, "{seen}");
        Ok(())
    }
}
