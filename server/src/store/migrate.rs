//! `khabar-server migrate --from … --to …`: copies everything one store
//! holds into another, empty one (SQLite to PostgreSQL when a site outgrows
//! one machine, and back), then proves the copy by counts and a checksum of
//! every row read back from the target.

use crate::store::{SharedStore, StoreError};

/// What a finished copy found on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Articles in the source and read back from the target.
    pub articles: (usize, usize),
    /// Comments (every status) in the source and in the target.
    pub comments: (usize, usize),
    /// Checksum of the source's rows and of the target's.
    pub checksums: (String, String),
}

impl Report {
    /// Whether the target holds exactly what the source does.
    pub fn verified(&self) -> bool {
        self.articles.0 == self.articles.1
            && self.comments.0 == self.comments.1
            && self.checksums.0 == self.checksums.1
    }
}

/// Why a copy did not happen.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The target already has data; copying would mix two sites.
    #[error("the target is not empty ({articles} articles, {comments} comments); migrate into a new database")]
    TargetNotEmpty {
        /// Articles found there.
        articles: i64,
        /// Comments found there.
        comments: i64,
    },
    /// The target has handed out comment or subscription ids before (all
    /// deleted since): the copy's ids could not continue after both.
    #[error("the target has held {table} before (ids up to {counter} were handed out); migrate into a new database")]
    TargetUsed {
        /// The table whose counter is not at zero.
        table: String,
        /// The largest id it handed out.
        counter: i64,
    },
    /// The target holds rows of another table the copy writes.
    #[error("the target already holds {rows} row(s) of {table} (a moderator added, or a server started on it?); migrate into a new database")]
    TargetHolds {
        /// The table.
        table: String,
        /// How many rows it holds.
        rows: usize,
    },
    /// Either store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Copies every row of `from` into the empty `to` and verifies it.
pub async fn copy(from: &SharedStore, to: &SharedStore) -> Result<Report, MigrateError> {
    let articles = to.article_count().await?;
    let comments: i64 = to.comment_counts().await?.iter().map(|(_, n)| n).sum();
    if articles > 0 || comments > 0 {
        return Err(MigrateError::TargetNotEmpty { articles, comments });
    }
    let target = to.dump().await?;
    if let Some((table, counter)) = target.id_counters.into_iter().find(|(_, n)| *n > 0) {
        return Err(MigrateError::TargetUsed { table, counter });
    }
    // Every other table the copy writes: a moderator added there, or a
    // `serve` started on it (its mail cursor, its webhook URLs), would make
    // the copy fail half-way on a duplicate key.
    if let Some((table, rows)) = target.tables.into_iter().find(|(_, rows)| !rows.is_empty()) {
        return Err(MigrateError::TargetHolds {
            table,
            rows: rows.len(),
        });
    }
    let source = from.dump().await?;
    let source_sum = source.checksum();
    let counts = (source.articles.len(), source.comments.len());
    to.restore(source).await?;
    let copied = to.dump().await?;
    Ok(Report {
        articles: (counts.0, copied.articles.len()),
        comments: (counts.1, copied.comments.len()),
        checksums: (source_sum, copied.checksum()),
    })
}
