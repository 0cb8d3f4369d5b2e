//! SQLite storage: connection pool, schema migrations and article queries.
//!
//! Durability (see [`PRAGMAS`] and `docs/operations.md`): WAL journal with
//! `synchronous=FULL`, so a comment answered `201` is on disk before the
//! answer leaves, whether the process is killed or the machine loses power.

use std::path::Path;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::model::{Article, ArticleSummary, Block, Image, Page};

/// A pool of SQLite connections.
pub type Pool = r2d2::Pool<SqliteConnectionManager>;

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused.
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// No connection could be had.
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::Error),
    /// A stored JSON column does not parse.
    #[error("stored body is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
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
];

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

/// Opens (creating if needed) the database at `path` and migrates it.
pub fn open(path: &Path) -> Result<Pool, DbError> {
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
    Ok(pool)
}

/// Applies the migrations this database has not seen yet.
pub fn migrate(conn: &mut Connection) -> Result<(), DbError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let done = usize::try_from(version).unwrap_or(0);
    for (i, sql) in (0_i64..).zip(MIGRATIONS.iter()).skip(done) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Number of stored articles.
pub fn article_count(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0))?)
}

/// Inserts or replaces an article (already validated).
pub fn upsert_article(conn: &Connection, a: &Article) -> Result<(), DbError> {
    let ts = crate::model::parse_time(&a.published_at)
        .map(|t| t.unix_timestamp())
        .unwrap_or_default();
    let body_json = a.body.as_ref().map(serde_json::to_string).transpose()?;
    conn.execute(
        "INSERT INTO articles (id, url, title, summary, body_json, body_html, published_at,
             published_ts, updated_at, source, section, author, image_url, image_alt,
             image_caption, lang, comments_open)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
         ON CONFLICT (id) DO UPDATE SET
             url = excluded.url, title = excluded.title, summary = excluded.summary,
             body_json = excluded.body_json, body_html = excluded.body_html,
             published_at = excluded.published_at, published_ts = excluded.published_ts,
             updated_at = excluded.updated_at, source = excluded.source,
             section = excluded.section, author = excluded.author,
             image_url = excluded.image_url, image_alt = excluded.image_alt,
             image_caption = excluded.image_caption, lang = excluded.lang,
             comments_open = excluded.comments_open",
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
        ],
    )?;
    Ok(())
}

const ARTICLE_COLUMNS: &str = "a.id, a.url, a.title, a.summary, a.body_json, a.body_html,
    a.published_at, a.updated_at, a.source, a.section, a.author, a.image_url, a.image_alt,
    a.image_caption, a.lang, a.comments_open,
    (SELECT COUNT(*) FROM comments c WHERE c.article_id = a.id AND c.status = 'published'),
    a.published_ts";

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
        },
        body_json: row.get(4)?,
        published_ts: row.get(17)?,
    })
}

impl RawArticle {
    fn finish(self) -> Result<Article, DbError> {
        let mut article = self.article;
        article.body = self
            .body_json
            .map(|j| serde_json::from_str::<Vec<Block>>(&j))
            .transpose()?;
        Ok(article)
    }
}

/// Whether an article with this id exists (without loading it).
pub fn article_exists(conn: &Connection, id: &str) -> Result<bool, DbError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM articles WHERE id = ?1)",
        [id],
        |r| r.get(0),
    )?)
}

/// One article by id.
pub fn get_article(conn: &Connection, id: &str) -> Result<Option<Article>, DbError> {
    let raw = conn
        .query_row(
            &format!("SELECT {ARTICLE_COLUMNS} FROM articles a WHERE a.id = ?1"),
            [id],
            row_to_article,
        )
        .optional()?;
    raw.map(RawArticle::finish).transpose()
}

/// A place in the newest-first order: (published_ts, id).
pub type Position = (i64, String);

/// Filters and position for [`list_articles`].
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

/// Newest first, keyset-paged: stable under inserts, cheap at any depth.
pub fn list_articles(
    conn: &Connection,
    q: &ListQuery,
) -> Result<(Vec<ArticleSummary>, Option<Position>), DbError> {
    let (after_ts, after_id) = q.after.clone().unwrap_or((i64::MAX, String::new()));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ARTICLE_COLUMNS} FROM articles a
         WHERE (a.published_ts < ?1 OR (a.published_ts = ?1 AND (?2 = '' OR a.id < ?2)))
           AND (?3 IS NULL OR a.section = ?3)
           AND (?4 IS NULL OR a.lang = ?4 OR a.lang LIKE ?4 || '-%')
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

/// The newest `limit` full articles, optionally of one section (for feeds).
pub fn recent_articles(
    conn: &Connection,
    section: Option<&str>,
    limit: u32,
) -> Result<Vec<Article>, DbError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ARTICLE_COLUMNS} FROM articles a
         WHERE (?1 IS NULL OR a.section = ?1)
         ORDER BY a.published_ts DESC, a.id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![section, limit], row_to_article)?;
    rows.map(|r| r.map_err(DbError::from).and_then(RawArticle::finish))
        .collect()
}

/// Wraps items and a next position into the API's page shape.
pub fn page<T>(items: Vec<T>, next: Option<String>) -> Page<T> {
    Page { items, next }
}
