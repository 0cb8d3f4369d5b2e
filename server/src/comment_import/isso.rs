//! Isso databases (the SQLite file named by `dbpath`), opened read-only:
//! `threads(id, uri, title)`, where `uri` is the page's path, and
//! `comments(tid, id, parent, created, mode, author, email, text, …)`,
//! `created` in seconds since the epoch and `mode` 1 (accepted), 2
//! (waiting for moderation) or 4 (deleted, kept for its replies). Isso
//! stores the text as the reader typed it (Markdown) and the name
//! HTML-escaped.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use time::OffsetDateTime;

use super::source::{SourceComment, SourceState, SourceThread};
use super::targets::Page;

/// Every thread of the database with its comments; why not, as a sentence.
pub fn read(path: &Path) -> Result<Vec<SourceThread>, String> {
    if !path.is_file() {
        return Err("no such file (or not a file)".into());
    }
    // Read-only: the import never changes the other system's data.
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| e.to_string())?;
    let sql = |e: rusqlite::Error| e.to_string();
    let mut out: Vec<SourceThread> = Vec::new();
    let mut by_id: HashMap<i64, usize> = HashMap::new();
    let mut stmt = conn
        .prepare("SELECT id, uri, title FROM threads ORDER BY id")
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    while let Some(row) = rows.next().map_err(sql)? {
        let id: i64 = row.get(0).map_err(sql)?;
        let uri: Option<String> = row.get(1).map_err(sql)?;
        let title: Option<String> = row.get(2).map_err(sql)?;
        by_id.insert(id, out.len());
        out.push(SourceThread {
            page: Page::Path(uri.unwrap_or_default()),
            title,
            // Isso's database does not say which site it served: the import
            // takes the first `--site`.
            site: None,
            comments: Vec::new(),
            public: true,
            identifiers: Vec::new(),
        });
    }
    let mut stmt = conn
        .prepare(
            "SELECT tid, id, parent, created, mode, author, email, text FROM comments ORDER BY id",
        )
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    while let Some(row) = rows.next().map_err(sql)? {
        let tid: i64 = row.get(0).map_err(sql)?;
        let id: i64 = row.get(1).map_err(sql)?;
        // A thread deleted by hand leaves its comments behind (SQLite
        // checks no foreign key unless asked): they go in a thread of their
        // own whose page names no page, which the import skips and names,
        // as a Disqus export's, instead of refusing the whole database.
        let index = *by_id.entry(tid).or_insert_with(|| {
            out.push(SourceThread {
                page: Page::Path(format!("(Isso thread {tid}, not in the database)")),
                title: None,
                site: None,
                comments: Vec::new(),
                public: false,
                identifiers: Vec::new(),
            });
            out.len() - 1
        });
        let parent: Option<i64> = row.get(2).map_err(sql)?;
        let created: Option<f64> = row.get(3).map_err(sql)?;
        let mode: Option<i64> = row.get(4).map_err(sql)?;
        let state = match mode {
            Some(1) => SourceState::Published,
            Some(4) => SourceState::Deleted,
            // 2, and anything newer: kept from readers until a moderator looks.
            _ => SourceState::Pending,
        };
        out[index].comments.push(SourceComment {
            id: id.to_string(),
            parent: parent.map(|p| p.to_string()),
            author: row
                .get::<_, Option<String>>(5)
                .map_err(sql)?
                .unwrap_or_default(),
            email: row.get(6).map_err(sql)?,
            body_html: row
                .get::<_, Option<String>>(7)
                .map_err(sql)?
                .unwrap_or_default(),
            created_at: created
                .filter(|c| c.is_finite())
                // Whole seconds: the float's fraction is below what Khabar keeps.
                .and_then(|c| OffsetDateTime::from_unix_timestamp(c.floor() as i64).ok()),
            state,
            disqus_id: None,
        });
    }
    Ok(out)
}
