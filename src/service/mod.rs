//! Use cases: each one parses with the domain, runs one transaction on the store, and returns the
//! domain object to render. Handlers call these and nothing else.

pub mod companies;
pub mod contacts;
pub mod custom_fields;
pub mod shipping;
pub mod tags;
pub mod tokens;

use crate::error::{AppError, AppResult};

/// Hashes a password on a blocking thread: argon2id is slow by design and must not stall the
/// async workers (nor, on SQLite, the writer that commits everyone's writes).
pub async fn hash_password(password: Option<String>) -> AppResult<Option<String>> {
    let Some(password) = password else {
        return Ok(None);
    };
    tokio::task::spawn_blocking(move || crate::domain::auth::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(format!("hashing task failed: {e}")))?
        .map(Some)
        .map_err(AppError::from)
}
