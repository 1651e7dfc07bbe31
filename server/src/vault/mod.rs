//! The vault: authenticated encryption of secrets at rest with
//! AES-256-GCM-SIV.
//!
//! Every ciphertext starts with a format version and the id of the key that
//! sealed it, so several keys can be readable while one (the current key)
//! encrypts, and rotation can tell which values still need re-encrypting.
//! The identity of the row that holds a value (table, column, row id) is
//! bound as associated data: a ciphertext copied into another row or column
//! fails to decrypt instead of leaking into the wrong place.
//!
//! Keys come from `CAVEMAN_VAULT_KEYS` or a generated key file (`keys`);
//! `rotate` re-encrypts stored values with the current key.

pub mod keys;
pub mod registry;
pub mod rotate;
mod secret;

use std::fmt;

use aes_gcm_siv::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm_siv::{Aes256GcmSiv, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use secret::Secret;

/// The layout of a sealed value: `[version][id length][id][nonce][sealed]`.
const FORMAT_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;
const MAX_KEY_ID_LEN: usize = 32;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    #[error("vault key id {0:?} is invalid: use 1 to 32 of a-z, 0-9, - and _")]
    InvalidKeyId(String),
    #[error("vault key {id:?} is not {KEY_LEN} bytes of base64")]
    InvalidKey { id: String },
    #[error("vault key {id:?} is listed twice")]
    DuplicateKey { id: String },
    #[error("no vault key is configured")]
    NoKeys,
    #[error("entry {position} is not `id:base64key` with an id of 1 to 32 of a-z, 0-9, - and _")]
    InvalidEntry { position: usize },
    #[error("the encrypted value is malformed or of unknown format")]
    Malformed,
    #[error("the value was encrypted with vault key {id:?}, which is not configured")]
    UnknownKey { id: String },
    #[error("the value does not decrypt with vault key {id:?}: wrong key, moved or altered")]
    Decrypt { id: String },
    #[error("the decrypted value is not the expected JSON")]
    Json,
}

/// Where an encrypted value lives; bound to its ciphertext.
#[derive(Debug, Clone, Copy)]
pub struct Location<'a> {
    pub table: &'static str,
    pub column: &'static str,
    pub row: &'a str,
}

struct VaultKey {
    id: String,
    cipher: Aes256GcmSiv,
}

/// The configured keys; the first encrypts, all decrypt.
pub struct Vault {
    keys: Vec<VaultKey>,
}

impl fmt::Debug for Vault {
    /// Key ids only, never key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|key| key.id.as_str()).collect();
        f.debug_struct("Vault").field("key_ids", &ids).finish()
    }
}

