//! The moderation audit log's lines (`/admin/audit`): one per decision,
//! whoever took it — a moderator in `/admin`, a script through the token
//! API (`api`), the command line (`cli`, or its `--by`), an e-mailed link.

use time::format_description::well_known::Rfc3339;

pub use crate::audit_detail::Detail;
use crate::store::{Act, AuditEntry, Status, Store, StoreError};

/// Now, to the second, as the log writes it.
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Writes one line: `moderator` did `action` (`approve`, `reject`,
/// `delete`, …) to a comment of an article.
pub async fn record(
    store: &dyn Store,
    moderator: &str,
    action: &str,
    comment_id: Option<i64>,
    article_id: Option<String>,
) -> Result<(), StoreError> {
    record_with(store, moderator, action, comment_id, article_id, None).await
}

/// [`record`], with the line's detail (what else the action did).
pub async fn record_with(
    store: &dyn Store,
    moderator: &str,
    action: &str,
    comment_id: Option<i64>,
    article_id: Option<String>,
    detail: Option<String>,
) -> Result<(), StoreError> {
    store
        .add_audit(AuditEntry {
            comment_id,
            article_id,
            detail,
            ..line(moderator, action)
        })
        .await
}

/// Approving (`Published`) or rejecting a comment from whatever status it
/// has: the act, and its line of the log by `moderator`.
pub fn decision(moderator: &str, to: Status) -> (Act, AuditEntry) {
    let action = if to == Status::Published {
        "approve"
    } else {
        "reject"
    };
    (Act::Set { to, from: None }, line(moderator, action))
}

/// A line of the log by `moderator`, now: what [`Store::moderate`] writes
/// with the act, once it has filled in the comment and its article.
pub fn line(moderator: &str, action: &str) -> AuditEntry {
    AuditEntry {
        id: 0,
        at: now(),
        moderator: moderator.to_owned(),
        action: action.to_owned(),
        comment_id: None,
        article_id: None,
        detail: None,
    }
}
