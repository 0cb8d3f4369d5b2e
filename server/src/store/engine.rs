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
    } else if let Some(why) = not_a_file(spec) {
        Err(StoreError::Engine(why))
    } else {
        let path = std::path::PathBuf::from(spec);
        let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path)).await??;
        Ok(Arc::new(store))
    }
}

/// `--db` as messages and logs may show it: without the password of a
/// URL's user (`postgres://khabar:…@db/…` → `postgres://khabar@db/…`, in
/// any scheme) or a `password=` setting's value.
pub fn redacted(spec: &str) -> String {
    let mut out = match spec.split_once("://") {
        Some((scheme, rest)) => {
            // The user's part ends at the last `@` before the query: a
            // password may hold `/` or `@`.
            let query = rest.find(['?', '#']).unwrap_or(rest.len());
            match rest[..query].rfind('@') {
                Some(at) => {
                    let user = rest[..at].split(':').next().unwrap_or_default();
                    format!("{scheme}://{user}@{}", &rest[at + 1..])
                }
                None => spec.to_owned(),
            }
        }
        None => spec.to_owned(),
    };
    let mut from = 0;
    while let Some(found) = out[from..].to_ascii_lowercase().find("password=") {
        let start = from + found + "password=".len();
        let end = out[start..]
            .find(|c: char| c == '&' || c == '#' || c.is_whitespace())
            .map_or(out.len(), |n| start + n);
        out.replace_range(start..end, "…");
        from = start + "…".len();
    }
    out
}

/// Why `spec`, which is no PostgreSQL URL, is no SQLite file either: a
/// URL of another scheme (`POSTGRES://`, `postgres//` mistyped) or
/// PostgreSQL's `key=value` form would each be a new file on every
/// instance, each serving comments of its own.
fn not_a_file(spec: &str) -> Option<String> {
    let lower = spec.to_ascii_lowercase();
    let spec = &redacted(spec);
    let keywords = ["host=", "dbname=", "user=", "port=", "sslmode="];
    // A file may be named `postgres-copy.sqlite3`; a URL's start is no name.
    let url_like = ["postgres:", "postgresql:", "postgres//", "postgresql//"];
    if lower.contains("://") || url_like.iter().any(|u| lower.starts_with(u)) {
        Some(format!(
            "--db {spec:?}: a PostgreSQL database is named by a postgres:// URL \
             (postgres://user@host/dbname); anything else is an SQLite file's path"
        ))
    } else if keywords
        .iter()
        .any(|k| lower.split_whitespace().any(|w| w.starts_with(k)))
    {
        Some(format!(
            "--db {spec:?}: write PostgreSQL's settings as a URL, \
             postgres://user@host:port/dbname?sslmode=…"
        ))
    } else {
        None
    }
}

/// Whether `--db` names a PostgreSQL server rather than an SQLite file.
pub fn is_postgres_url(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn messages_never_show_a_password() {
        for (spec, shown) in [
            (
                "postgres://khabar:s3cret@db/khabar",
                "postgres://khabar@db/khabar",
            ),
            (
                "POSTGRES://khabar:s3/c@ret@db/khabar?sslmode=require",
                "POSTGRES://khabar@db/khabar?sslmode=require",
            ),
            (
                "postgresql+psycopg://u:s3cret@db/k",
                "postgresql+psycopg://u@db/k",
            ),
            (
                "postgres://khabar@db/khabar?password=s3cret&sslmode=require",
                "postgres://khabar@db/khabar?password=…&sslmode=require",
            ),
            (
                "host=db password=s3cret dbname=khabar",
                "host=db password=… dbname=khabar",
            ),
            (
                "/var/lib/khabar/khabar.sqlite3",
                "/var/lib/khabar/khabar.sqlite3",
            ),
        ] {
            assert_eq!(redacted(spec), shown, "{spec}");
        }
    }
}