impl Vault {
    /// Parses `id:base64key` entries separated by commas or new lines; the
    /// first key is current. Errors name an entry by position, never by its
    /// text, which may be key material.
    pub fn from_spec(spec: &Secret<String>) -> Result<Vault, VaultError> {
        let mut keys: Vec<VaultKey> = Vec::new();
        let entries = spec
            .expose()
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty());
        for (index, entry) in entries.enumerate() {
            let invalid = VaultError::InvalidEntry {
                position: index + 1,
            };
            let (id, material) = entry.split_once(':').ok_or_else(|| invalid.clone())?;
            let id = validate_key_id(id.trim()).map_err(|_| invalid)?;
            if keys.iter().any(|key| key.id == id) {
                return Err(VaultError::DuplicateKey { id });
            }
            let bytes = Secret::new(
                BASE64
                    .decode(material.trim())
                    .map_err(|_| VaultError::InvalidKey { id: id.clone() })?,
            );
            let key = Key::<Aes256GcmSiv>::try_from(bytes.expose().as_slice())
                .map_err(|_| VaultError::InvalidKey { id: id.clone() })?;
            keys.push(VaultKey {
                id,
                cipher: Aes256GcmSiv::new(&key),
            });
        }
        if keys.is_empty() {
            return Err(VaultError::NoKeys);
        }
        Ok(Vault { keys })
    }

    /// A new random key as a spec entry `id:base64key`, for `vault keygen`.
    pub fn generate_key_entry(id: &str) -> Result<Secret<String>, VaultError> {
        let id = validate_key_id(id)?;
        let key = Key::<Aes256GcmSiv>::generate();
        debug_assert_eq!(key.len(), KEY_LEN);
        Ok(Secret::new(format!("{id}:{}", BASE64.encode(key))))
    }

    /// A fresh key id, `key-` and eight hex digits, for keys whose operator
    /// did not name them.
    pub fn random_key_id() -> String {
        format!("key-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
    }

    /// The ids of every configured key, the encrypting one first.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|key| key.id.as_str())
    }

    /// The id of the key that encrypts.
    pub fn current_key_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Seals `plaintext` for `location` with the current key.
    pub fn encrypt(&self, plaintext: &[u8], location: Location<'_>) -> Vec<u8> {
        let key = &self.keys[0];
        let mut sealed = header(&key.id);
        let nonce = Nonce::generate();
        let aad = associated_data(&sealed, location);
        let ciphertext = key
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            // Only fails for inputs beyond 2^36 bytes, far above any secret.
            .unwrap_or_else(|_| unreachable!("AES-GCM-SIV refused a plaintext"));
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Opens a value sealed for `location`. Fails, naming the key id, when
    /// the key is missing or the value was altered or moved.
    pub fn decrypt(
        &self,
        sealed: &[u8],
        location: Location<'_>,
    ) -> Result<Secret<Vec<u8>>, VaultError> {
        let id = key_id_of(sealed)?;
        let header_len = 2 + id.len();
        let key = self
            .keys
            .iter()
            .find(|key| key.id == id)
            .ok_or_else(|| VaultError::UnknownKey { id: id.to_string() })?;
        let rest = &sealed[header_len..];
        if rest.len() < NONCE_LEN {
            return Err(VaultError::Malformed);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).map_err(|_| VaultError::Malformed)?;
        let aad = associated_data(&sealed[..header_len], location);
        key.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Secret::new)
            .map_err(|_| VaultError::Decrypt { id: id.to_string() })
    }

    /// Seals a JSON-serialisable value (a map of environment variables, a
    /// set of credentials).
    pub fn encrypt_json<T: Serialize>(&self, value: &T, location: Location<'_>) -> Vec<u8> {
        let json = Secret::new(serde_json::to_vec(value).unwrap_or_else(|_| {
            unreachable!("values sealed as JSON serialise infallibly (no non-string map keys)")
        }));
        self.encrypt(json.expose(), location)
    }

    /// Opens a value sealed with [`Vault::encrypt_json`]. The result is not
    /// wrapped: callers keep it in a type whose `Debug` redacts it.
    pub fn decrypt_json<T: DeserializeOwned>(
        &self,
        sealed: &[u8],
        location: Location<'_>,
    ) -> Result<T, VaultError> {
        let json = self.decrypt(sealed, location)?;
        serde_json::from_slice(json.expose()).map_err(|_| VaultError::Json)
    }

    /// Whether `sealed` was encrypted with a key other than the current
    /// one, and so needs re-encrypting by a rotation.
    pub fn needs_rotation(&self, sealed: &[u8]) -> Result<bool, VaultError> {
        Ok(key_id_of(sealed)? != self.current_key_id())
    }
}

/// The id of the key a sealed value names in its header.
pub fn key_id_of(sealed: &[u8]) -> Result<&str, VaultError> {
    let [version, id_len, rest @ ..] = sealed else {
        return Err(VaultError::Malformed);
    };
    if *version != FORMAT_VERSION || usize::from(*id_len) > rest.len() {
        return Err(VaultError::Malformed);
    }
    std::str::from_utf8(&rest[..usize::from(*id_len)]).map_err(|_| VaultError::Malformed)
}

fn validate_key_id(id: &str) -> Result<String, VaultError> {
    let valid = !id.is_empty()
        && id.len() <= MAX_KEY_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if valid {
        Ok(id.to_string())
    } else {
        Err(VaultError::InvalidKeyId(id.to_string()))
    }
}

fn header(key_id: &str) -> Vec<u8> {
    let mut header = vec![FORMAT_VERSION, key_id.len() as u8];
    header.extend_from_slice(key_id.as_bytes());
    header
}

/// The header, then each part of the location prefixed by its length, so
/// that no two different locations produce the same bytes.
fn associated_data(header: &[u8], location: Location<'_>) -> Vec<u8> {
    let mut aad = header.to_vec();
    for part in [location.table, location.column, location.row] {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

#[cfg(test)]
mod tests;
