//! Moderator accounts, sign-in throttling and sessions.
//!
//! - Passwords are hashed with Argon2id (the `argon2` crate, default
//!   parameters); hashing and checking run on blocking threads.
//! - Failed sign-ins are counted in the database per account and per
//!   client (the HMAC of its address), each on its own: every failure
//!   answers a little later than the one before, and after
//!   [`AdminSettings::max_failures`] in [`AdminSettings::lock_for`] that
//!   account, or that client, is refused for `lock_for` from the last. A
//!   locked client makes no more attempts, and a success forgets only its
//!   failures at that account, so one address can lock at most one account.
//! - A session is a random cookie; the database keeps only its SHA-256 and
//!   the session's CSRF token, so sessions survive restarts and work across
//!   instances.

use std::time::Duration;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::admin::common::{AccountError, AdminError, AdminSettings, MIN_PASSWORD};
use crate::store::{Store, StoreError};

/// Whether `name` can be a moderator's name.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// Argon2id PHC string of `password` with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, AdminError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AdminError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash checked (and its answer ignored) when the name is unknown, so
/// that an unknown name takes as long to refuse as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("no password is this one, ever").unwrap_or_default())
}

/// Adds the moderator `name` or sets its new password (`khabar-server
/// admin add`); `true` when it was added.
pub async fn add_moderator(
    store: &dyn Store,
    name: &str,
    password: &str,
) -> Result<bool, AdminError> {
    if !valid_name(name) {
        return Err(AdminError::Account(AccountError::BadName));
    }
    if ["api", "cli"].iter().any(|r| name.eq_ignore_ascii_case(r)) {
        return Err(AdminError::Account(AccountError::ReservedName));
    }
    if password.chars().count() < MIN_PASSWORD {
        return Err(AdminError::Account(AccountError::ShortPassword));
    }
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(StoreError::from)??;
    Ok(store.put_moderator(name, &hash).await?)
}

/// Removes the moderator `name` (`khabar-server admin remove`): its
/// sessions end on every instance and its failed sign-ins are forgotten;
/// `false` when there was no such account.
pub async fn remove_moderator(store: &dyn Store, name: &str) -> Result<bool, AdminError> {
    if !valid_name(name) {
        return Err(AdminError::Account(AccountError::BadName));
    }
    let removed = store.remove_moderator(name).await?;
    store.clear_login_failures(&account_key(name), None).await?;
    Ok(removed)
}

/// Lifts the lock of the account `name` (`khabar-server admin unlock`),
/// and forgets its failures in every address's count: a moderator who
/// mistyped five times locked the address too, for everyone behind it (a
/// newsroom's one office address); how many failures of the account
/// were forgotten.
pub async fn unlock(store: &dyn Store, name: &str) -> Result<u64, StoreError> {
    let own = store.clear_login_failures(&account_key(name), None).await?;
    store.clear_client_failures_at(name).await?;
    Ok(own)
}

/// The key failures of an account are counted under.
pub fn account_key(name: &str) -> String {
    format!("account:{name}")
}

/// The key failures of a client are counted under.
pub fn client_key(client_hmac: &str) -> String {
    format!("client:{client_hmac}")
}

/// 32 random bytes from the operating system, base64url.
pub fn random_token() -> Result<String, AdminError> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AdminError::Random(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// SHA-256 of a session cookie, in hex: what the database keeps.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Password checks running at once (Argon2 at its default cost each).
static VERIFYING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The outcome of a sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// Signed in: the new session's cookie value and the moderator's id.
    Ok {
        /// Cookie value (the database keeps its hash).
        token: String,
    },
    /// Wrong name or password.
    Wrong,
    /// The account or the client is locked for this long.
    Locked(Duration),
}

/// Checks `name`/`password` from the client `client_hmac`, counting
/// failures and locking as described in the module documentation.
pub async fn sign_in(
    store: &dyn Store,
    settings: &AdminSettings,
    name: &str,
    password: &str,
    client_hmac: &str,
) -> Result<SignIn, AdminError> {
    // A name no account can have is counted under one key, not its own:
    // its text (up to a whole request body) is never stored.
    let possible = valid_name(name);
    let named = if possible { name } else { "" };
    let account = account_key(named);
    let keys = [account, client_key(client_hmac)];
    for key in &keys {
        let (count, last_ago) = store.login_failures(key, settings.lock_for).await?;
        if count >= settings.max_failures {
            let left = settings
                .lock_for
                .saturating_sub(last_ago.unwrap_or_default());
            return Ok(SignIn::Locked(left));
        }
    }
    // The attempt counts as a failure before its password is checked (a
    // success clears it): attempts sent in parallel each see those before
    // them, so no more than `max_failures` of them are ever checked.
    let mut worst = 0_u32;
    for key in &keys {
        store
            .add_login_failure(key, named, settings.lock_for)
            .await?;
        let (count, _) = store.login_failures(key, settings.lock_for).await?;
        worst = worst.max(count.saturating_sub(1));
    }
    if worst >= settings.max_failures {
        return Ok(SignIn::Locked(settings.lock_for));
    }
    let moderator = if possible {
        store.moderator(name).await?
    } else {
        None
    };
    let hash = moderator
        .as_ref()
        .map_or_else(|| decoy_hash().to_owned(), |m| m.password_hash.clone());
    let given = password.to_owned();
    // Each check takes about 19 MiB and a core's worth of time: a few at
    // once, whatever arrives.
    let turn = VERIFYING
        .acquire()
        .await
        .map_err(|e| StoreError::Engine(e.to_string()))?;
    let matches = tokio::task::spawn_blocking(move || verify_password(&given, &hash))
        .await
        .map_err(StoreError::from)?;
    // Free for the next check now, not after a failure's delay below.
    drop(turn);
    match moderator {
        Some(m) if matches => {
            let token = random_token()?;
            // The account may have gone, or changed its password, while
            // the password was checked: the attempt stays counted.
            if !store
                .create_session(
                    &token_hash(&token),
                    &m,
                    &random_token()?,
                    settings.session_for,
                )
                .await?
            {
                return Ok(SignIn::Wrong);
            }
            // The client's failures at other accounts stay: an address
            // that signs in between guesses still locks one account at most.
            let [account, client] = &keys;
            store.clear_login_failures(account, None).await?;
            store.clear_login_failures(client, Some(named)).await?;
            Ok(SignIn::Ok { token })
        }
        _ => {
            // Growing delays: 1, 2, 4, 8 … times the base for the 1st,
            // 2nd, 3rd, 4th … failure in the window.
            let factor = 1_u32 << worst.min(6);
            tokio::time::sleep(settings.failure_delay.saturating_mul(factor)).await;
            if worst + 1 >= settings.max_failures {
                Ok(SignIn::Locked(settings.lock_for))
            } else {
                Ok(SignIn::Wrong)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horsf", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn names_and_tokens() {
        assert!(valid_name("sara.k-2"));
        assert!(!valid_name(""));
        assert!(!valid_name("a b"));
        assert!(!valid_name(&"a".repeat(65)));
        let (a, b) = (
            random_token().expect("random"),
            random_token().expect("random"),
        );
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash("x").len(), 64);
    }
}
