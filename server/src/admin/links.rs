//! Signed links that act on one comment from an e-mail: approve or reject,
//! valid until they expire. A link names its action, the comment and its
//! expiry, with an HMAC-SHA256 of the three under a per-install key. It is
//! used once by construction: it acts only on a comment that still waits,
//! so after any decision (by this link, another one or the queue) it does
//! nothing. Opening one (GET) changes nothing: mail scanners follow links;
//! the page it opens has the one button that POSTs.

use std::fmt;

use crate::state::AppState;
use crate::store::{Status, StoreError};

/// What a link does to its comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAction {
    /// Publish it.
    Approve,
    /// Keep it hidden for good.
    Reject,
}

impl LinkAction {
    /// The name in the link and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkAction::Approve => "approve",
            LinkAction::Reject => "reject",
        }
    }

    /// The status the comment gets.
    pub fn status(self) -> Status {
        match self {
            LinkAction::Approve => Status::Published,
            LinkAction::Reject => Status::Rejected,
        }
    }
}

/// A verified link: what to do to which comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// The action.
    pub action: LinkAction,
    /// The comment.
    pub comment_id: i64,
}

/// Why a link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a link this server made, or altered.
    #[error("invalid link")]
    Invalid,
    /// Made here, but past its expiry.
    #[error("expired link")]
    Expired,
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} #{}", self.action.as_str(), self.comment_id)
    }
}

/// The install's key for links, made and stored the first time it is
/// needed (kept apart from the client-address key: one key, one purpose).
pub async fn key(state: &AppState) -> Result<Vec<u8>, StoreError> {
    crate::admin::client::install_key(state, &state.admin.link_key, "action_links").await
}

/// The token of a link doing `action` to `comment_id` until `expires`
/// (Unix seconds): `approve.12.1767225600.<hex HMAC>`, safe in a URL as is.
pub fn sign(key: &[u8], link: Link, expires: i64) -> String {
    crate::signed::sign(
        key,
        &format!("{}.{}.{expires}", link.action.as_str(), link.comment_id),
    )
}

/// Checks `token` at time `now` (Unix seconds).
pub fn verify(key: &[u8], token: &str, now: i64) -> Result<Link, LinkError> {
    let payload = crate::signed::open(key, token).ok_or(LinkError::Invalid)?;
    let mut parts = payload.split('.');
    let action = match parts.next() {
        Some("approve") => LinkAction::Approve,
        Some("reject") => LinkAction::Reject,
        _ => return Err(LinkError::Invalid),
    };
    let comment_id = parts
        .next()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or(LinkError::Invalid)?;
    let expires = parts
        .next()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or(LinkError::Invalid)?;
    if parts.next().is_some() {
        return Err(LinkError::Invalid);
    }
    if now >= expires {
        return Err(LinkError::Expired);
    }
    Ok(Link { action, comment_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a key for the tests only";

    #[test]
    fn a_signed_link_verifies_until_it_expires() {
        let link = Link {
            action: LinkAction::Approve,
            comment_id: 42,
        };
        let token = sign(KEY, link, 1_000);
        assert!(token.starts_with("approve.42.1000."));
        assert_eq!(verify(KEY, &token, 999), Ok(link));
        assert_eq!(verify(KEY, &token, 1_000), Err(LinkError::Expired));
    }

    #[test]
    fn any_change_or_another_key_is_refused() {
        let token = sign(
            KEY,
            Link {
                action: LinkAction::Reject,
                comment_id: 7,
            },
            5_000,
        );
        let forged = [
            token.replacen("reject", "approve", 1),
            token.replacen(".7.", ".8.", 1),
            token.replacen(".5000.", ".9000.", 1),
            format!("{token}0"),
            token[..token.len() - 1].to_owned(),
            String::new(),
            "approve.7.5000".into(),
        ];
        for bad in &forged {
            assert_eq!(verify(KEY, bad, 0), Err(LinkError::Invalid), "{bad}");
        }
        assert_eq!(verify(b"another key", &token, 0), Err(LinkError::Invalid));
    }
}
