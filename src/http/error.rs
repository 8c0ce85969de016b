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
    /// The request body did not arrive within the body timeout: 408.
    #[error("request body timeout")]
    BodyTimeout,
    /// The request body could not be read (broken chunked encoding, connection lost): 400.
    #[error("unreadable request body")]
    BadBody,
    /// The handler ran longer than the request timeout: 503.
    #[error("request timeout")]
    RequestTimeout,
    /// Too many header fields or header bytes: 431.
    #[error("request header fields too large")]
    HeaderFieldsTooLarge,
    /// The request path is too long: 414.
    #[error("uri too long")]
    UriTooLong,
    /// The query string is too long: 422 on `query`.
    #[error("query string too long")]
    QueryTooLong,
    /// The query string decodes to invalid UTF-8 or a NUL byte: 400.
    #[error("query string not valid UTF-8 or contains NUL")]
    BadQueryEncoding,
    /// A fault rule of the sandbox answered instead of the handler (429, 500 or 503), with the
    /// API's own body for that status.
    #[error("injected fault {status}")]
    Injected {
        status: u16,
        retry_after: Option<u64>,
    },
    /// The token used up its requests of the current window: 429.
    #[error("too many attempts")]
    TooManyAttempts {
        limit: u32,
        /// Seconds until the window ends.
        retry_after: u64,
        /// Unix time at which the window ends.
        reset_at: u64,
    },
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    /// A path parameter that does not decode (e.g. not UTF-8) names no record. Anything else is a
    /// routing bug.
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        use axum::extract::rejection::PathRejection;
        match rejection {
            PathRejection::FailedToDeserializePathParams(_) => ApiError::App(AppError::NotFound),
            other => ApiError::App(AppError::Internal(format!("path extraction: {other}"))),
        }
    }
}

/// The query-string limit's message, also the 422's only error.
const QUERY_TOO_LONG: &str = "The query string must not be greater than 8192 characters.";
const _: () = assert!(
    super::limits::MAX_QUERY_BYTES == 8192,
    "update QUERY_TOO_LONG"
);

/// At most this many characters of an error detail go to the log: details can carry a whole SQL
/// text or request data, which must not land in logs at ERROR.
const LOG_DETAIL_MAX_CHARS: usize = 300;

/// `detail`, cut to [`LOG_DETAIL_MAX_CHARS`] characters (on a char boundary) with a
/// "… (N bytes)" suffix giving the full length, when longer.
pub(crate) fn log_detail(detail: &str) -> std::borrow::Cow<'_, str> {
    match detail.char_indices().nth(LOG_DETAIL_MAX_CHARS) {
        None => std::borrow::Cow::Borrowed(detail),
        Some((cut, _)) => {
            std::borrow::Cow::Owned(format!("{}… ({} bytes)", &detail[..cut], detail.len()))
        }
    }
}

/// `response` with `Connection: close`.
pub(super) fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
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
                tracing::error!(detail = %log_detail(&detail), "database unavailable");
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
                tracing::error!(detail = %log_detail(&detail), "request failed");
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
            ApiError::BodyTimeout => closing(message(
                StatusCode::REQUEST_TIMEOUT,
                "The request body was not received in time.",
            )),
            ApiError::BadBody => closing(message(
                StatusCode::BAD_REQUEST,
                "The request body could not be read.",
            )),
            ApiError::RequestTimeout => message(
                StatusCode::SERVICE_UNAVAILABLE,
                "The request took too long and was cancelled.",
            ),
            ApiError::HeaderFieldsTooLarge => message(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "Request Header Fields Too Large",
            ),
            ApiError::UriTooLong => message(StatusCode::URI_TOO_LONG, "URI Too Long"),
            ApiError::QueryTooLong => {
                let body =
                    json!({"message": QUERY_TOO_LONG, "errors": {"query": [QUERY_TOO_LONG]}});
                (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
            }
            ApiError::BadQueryEncoding => message(
                StatusCode::BAD_REQUEST,
                "The query string is not valid UTF-8 or contains a NUL byte.",
            ),
            ApiError::Injected {
                status,
                retry_after,
            } => {
                let mut r = match status {
                    429 => message(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts."),
                    503 => message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
                    _ => message(StatusCode::INTERNAL_SERVER_ERROR, "Server Error"),
                };
                if let Some(seconds) = retry_after {
                    r.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                }
                r
            }
            ApiError::TooManyAttempts {
                limit,
                retry_after,
                reset_at,
            } => {
                let mut r = message(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts.");
                let h = r.headers_mut();
                h.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                h.insert("x-ratelimit-limit", HeaderValue::from(limit));
                h.insert("x-ratelimit-remaining", HeaderValue::from(0u32));
                h.insert("x-ratelimit-reset", HeaderValue::from(reset_at));
                r
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_details_are_logged_whole() {
        assert_eq!(log_detail("connection refused"), "connection refused");
        let exactly = "x".repeat(LOG_DETAIL_MAX_CHARS);
        assert_eq!(log_detail(&exactly), exactly.as_str());
    }

    #[test]
    fn long_details_are_cut_with_their_length() {
        let sql = format!("SELECT {} FROM contacts", "a, ".repeat(500));
        let logged = log_detail(&sql);
        assert!(logged.starts_with("SELECT a, a, "));
        assert!(
            logged.ends_with(&format!("… ({} bytes)", sql.len())),
            "{logged}"
        );
        assert_eq!(
            logged.chars().count(),
            LOG_DETAIL_MAX_CHARS + format!("… ({} bytes)", sql.len()).chars().count()
        );
    }

    #[test]
    fn details_are_cut_on_a_char_boundary() {
        // Two-byte and four-byte characters straddling the cut must not panic or be split.
        for fill in ["é", "😀"] {
            let detail = fill.repeat(LOG_DETAIL_MAX_CHARS + 10);
            let logged = log_detail(&detail);
            let kept: String = logged.chars().take(LOG_DETAIL_MAX_CHARS).collect();
            assert_eq!(kept, fill.repeat(LOG_DETAIL_MAX_CHARS));
            assert!(logged.ends_with(&format!("… ({} bytes)", detail.len())));
        }
    }
}
