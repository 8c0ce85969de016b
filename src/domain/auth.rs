//! API tokens and portal passwords: generated, hashed and verified here; never stored in clear.

use argon2::password_hash::{PasswordHash, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every token starts with this, so a leaked one is recognisable (e.g. by secret scanners).
pub const TOKEN_PREFIX: &str = "rdx_";
const TOKEN_RANDOM_CHARS: usize = 40;
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A new random token (about 238 bits of entropy).
pub fn generate_token() -> String {
    let mut rng = rand::rngs::OsRng;
    let random: String = (0..TOKEN_RANDOM_CHARS)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{TOKEN_PREFIX}{random}")
}

/// The stored form of a token: SHA-256, hex. A fast hash is right here: tokens are long and random,
/// so there is nothing to brute-force, and every request verifies one.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two token hashes in constant time.
pub fn hashes_match(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The characters shown in `tokens list`, enough to tell tokens apart, useless to an attacker.
pub fn token_display_prefix(token: &str) -> String {
    token.chars().take(TOKEN_PREFIX.len() + 4).collect()
}

/// True when `token` has the shape of one of ours (cheap rejection before any lookup).
pub fn looks_like_token(token: &str) -> bool {
    token.len() <= 200 && !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic())
}

fn argon2() -> Argon2<'static> {
    // OWASP's minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// An argon2id PHC string with a fresh random salt. Slow on purpose: call off the async threads.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    hash_password_in(password, &mut HashMemory::new())
}

/// The working memory of one argon2id hash (19 MiB), kept and reused by a hashing thread so that
/// a burst of hashes does not leave freed arenas behind.
pub struct HashMemory(Vec<argon2::Block>);

impl HashMemory {
    pub fn new() -> Self {
        Self(vec![
            argon2::Block::default();
            argon2().params().block_count()
        ])
    }
}

impl Default for HashMemory {
    fn default() -> Self {
        Self::new()
    }
}

/// [`hash_password`] in memory the caller keeps.
pub fn hash_password_in(password: &str, memory: &mut HashMemory) -> Result<String, HashError> {
    let err = |e: &dyn std::fmt::Display| HashError(e.to_string());
    let hasher = argon2();
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| err(&e))?;
    let output_len = hasher
        .params()
        .output_len()
        .unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = argon2::password_hash::Output::init_with(output_len, |out| {
        hasher
            .hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, &mut memory.0)
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(|e| err(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: argon2::password_hash::ParamsString::try_from(hasher.params())
            .map_err(|e| err(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_prefixed() {
        let a = generate_token();
        let b = generate_token();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + TOKEN_RANDOM_CHARS);
        assert!(hashes_match(&hash_token(&a), &hash_token(&a)));
        assert!(!hashes_match(&hash_token(&a), &hash_token(&b)));
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse").expect("hashing works");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
    }
}
