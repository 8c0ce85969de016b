//! The one mapping from errors to HTTP responses. Every error body has a `message`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::error::AppError;

/// Errors a handler can answer with: the application's, plus those of HTTP itself.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("malformed JSON: {0}")]
    BadJson(String),
    #[error("unauthenticated")]
    Unauthenticated,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    PayloadTooLarge,
}

impl From<crate::domain::ValidationErrors> for ApiError {
    fn from(e: crate::domain::ValidationErrors) -> Self {
        ApiError::App(AppError::Validation(e))
    }
}

fn message(status: StatusCode, text: &str) -> Response {
    (status, axum::Json(json!({ "message": text }))).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::App(AppError::Validation(errors)) => {
                let mut fields = Map::new();
                for (path, messages) in errors.entries() {
                    fields.insert(path.clone(), Value::from(messages.clone()));
                }
                let body = json!({ "message": errors.summary(), "errors": fields });
                (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
            }
            ApiError::App(AppError::NotFound) => message(StatusCode::NOT_FOUND, "Not found."),
            ApiError::App(AppError::Conflict(text)) => message(StatusCode::CONFLICT, &text),
            ApiError::App(AppError::Unavailable(detail)) => {
                tracing::error!(%detail, "database unavailable");
                let mut r = message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable");
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                r
            }
            ApiError::App(AppError::TimedOut) => {
                tracing::warn!("a request ran past the database time budget and was cancelled");
                message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The request took too long and was cancelled.",
                )
            }
            ApiError::App(AppError::Internal(detail)) => {
                tracing::error!(%detail, "request failed");
                message(StatusCode::INTERNAL_SERVER_ERROR, "Server Error")
            }
            ApiError::BadJson(detail) => message(
                StatusCode::BAD_REQUEST,
                &format!("The request body is not a valid JSON object: {detail}"),
            ),
            ApiError::Unauthenticated => {
                let mut r = message(StatusCode::UNAUTHORIZED, "Unauthenticated.");
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
            ApiError::UnsupportedMediaType => message(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "The request body must be JSON (Content-Type: application/json).",
            ),
            ApiError::PayloadTooLarge => message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large.",
            ),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
