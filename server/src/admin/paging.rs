//! Keyset paging of the admin lists (queue, rejected comments, an
//! article's comments, the audit log): newest first, `before=ID` for older
//! rows and `after=ID` for newer ones, never an offset, so that comments
//! arriving or leaving meanwhile neither repeat nor skip a row.

use serde::{Deserialize, Serialize};

use crate::admin::common::AdminError;
use crate::store::Keyset;

/// The cursor of a list page, as the query string carries it.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Cursor {
    before: Option<String>,
    after: Option<String>,
}

impl Cursor {
    /// Where the page starts; a cursor that is not a positive id (or both
    /// at once) is a bad request, not a server error.
    pub(crate) fn keyset(&self) -> Result<Keyset, AdminError> {
        let id = |v: &str, name: &'static str| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(AdminError::BadForm(name))
        };
        let given = |v: &Option<String>| v.as_deref().filter(|v| !v.is_empty()).map(str::to_owned);
        match (given(&self.before), given(&self.after)) {
            (None, None) => Ok(Keyset::Newest),
            (Some(b), None) => Ok(Keyset::Before(id(&b, "before")?)),
            (None, Some(a)) => Ok(Keyset::After(id(&a, "after")?)),
            (Some(_), Some(_)) => Err(AdminError::BadForm("before")),
        }
    }
}

/// The links of a page to its neighbours (complete hrefs).
#[derive(Debug, Default, Serialize)]
pub(crate) struct Links {
    /// Older rows, if any may be left.
    pub older: Option<String>,
    /// Newer rows, if any may be left.
    pub newer: Option<String>,
    /// The newest rows, when this page is not them.
    pub newest: Option<String>,
}

/// The address of the page at `at` under `base`, for a form's way back.
pub(crate) fn here(base: &str, at: Keyset) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    match at {
        Keyset::Newest => base.to_owned(),
        Keyset::Before(id) => format!("{base}{sep}before={id}"),
        Keyset::After(id) => format!("{base}{sep}after={id}"),
    }
}

/// Cuts `rows` (asked for with `rows_per_page + 1`, newest first, from
/// `at`) to one page, and makes its links: `base` is the page's path with
/// its other parameters (a search), to which the cursor is appended.
pub(crate) fn page<T>(
    mut rows: Vec<T>,
    rows_per_page: u32,
    at: Keyset,
    base: &str,
    id: impl Fn(&T) -> i64,
) -> (Vec<T>, Links) {
    let per = usize::try_from(rows_per_page).unwrap_or(usize::MAX);
    let extra = rows.len() > per;
    if extra {
        match at {
            // Read ascending: the one too many is the newest.
            Keyset::After(_) => {
                rows.remove(0);
            }
            _ => rows.truncate(per),
        }
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    let link = |name: &str, id: i64| format!("{base}{sep}{name}={id}");
    let (more_older, more_newer) = match at {
        Keyset::Newest => (extra, false),
        Keyset::Before(_) => (extra, true),
        Keyset::After(_) => (true, extra),
    };
    let links = Links {
        older: rows
            .last()
            .filter(|_| more_older)
            .map(|r| link("before", id(r))),
        newer: rows
            .first()
            .filter(|_| more_newer)
            .map(|r| link("after", id(r))),
        newest: (at != Keyset::Newest).then(|| base.to_owned()),
    };
    (rows, links)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(before: Option<&str>, after: Option<&str>) -> Cursor {
        Cursor {
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
        }
    }

    #[test]
    fn forged_cursors_are_bad_requests() {
        assert_eq!(cursor(None, None).keyset().ok(), Some(Keyset::Newest));
        assert_eq!(
            cursor(Some("42"), None).keyset().ok(),
            Some(Keyset::Before(42))
        );
        for bad in [
            cursor(Some("x"), None),
            cursor(None, Some("-3")),
            cursor(Some("99999999999999999999"), None),
            cursor(Some("1"), Some("2")),
        ] {
            assert!(matches!(bad.keyset(), Err(AdminError::BadForm(_))));
        }
    }

    #[test]
    fn links_continue_from_the_edges_of_the_page() {
        // Ids 10..=6 asked for 4 per page from the top: one too many.
        let (rows, links) = page(vec![10, 9, 8, 7, 6], 4, Keyset::Newest, "/q", |r| *r);
        assert_eq!(rows, vec![10, 9, 8, 7]);
        assert_eq!(links.older.as_deref(), Some("/q?before=7"));
        assert_eq!(links.newer, None);
        // Going back up from 3 with `after`: the extra one is the newest.
        let (rows, links) = page(vec![8, 7, 6, 5, 4], 4, Keyset::After(3), "/q?q=a", |r| *r);
        assert_eq!(rows, vec![7, 6, 5, 4]);
        assert_eq!(links.newer.as_deref(), Some("/q?q=a&after=7"));
        assert_eq!(links.older.as_deref(), Some("/q?q=a&before=4"));
        assert_eq!(links.newest.as_deref(), Some("/q?q=a"));
    }
}
