//! Bearer secrets (access tokens, and later session and invitation tokens): 256 bits from the OS
//! CSPRNG, URL-safe base64, behind a recognisable prefix so secret scanners find leaked ones. Only the
//! SHA-256 of a token is ever stored; the plain text is shown once and then forgotten.

use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// Prefix of organization access tokens.
pub const ACCESS_TOKEN_PREFIX: &str = "skp_oat_";

/// The SHA-256 digest of a token: what the database keeps and looks tokens up by.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The first bytes are enough to tell hashes apart in logs.
        write!(
            f,
            "TokenHash({:02x}{:02x}{:02x}{:02x}…)",
            self.0[0], self.0[1], self.0[2], self.0[3]
        )
    }
}

/// A freshly generated token: the secret (to show once) and its hash (to store).
#[derive(Debug)]
pub struct NewToken {
    pub secret: SecretString,
    pub hash: TokenHash,
}

/// Generates a token with `prefix` and 256 random bits.
pub fn generate(prefix: &str) -> NewToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let plain = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = TokenHash::of(&plain);
    NewToken {
        secret: SecretString::from(plain),
        hash,
    }
}

impl NewToken {
    pub fn expose(&self) -> &str {
        self.secret.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_carries_its_prefix_and_43_url_safe_characters() {
        let token = generate(ACCESS_TOKEN_PREFIX);
        let body = token.expose().strip_prefix(ACCESS_TOKEN_PREFIX).unwrap();
        assert_eq!(body.len(), 43);
        assert!(
            body.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn the_stored_hash_matches_the_token_and_only_it() {
        let token = generate(ACCESS_TOKEN_PREFIX);
        assert_eq!(TokenHash::of(token.expose()), token.hash);
        assert_ne!(TokenHash::of("skp_oat_other"), token.hash);
    }

    #[test]
    fn two_tokens_differ() {
        assert_ne!(generate("x").expose(), generate("x").expose());
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let token = generate(ACCESS_TOKEN_PREFIX);
        assert!(!format!("{token:?}").contains(token.expose()));
    }
}
