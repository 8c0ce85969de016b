//! The HTTP limits, named in one place, and the middlewares that enforce them with JSON answers.
//!
//! hyper's own limits are set above the application's, so the answers to oversized requests come
//! from here (JSON) rather than from hyper (an empty 431/414). What still gets hyper's bare answer
//! is what lies beyond its hard limits: see docs/compatibility.md.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::error::ApiError;

/// Most header fields a request may carry (431 above).
pub const MAX_HEADER_FIELDS: usize = 64;
/// Most header bytes (each field counted as `name: value\r\n`) a request may carry (431 above).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Longest request path, in bytes as sent (percent-encoded) (414 above).
pub const MAX_PATH_BYTES: usize = 8 * 1024;
/// Longest query string, in bytes as sent (422 above).
pub const MAX_QUERY_BYTES: usize = 8192;

/// hyper's header-count limit: above ours, so that we answer (in JSON) first. hyper answers an
/// empty 431 beyond it. Kept at hyper's default: above it hyper allocates the header index on the
/// heap for every request (measured: a third of the `/health` throughput with 256).
pub const HYPER_MAX_HEADERS: usize = 100;
/// hyper's read buffer, which bounds the request head: above [`MAX_HEADER_BYTES`] +
/// [`MAX_PATH_BYTES`] + [`MAX_QUERY_BYTES`]. hyper answers an empty 431 beyond it.
pub const HYPER_MAX_BUF_SIZE: usize = 256 * 1024;
/// hyper's fixed URI limit (not configurable): an empty 414 beyond it.
pub const HYPER_MAX_URI_BYTES: usize = 65534;

/// Defaults of the `serve` flags, in seconds (documented in README.md).
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;
pub const DEFAULT_BODY_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 60;
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_SHUTDOWN_TIMEOUT_SECS: u64 = 10;
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default of `--body-limit`: the largest accepted request body, in bytes.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Time limits the request path enforces (the connection-level ones live in `server`).
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeouts {
    /// Reading the whole request body (408 above).
    pub body: Duration,
    /// Running the handler, once the body is in (503 above).
    pub handler: Duration,
}

impl Default for RequestTimeouts {
    fn default() -> Self {
        RequestTimeouts {
            body: Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECS),
            handler: Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECS),
        }
    }
}

/// An error answer after which the connection must not be reused: the request body was not
/// (fully) read, so the rest of it would be taken for the next request.
fn closing(error: ApiError) -> Response {
    super::error::closing(error.into_response())
}

/// Header bytes as they were (about) on the wire: `name: value\r\n` per field.
fn header_bytes(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum()
}

/// What [`guard`] needs: small and `Copy`, so the per-request clone axum makes is free.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    pub body_limit: usize,
    pub timeouts: RequestTimeouts,
}

/// Every request limit, as one middleware (one layer costs one clone of the inner service per
/// request; nesting four cost half the /health throughput), in this order:
/// 1. the head limits: header fields and bytes (431), path (414) and query string (422) length,
///    before the body is read, so these answers close the connection;
/// 2. the whole body is read ([`buffer_body`]);
/// 3. a path that does not decode to clean UTF-8 is a 404 ([`path_is_clean`]);
/// 4. the rest runs within the handler's time budget (503 past it). The body is already in, so
///    this measures the work alone; a cancelled request may still have committed a write that
///    was already on its way.
pub async fn guard(State(limits): State<RequestLimits>, req: Request, next: Next) -> Response {
    if let Some(error) = head_error(&req) {
        return closing(error);
    }
    let req = match buffer_body(&limits, req).await {
        Ok(req) => req,
        Err(response) => return response,
    };
    if !path_is_clean(req.uri().path()) {
        return ApiError::App(crate::error::AppError::NotFound).into_response();
    }
    match tokio::time::timeout(limits.timeouts.handler, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("request cancelled after the request timeout");
            ApiError::RequestTimeout.into_response()
        }
    }
}

fn head_error(req: &Request) -> Option<ApiError> {
    let headers = req.headers();
    if headers.len() > MAX_HEADER_FIELDS || header_bytes(headers) > MAX_HEADER_BYTES {
        return Some(ApiError::HeaderFieldsTooLarge);
    }
    if req.uri().path().len() > MAX_PATH_BYTES {
        return Some(ApiError::UriTooLong);
    }
    if req.uri().query().is_some_and(|q| q.len() > MAX_QUERY_BYTES) {
        return Some(ApiError::QueryTooLong);
    }
    None
}

/// Reads the whole request body (up to the body limit, within the body timeout) before anything
/// else answers, and hands the rest of the stack a buffered body. So no answer (401, 404, 415...)
/// ever leaves part of a body unread on a keep-alive connection, where it would be taken for the
/// start of the next request (or make hyper drop the connection under a pooled client).
async fn buffer_body(limits: &RequestLimits, req: Request) -> Result<Request, Response> {
    // Most requests (GETs) have no body at all: nothing to read.
    if http_body::Body::size_hint(req.body()).exact() == Some(0) {
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    let read = Limited::new(body, limits.body_limit).collect();
    let bytes = match tokio::time::timeout(limits.timeouts.body, read).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(closing(ApiError::PayloadTooLarge));
        }
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "request body could not be read");
            return Err(closing(ApiError::BadBody));
        }
        Err(_) => return Err(closing(ApiError::BodyTimeout)),
    };
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// A path whose percent-decoded segments are not UTF-8 or hold a NUL names nothing: 404, before
/// routing, so no extractor (nor the database) ever sees such a segment.
fn path_is_clean(path: &str) -> bool {
    // The path is ASCII as sent; only percent-escapes can decode to NUL or invalid UTF-8.
    if !path.contains('%') {
        return true;
    }
    path.split('/').all(|segment| {
        let decoded: Vec<u8> = percent_encoding::percent_decode_str(segment).collect();
        !decoded.contains(&0) && std::str::from_utf8(&decoded).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderValue, header};

    #[test]
    fn paths_with_nul_or_invalid_utf8_are_not_clean() {
        assert!(path_is_clean("/external/api/v1/contacts/1"));
        assert!(path_is_clean("/external/api/v1/contacts/1/tags/caf%C3%A9"));
        assert!(path_is_clean("/a/100%25/b%"));
        assert!(!path_is_clean("/external/api/v1/contacts/%FF"));
        assert!(!path_is_clean("/external/api/v1/contacts/1/tags/a%00b"));
        assert!(!path_is_clean("/x/%c3"));
    }

    #[test]
    fn head_limits_count_fields_and_bytes() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("x"));
        assert_eq!(header_bytes(&h), 4 + 1 + 4);
    }
}
