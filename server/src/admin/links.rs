//! Signed links that act on one comment from an e-mail: approve or reject,
//! valid until they expire. A link names its action, the comment, its
//! expiry and the moderator's address it was mailed to (so the audit log
//! says whose mail acted), with an HMAC-SHA256 of them under a per-install
//! key. It is
//! used once by construction: it acts only on a comment that still waits,
//! so after any decision (by this link, another one or the queue) it does
//! nothing. Opening one (GET) changes nothing: mail scanners follow links;
//! the page it opens has the one button that POSTs.

use std::fmt;

use crate::state::AppState;
use crate::store::{Status, Store, StoreError};

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

/// A verified link: what to do to which comment, from whose mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The action.
    pub action: LinkAction,
    /// The comment.
    pub comment_id: i64,
    /// The address the link was mailed to (none in links made before
    /// links carried it).
    pub to: Option<String>,
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
/// Read from the database at each use, never kept: a key made anew
/// (`admin rotate-link-key`) holds at once on every instance, for the
/// links it checks and the messages it signs.
pub async fn key(state: &AppState) -> Result<Vec<u8>, StoreError> {
    crate::admin::client::read_install_key(state, KEY_NAME).await
}

/// The name the links' key is stored under.
const KEY_NAME: &str = "action_links";

/// Replaces the links' key with a new one, recorded in the audit log as
/// `by`'s in the same transaction: every link mailed until now is refused
/// (`403`), the comments they named wait in the queue. For a moderator's
/// mail seen by someone it was not meant for.
pub async fn rotate_key(store: &dyn Store, by: &str) -> Result<(), StoreError> {
    let fresh = crate::admin::client::fresh_key()?;
    let line = crate::audit::line(by, "rotate_link_key");
    store.replace_install_secret(KEY_NAME, &fresh, line).await
}

/// The token of a link doing `action` to `comment_id` until `expires`
/// (Unix seconds): `approve.12.1767225600.<hex address>.<hex HMAC>`, safe
/// in a URL as is (an address may hold `+`, `%` or `&`, hence hex).
pub fn sign(key: &[u8], link: &Link, expires: i64) -> String {
    let mut payload = format!("{}.{}.{expires}", link.action.as_str(), link.comment_id);
    if let Some(to) = &link.to {
        payload.push('.');
        payload.extend(to.bytes().map(|b| format!("{b:02x}")));
    }
    crate::signed::sign(key, &payload)
}

/// The address written in hex by [`sign`].
fn unhex(hex: &str) -> Option<String> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
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
    let to = match parts.next() {
        Some(hex) => Some(unhex(hex).ok_or(LinkError::Invalid)?),
        None => None,
    };
    if parts.next().is_some() {
        return Err(LinkError::Invalid);
    }
    if now >= expires {
        return Err(LinkError::Expired);
    }
    Ok(Link {
        action,
        comment_id,
        to,
    })
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
            to: Some("desk+night@news.example".into()),
        };
        let token = sign(KEY, &link, 1_000);
        // The address in hex: nothing in it a URL or a form would change.
        assert!(token.starts_with("approve.42.1000.6465736b2b6e69676874"));
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.'));
        assert_eq!(verify(KEY, &token, 999), Ok(link.clone()));
        assert_eq!(verify(KEY, &token, 1_000), Err(LinkError::Expired));
        // A link mailed before links named their recipient still works.
        let older = Link { to: None, ..link };
        let token = sign(KEY, &older, 1_000);
        assert!(token.starts_with("approve.42.1000."));
        assert_eq!(token.matches('.').count(), 3);
        assert_eq!(verify(KEY, &token, 999), Ok(older));
    }

    #[test]
    fn any_change_or_another_key_is_refused() {
        let token = sign(
            KEY,
            &Link {
                action: LinkAction::Reject,
                comment_id: 7,
                to: Some("a@b.example".into()),
            },
            5_000,
        );
        let forged = [
            token.replacen("reject", "approve", 1),
            // Another moderator's address (c@b…), or none.
            token.replacen(".6140", ".6340", 1),
            token.replacen(".6140622e6578616d706c65", "", 1),
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
