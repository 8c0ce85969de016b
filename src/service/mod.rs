//! Use cases: each one takes what the domain parsed, runs one transaction on the store, and returns the
//! domain object to render. Handlers call these and nothing else.

pub mod admin;
pub mod companies;
pub mod console;
pub mod contacts;
pub mod custom_fields;
mod passwords;
pub mod price_levels;
pub mod seed;
pub mod shipping;
pub mod tags;
pub mod tokens;
pub mod warehouses;

use crate::domain::input::Password;
use crate::error::AppResult;

/// Hashes a password on one of the hashing threads: argon2id is slow and memory-hard by design
/// and must not stall the async workers (nor hold a write transaction open: it is hashed before
/// the transaction begins). Hashes run on at most half the cores; the rest wait their turn.
pub async fn hash_password(password: &Password) -> AppResult<String> {
    passwords::hash(password.expose().to_owned()).await
}
