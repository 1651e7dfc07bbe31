//! Random tokens for links in mail and for sessions, and the one-way hash
//! under which they are stored.
//!
//! A token is 32 random bytes as URL-safe base64 (43 characters). Only its
//! SHA-256 reaches the token and session tables. (The local mailbox, used
//! when no SMTP server is configured, keeps whole mails, links included:
//! it is a development convenience, not for production.) SHA-256 without salt is enough here
//! because the tokens are random, not chosen by people.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::vault::Secret;

/// A freshly generated token: the value to hand out, and its hash to keep.
#[derive(Debug)]
pub struct NewToken {
    pub plain: Secret<String>,
    pub hash: String,
}

/// 32 bytes from the operating system's generator.
pub fn generate() -> NewToken {
    let mut bytes = [0u8; 32];
    // The OS generator failing means the machine cannot do cryptography at
    // all; nothing sensible can continue.
    getrandom::fill(&mut bytes).unwrap_or_else(|error| panic!("no OS randomness: {error}"));
    let plain = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&plain);
    NewToken {
        plain: Secret::new(plain),
        hash,
    }
}

/// The stored form of a token: its SHA-256 as URL-safe base64.
pub fn hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hash_to_what_is_stored() {
        let a = generate();
        let b = generate();
        assert_ne!(a.plain.expose(), b.plain.expose());
        assert_eq!(a.plain.expose().len(), 43);
        assert_eq!(hash(a.plain.expose()), a.hash);
        assert_ne!(a.hash, *a.plain.expose());
    }
}
