//! Blocked authors: a moderator blocks an e-mail address or a client
//! address's HMAC, and every new comment matching either is held for a
//! moderator, whatever the moderation policy (`docs/moderation.md`,
//! "Blocking an author"). Held rather than refused: a false positive (a
//! shared office address, a reused e-mail) loses nothing and a moderator
//! can still publish it, and a spammer gets no signal that a block exists.
//!
//! The admin UI, the CLI and the moderation API all go through
//! [`block`] and [`unblock`], so that each one is normalized the same way
//! and lands in the audit log with its moderator.

use crate::store::{AuditEntry, BlockKind, Store, StoreError};

/// Why a block could not be set or lifted.
#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    /// Not an e-mail address.
    #[error("not an e-mail address")]
    BadEmail,
    /// Not the 64 hexadecimal digits of a client HMAC.
    #[error("a client HMAC is 64 hexadecimal digits")]
    BadClient,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The stored form of an e-mail address: trimmed, lower-cased whole (the
/// comparison ignores case in the local part too, as people expect).
pub fn normal_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// `raw` as stored for a block of `kind`, or why it cannot be one.
pub fn normalize(kind: BlockKind, raw: &str) -> Result<String, BlockError> {
    match kind {
        BlockKind::Email => {
            let email = normal_email(raw);
            if khabar_rules::is_email(&email) {
                Ok(email)
            } else {
                Err(BlockError::BadEmail)
            }
        }
        BlockKind::Client => {
            let hmac = raw.trim().to_ascii_lowercase();
            if hmac.len() == 64 && hmac.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(hmac)
            } else {
                Err(BlockError::BadClient)
            }
        }
    }
}

/// The audit line of a block or unblock of `value`.
fn entry(moderator: &str, action: &str, comment_id: Option<i64>, value: &str) -> AuditEntry {
    AuditEntry {
        id: 0,
        at: crate::audit::now(),
        moderator: moderator.to_owned(),
        action: action.to_owned(),
        comment_id,
        article_id: None,
        detail: Some(value.to_owned()),
    }
}

/// Blocks `raw` (an address or an HMAC) for `moderator`, and records it in
/// the audit log as `block_email` or `block_client` with the blocked value
/// (and the comment it was taken from, if any). `false` when it was blocked already (nothing is
/// recorded then).
pub async fn block(
    store: &dyn Store,
    kind: BlockKind,
    raw: &str,
    moderator: &str,
    comment_id: Option<i64>,
) -> Result<bool, BlockError> {
    let value = normalize(kind, raw)?;
    let action = format!("block_{}", kind.as_str());
    let audit = entry(moderator, &action, comment_id, &value);
    Ok(store.add_block(kind, &value, audit).await?)
}

/// Lifts the block of `raw` and records it as `unblock_email` or
/// `unblock_client`; `false` when there was none.
pub async fn unblock(
    store: &dyn Store,
    kind: BlockKind,
    raw: &str,
    moderator: &str,
) -> Result<bool, BlockError> {
    // An address is lifted as it was stored, not checked again: a block
    // made under an older, looser rule must still come off.
    let value = match kind {
        BlockKind::Email if !raw.trim().is_empty() => normal_email(raw),
        _ => normalize(kind, raw)?,
    };
    let action = format!("unblock_{}", kind.as_str());
    let audit = entry(moderator, &action, None, &value);
    Ok(store.remove_block(kind, &value, audit).await?)
}

/// Whether a new comment with this address and client HMAC comes from a
/// blocked author.
pub async fn is_blocked(
    store: &dyn Store,
    email: Option<&str>,
    client_hmac: Option<&str>,
) -> Result<bool, StoreError> {
    let email = email.map(normal_email);
    let client = client_hmac.map(str::to_ascii_lowercase);
    store.is_blocked(email.as_deref(), client.as_deref()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_compared_whole_without_case() {
        assert_eq!(
            normalize(BlockKind::Email, "  Huda.Ali@Example.ORG ").ok(),
            Some("huda.ali@example.org".to_owned())
        );
        assert!(matches!(
            normalize(BlockKind::Email, "not an address"),
            Err(BlockError::BadEmail)
        ));
    }

    #[test]
    fn a_client_is_a_whole_hmac() {
        let full = "AB".repeat(32);
        assert_eq!(
            normalize(BlockKind::Client, &full).ok(),
            Some(full.to_lowercase())
        );
        // The 12 digits the pages show are not enough: they could match others.
        assert!(matches!(
            normalize(BlockKind::Client, "abcdefabcdef"),
            Err(BlockError::BadClient)
        ));
        assert!(matches!(
            normalize(BlockKind::Client, &"zz".repeat(32)),
            Err(BlockError::BadClient)
        ));
    }
}
