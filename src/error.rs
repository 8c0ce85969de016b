//! The one error type of the request path. `http::error` maps it to responses.

use crate::domain::ValidationErrors;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 422 with every error of the request.
    #[error("{0}")]
    Validation(#[from] ValidationErrors),
    /// 404: no such record in the caller's tenant.
    #[error("not found")]
    NotFound,
    /// 409: the request conflicts with the data.
    #[error("{0}")]
    Conflict(String),
    /// The database is unreachable or timed out: 503.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The work ran past its time budget and was cancelled: 503.
    #[error("over the time budget")]
    TimedOut,
    /// Anything else: 500, details logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            // The detail is logged (never sent): the reason and what caused it.
            StoreError::Unavailable { reason, source } => AppError::Unavailable(match source {
                Some(cause) => format!("{reason}: {cause}"),
                None => reason,
            }),
            StoreError::Timeout => AppError::TimedOut,
            // The record the write hangs off (the company of an address, the record of a tag) was
            // deleted meanwhile. Where the vanished row is one the body named, the service maps
            // this itself, to a 422 on that field.
            StoreError::ForeignKeyViolation { .. } => AppError::NotFound,
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<crate::domain::auth::HashError> for AppError {
    fn from(e: crate::domain::auth::HashError) -> Self {
        AppError::Internal(e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_map_to_statuses() {
        assert!(matches!(
            AppError::from(StoreError::ForeignKeyViolation { constraint: None }),
            AppError::NotFound
        ));
        assert!(matches!(
            AppError::from(StoreError::unavailable("down")),
            AppError::Unavailable(_)
        ));
        assert!(matches!(
            AppError::from(StoreError::UniqueViolation { constraint: None }),
            AppError::Internal(_)
        ));
    }
}
