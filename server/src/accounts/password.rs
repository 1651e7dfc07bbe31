//! Password hashing: argon2id with OWASP's recommended cost (19 MiB of
//! memory, two passes, one lane), run off the async threads and at most a
//! few at a time.
//!
//! The cost is chosen so a hash takes tens of milliseconds here: slow for
//! an attacker with a stolen database, cheap for one sign-in. The memory
//! cost times the concurrency limit bounds what a flood of sign-in
//! attempts can make the server allocate.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// Memory cost in KiB (19 MiB).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes over the memory.
pub const ITERATIONS: u32 = 2;
/// Lanes.
pub const PARALLELISM: u32 = 1;
/// Hashes computed at the same time; further requests queue.
const CONCURRENT_HASHES: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("the hashing task failed")]
    Task(#[from] tokio::task::JoinError),
}

/// Hashes and checks passwords. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// A hash of a random password, checked when an address has no account
    /// so that the reply takes as long as for one that has.
    decoy: Arc<str>,
}

impl Passwords {
    pub fn new() -> Result<Self, PasswordError> {
        let random = crate::tokens::generate();
        let decoy = hash_now(random.plain.expose())?;
        Ok(Passwords {
            permits: Arc::new(Semaphore::new(CONCURRENT_HASHES)),
            decoy: decoy.into(),
        })
    }

    /// The PHC string of `password` with a fresh salt.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let _permit = self.permits.acquire().await;
        let password = zeroize::Zeroizing::new(password.to_string());
        tokio::task::spawn_blocking(move || hash_now(&password)).await?
    }

    /// Whether `password` matches `stored`. With no stored hash (no such
    /// account) the decoy is checked and the answer is `false`, in about
    /// the same time.
    pub async fn verify(
        &self,
        password: &str,
        stored: Option<&str>,
    ) -> Result<bool, PasswordError> {
        let _permit = self.permits.acquire().await;
        let password = zeroize::Zeroizing::new(password.to_string());
        let (stored, real) = match stored {
            Some(stored) => (stored.to_string(), true),
            None => (self.decoy.to_string(), false),
        };
        let matches = tokio::task::spawn_blocking(move || {
            let parsed =
                PasswordHash::new(&stored).map_err(|e| PasswordError::Hash(e.to_string()))?;
            Ok::<_, PasswordError>(
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok(),
            )
        })
        .await??;
        Ok(matches && real)
    }
}

fn argon2() -> Argon2<'static> {
    // The parameters are constants within argon2's accepted ranges.
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .unwrap_or_else(|error| unreachable!("argon2 parameters refused: {error}"));
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| PasswordError::Hash(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let passwords = Passwords::new().unwrap();
        let hash = passwords.hash("correct horse battery").await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            passwords
                .verify("correct horse battery", Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("correct horse battery!", Some(&hash))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn an_absent_account_never_verifies() {
        let passwords = Passwords::new().unwrap();
        assert!(!passwords.verify("anything at all", None).await.unwrap());
    }
}
