//! The client address as moderators see it: an HMAC under a per-install
//! secret (a plain hash of an IPv4 address is reversible by trying them all).

use std::sync::OnceLock;

use hmac::{KeyInit, Mac};

use crate::state::AppState;
use crate::store::StoreError;

/// The HMAC-SHA256 (hex) of a client address under the install's secret,
/// which is made and stored in the database the first time it is needed.
/// Moderators see this instead of the address: equal hashes are the same
/// client, and the address cannot be read back from it.
pub async fn client_hmac(state: &AppState, client: &str) -> Result<String, StoreError> {
    let secret = install_key(state, &state.admin.secret, "client_hmac").await?;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&secret)
        .map_err(|e| StoreError::Engine(format!("hmac key: {e}")))?;
    mac.update(client.as_bytes());
    Ok(mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The install's key named `name`: from `cell` once read, else from the
/// database, made there the first time any instance needs it (so every
/// instance on one database uses the same key).
pub(crate) async fn install_key(
    state: &AppState,
    cell: &OnceLock<Vec<u8>>,
    name: &str,
) -> Result<Vec<u8>, StoreError> {
    if let Some(key) = cell.get() {
        return Ok(key.clone());
    }
    let stored = read_install_key(state, name).await?;
    Ok(cell.get_or_init(|| stored).clone())
}

/// The install's key named `name` as the database holds it now, made there
/// the first time any instance needs it.
pub(crate) async fn read_install_key(state: &AppState, name: &str) -> Result<Vec<u8>, StoreError> {
    Ok(state
        .store
        .install_secret(name, &fresh_key()?)
        .await?
        .into_bytes())
}

/// A new random key for the install's secrets.
pub(crate) fn fresh_key() -> Result<String, StoreError> {
    crate::admin::auth::random_token().map_err(|e| StoreError::Engine(e.to_string()))
}
