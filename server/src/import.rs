//! Loading articles from JSON in the API's own shape: the demo seed and
//! `khabar-server import FILE.json`.

use rusqlite::Connection;
use serde::Deserialize;

use crate::db::{self, DbError};
use crate::model::{Article, Invalid};

/// The demo articles, loaded into an empty database.
pub const SEED: &str = include_str!("../seed/articles.json");

/// What an import file may hold: one article, a list, or `{ "items": [...] }`.
#[derive(Deserialize)]
#[serde(untagged)]
enum ImportFile {
    Page { items: Vec<Article> },
    List(Vec<Article>),
    One(Box<Article>),
}

/// Why an import was refused. Nothing is stored when any article is invalid.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not JSON of an accepted shape.
    #[error("not an article, a list of articles or {{\"items\": [...]}}: {0}")]
    Shape(#[from] serde_json::Error),
    /// One article breaks a rule.
    #[error("article #{index} ({id:?}): {invalid}")]
    Invalid {
        /// Position in the file, from 1.
        index: usize,
        /// Its id as given.
        id: String,
        /// The broken rule.
        invalid: Invalid,
    },
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Parses and validates every article of `json`, then upserts them all in
/// one transaction. Returns how many were stored.
pub fn import_json(conn: &mut Connection, json: &str) -> Result<usize, ImportError> {
    let articles = match serde_json::from_str::<ImportFile>(json)? {
        ImportFile::Page { items } | ImportFile::List(items) => items,
        ImportFile::One(a) => vec![*a],
    };
    for (i, a) in articles.iter().enumerate() {
        a.validate().map_err(|invalid| ImportError::Invalid {
            index: i + 1,
            id: a.id.clone(),
            invalid,
        })?;
    }
    let tx = conn.transaction().map_err(DbError::from)?;
    for a in &articles {
        db::upsert_article(&tx, a)?;
    }
    tx.commit().map_err(DbError::from)?;
    Ok(articles.len())
}

/// Loads the demo articles when the database has no article at all.
pub fn seed_if_empty(conn: &mut Connection) -> Result<usize, ImportError> {
    if db::article_count(conn)? > 0 {
        return Ok(0);
    }
    import_json(conn, SEED)
}
