//! API tokens and portal passwords: generated, hashed and verified here; never stored in clear.

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::password_hash::{PasswordVerifier, try_generate_salt};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngExt;
use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every token starts with this, so a leaked one is recognisable (e.g. by secret scanners).
pub const TOKEN_PREFIX: &str = "rdx_";
const TOKEN_RANDOM_CHARS: usize = 40;
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A new random token (about 238 bits of entropy).
pub fn generate_token() -> String {
    // Straight from the operating system, as before; it panics only if the OS cannot give
    // randomness at all, which no request can cause.
    let mut rng = UnwrapErr(SysRng);
    let random: String = (0..TOKEN_RANDOM_CHARS)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{TOKEN_PREFIX}{random}")
}

/// A new random secret of 40 letters and digits (about 238 bits): a console session id or CSRF
/// token.
pub fn generate_secret() -> String {
    let mut rng = UnwrapErr(SysRng);
    (0..TOKEN_RANDOM_CHARS)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
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
    // 16 random bytes, as `SaltString::generate` gave before the argon2 0.6 upgrade.
    let salt_bytes = try_generate_salt().map_err(|e| err(&e))?;
    let output_len = hasher
        .params()
        .output_len()
        .unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let mut output_buffer = [0u8; Output::MAX_LENGTH];
    let output_bytes = output_buffer
        .get_mut(..output_len)
        .ok_or_else(|| HashError(format!("output length {output_len} is too long")))?;
    hasher
        .hash_password_into_with_memory(
            password.as_bytes(),
            &salt_bytes,
            output_bytes,
            &mut memory.0,
        )
        .map_err(|e| err(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(hasher.params()).map_err(|e| err(&e))?,
        salt: Some(Salt::new(&salt_bytes).map_err(|e| err(&e))?),
        hash: Some(Output::new(output_bytes).map_err(|e| err(&e))?),
    };
    Ok(phc.to_string())
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    // The parameters, salt and version come from the stored string, not from `argon2()`.
    argon2().verify_password(password.as_bytes(), phc).is_ok()
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

    /// Stored data must stay readable across dependency upgrades: a hash written by argon2 0.5
    /// (the version before issue 9) still verifies, and the token hash is still SHA-256 hex.
    #[test]
    fn stored_hashes_from_earlier_versions_still_verify() {
        let from_argon2_0_5 = "$argon2id$v=19$m=19456,t=2,p=1$FVPeqB0qo0Ucz25rvW2mTA$EZQyy/XsnLxbx84POFCU5ciYH922+y6lEo5t3n2pAKA";
        assert!(verify_password(
            "correct horse battery staple",
            from_argon2_0_5
        ));
        assert!(!verify_password("correct horse", from_argon2_0_5));
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn new_password_hashes_keep_their_format() {
        let h = hash_password("correct horse").expect("hashing works");
        let parts: Vec<&str> = h.split('$').collect();
        // "", algorithm, version, params, salt (16 bytes = 22 B64 chars), hash (32 bytes = 43).
        assert_eq!(&parts[..4], ["", "argon2id", "v=19", "m=19456,t=2,p=1"]);
        assert_eq!((parts[4].len(), parts[5].len()), (22, 43));
    }
}
