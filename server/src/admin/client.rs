//! The client address as moderators see it: an HMAC under a per-install
//! secret (a plain hash of an IPv4 address is reversible by trying them all).

use hmac::{KeyInit, Mac};

use crate::admin::common::KeyCache;
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

/// The install's key named `name`: from `cell` if read lately, else from
/// the database, made there the first time any instance needs it (so every
/// instance on one database uses the same key). Read again every
/// `state.admin.keys_read_every`, so that a key made anew on the command
/// line reaches every running instance.
pub(crate) async fn install_key(
    state: &AppState,
    cell: &KeyCache,
    name: &str,
) -> Result<Vec<u8>, StoreError> {
    if let Some(key) = cell.fresh(state.admin.keys_read_every) {
        return Ok(key);
    }
    let fresh =
        crate::admin::auth::random_token().map_err(|e| StoreError::Engine(e.to_string()))?;
    let stored = state.store.install_secret(name, &fresh).await?.into_bytes();
    cell.keep(&stored);
    Ok(stored)
}
