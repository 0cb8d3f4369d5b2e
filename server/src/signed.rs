//! Tokens that carry their own proof: a payload and an HMAC-SHA256 of it
//! under one of the install's keys. The links in e-mail (a moderator's
//! approve and reject, a reader's confirm and unsubscribe) are made of
//! them, so the server keeps no table of issued links.

use hmac::{KeyInit, Mac};

fn mac(key: &[u8], payload: &str) -> String {
    // HMAC takes keys of any length: this cannot fail.
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(payload.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `payload.<hex HMAC>`: safe in a URL when the payload is.
pub fn sign(key: &[u8], payload: &str) -> String {
    format!("{payload}.{}", mac(key, payload))
}

/// The payload of `token` if `key` signed it; compared in constant time.
pub fn open<'t>(key: &[u8], token: &'t str) -> Option<&'t str> {
    let (payload, tag) = token.rsplit_once('.')?;
    crate::extract::same_secret(mac(key, payload).as_bytes(), tag.as_bytes()).then_some(payload)
}

#[cfg(test)]
mod tests {
    use super::{open, sign};

    #[test]
    fn only_the_signed_payload_opens() {
        let token = sign(b"key one", "confirm.7");
        assert_eq!(open(b"key one", &token), Some("confirm.7"));
        assert_eq!(open(b"key two", &token), None);
        assert_eq!(open(b"key one", &token.replacen('7', "8", 1)), None);
        assert_eq!(open(b"key one", "confirm.7"), None);
        assert_eq!(open(b"key one", ""), None);
    }
}
