//! The vault keys a database has been used with, recorded in the database
//! itself (`vault_keys`).
//!
//! A server started with keys that include none of them — a data folder
//! that was lost or never kept, so a fresh key file was generated — would
//! be unable to read any stored secret and would quietly write new ones
//! under a key that the next restart loses too. It refuses to start
//! instead, naming the keys it needs.

use app::auth::now_secs;

use super::Vault;
use crate::db::Database;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(
        "this database was used with vault keys {known}, and none of them is configured; \
         restore the vault.keys file of its data folder or set CAVEMAN_VAULT_KEYS"
    )]
    NoKnownKey { known: String },
    #[error("cannot read or record the vault keys in the database")]
    Query(#[from] sqlx::Error),
}

/// Checks the configured keys against those the database knows, then
/// records the encrypting key. Keys the database knows that are not
/// configured are logged: values sealed with them cannot be read.
pub async fn check_and_record(db: &Database, vault: &Vault) -> Result<(), RegistryError> {
    let known: Vec<String> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT key_id FROM vault_keys ORDER BY first_used_at, key_id")
            .fetch_all(pool)
            .await
    })?;
    let configured: Vec<&str> = vault.key_ids().collect();
    if !known.is_empty() && !known.iter().any(|id| configured.contains(&id.as_str())) {
        return Err(RegistryError::NoKnownKey {
            known: known.join(", "),
        });
    }
    let missing: Vec<&str> = known
        .iter()
        .map(String::as_str)
        .filter(|id| !configured.contains(id))
        .collect();
    if !missing.is_empty() {
        tracing::warn!(
            vault.missing_keys = missing.join(","),
            "vault keys used with this database are not configured; values sealed with them cannot be read"
        );
    }
    with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO vault_keys (key_id, first_used_at) VALUES ($1, $2) \
             ON CONFLICT (key_id) DO NOTHING",
        )
        .bind(vault.current_key_id())
        .bind(now_secs())
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(())
}
