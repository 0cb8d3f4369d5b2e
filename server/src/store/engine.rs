//! Choosing the engine named by `--db` (kept apart from the interface so
//! that the engines never import a module that imports them).

use std::sync::Arc;

use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{SharedStore, StoreError};

/// Opens the store named by `--db`: a `postgres://` (or `postgresql://`)
/// URL, or else the path of an SQLite file (created when missing). Either
/// is migrated before it is returned.
pub async fn open(spec: &str) -> Result<SharedStore, StoreError> {
    open_with_password(spec, None).await
}

/// [`open`], with the password for a PostgreSQL URL that names none
/// (`KHABAR_DB_PASSWORD`: a password kept out of the URL needs no
/// percent-encoding and shows in no `ps` listing).
pub async fn open_with_password(
    spec: &str,
    password: Option<&str>,
) -> Result<SharedStore, StoreError> {
    if is_postgres_url(spec) {
        Ok(Arc::new(PostgresStore::connect(spec, password).await?))
    } else {
        let path = std::path::PathBuf::from(spec);
        let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path)).await??;
        Ok(Arc::new(store))
    }
}

/// Whether `--db` names a PostgreSQL server rather than an SQLite file.
pub fn is_postgres_url(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}
