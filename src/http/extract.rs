//! Extractors that speak the contract: the caller's tenant, record ids, path parameters, JSON
//! object bodies and list query strings. Their rejections are [`ApiError`]s, so every failure has
//! the JSON shape.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

use super::AppState;
use super::error::ApiError;

/// The `<slug>` of a `Host: <slug>.api.<anything>` header, if it has that form.
pub(super) fn host_slug(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let mut parts = host.splitn(3, '.');
    let slug = parts.next()?;
    let api = parts.next()?;
    let rest = parts.next()?;
    (api.eq_ignore_ascii_case("api") && !slug.is_empty() && !rest.is_empty())
        .then(|| slug.to_ascii_lowercase())
}

pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// axum's `Path`, answering in JSON: a parameter that does not decode is a 404 (see
/// `From<PathRejection> for ApiError`), never axum's plain-text 400.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// Parses a record id from the path: a positive 64-bit integer, anything else is a 404.
pub fn record_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0 && raw.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(ApiError::App(crate::error::AppError::NotFound))
}

/// A request body that must be a JSON object (400 otherwise; 415 for a non-JSON content type;
/// 413 above the configured size). The body was already read by `limits::buffer_body`, so this
/// only takes the buffered bytes.
pub struct JsonObject(pub Map<String, Value>);

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return true; // absent: accepted, the body is read as JSON
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let mime = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime.is_empty()
        || mime == "application/json"
        || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl FromRequest<AppState> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let body = axum::body::to_bytes(req.into_body(), state.limits.body_limit)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        if body.len() <= INLINE_PARSE_BYTES {
            return parse_object(&body).map(JsonObject);
        }
        parse_large(body).await.map(JsonObject)
    }
}

/// Bodies up to this size are parsed on the async worker (microseconds). Larger ones, up to the
/// body limit, take milliseconds each: parsed on a blocking thread, at most one per two cores at
/// a time, so a tenant sending many large bodies cannot occupy the workers every other request
/// needs.
const INLINE_PARSE_BYTES: usize = 32 * 1024;

async fn parse_large(body: Bytes) -> Result<Map<String, Value>, ApiError> {
    static LARGE_PARSES: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let permits = LARGE_PARSES.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::sync::Semaphore::new((cores / 2).max(1))
    });
    // The semaphore is never closed, so this cannot fail.
    let _permit = permits.acquire().await.ok();
    tokio::task::spawn_blocking(move || parse_object(&body))
        .await
        .map_err(|e| ApiError::App(crate::error::AppError::Internal(format!("parse task: {e}"))))?
}

fn parse_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        // An empty body is an empty object: `POST /contacts/{id}` with nothing to change.
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::BadJson("expected an object".into())),
        Err(e) => Err(ApiError::BadJson(e.to_string())),
    }
}

/// The decoded query-string pairs, in order, for the query language. A name or value that does
/// not decode to UTF-8, or holds a NUL, is a 400 (never replaced or passed to the database).
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or("")).map(QueryPairs)
    }
}

/// `application/x-www-form-urlencoded` decoding (as `url::form_urlencoded`), but strict about
/// the bytes it yields.
fn parse_query(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    let decode = |raw: &str| {
        // `+` is a space in a query string (form encoding); then percent-decoding.
        let spaced = raw.replace('+', " ");
        let bytes: Vec<u8> = percent_encoding::percent_decode_str(&spaced).collect();
        if bytes.contains(&0) {
            return Err(ApiError::BadQueryEncoding);
        }
        String::from_utf8(bytes).map_err(|_| ApiError::BadQueryEncoding)
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::HOST,
            HeaderValue::from_str(host).expect("valid header"),
        );
        h
    }

    #[test]
    fn host_slug_only_for_the_api_form() {
        assert_eq!(
            host_slug(&headers("acme.api.joinluminous.com")).as_deref(),
            Some("acme")
        );
        assert_eq!(
            host_slug(&headers("acme.api.example.com:8080")).as_deref(),
            Some("acme")
        );
        assert_eq!(host_slug(&headers("localhost:8080")), None);
        assert_eq!(host_slug(&headers("127.0.0.1")), None);
        assert_eq!(host_slug(&headers("contacts.example.com")), None);
    }

    #[test]
    fn ids_must_be_positive_integers() {
        assert_eq!(record_id("42").ok(), Some(42));
        for bad in ["0", "-1", "abc", "+5", "99999999999999999999", ""] {
            assert!(record_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn query_strings_decode_like_forms_but_strictly() {
        let pairs = parse_query("a=1&b=x+y%20z&&c&sort=name:asc&f%5Bx%5D=%C3%A9").unwrap();
        let want = [
            ("a", "1"),
            ("b", "x y z"),
            ("c", ""),
            ("sort", "name:asc"),
            ("f[x]", "é"),
        ];
        assert_eq!(
            pairs,
            want.map(|(k, v)| (k.to_owned(), v.to_owned())).to_vec()
        );
        for bad in ["a=%FF", "a%00=1", "a=x%00y", "%C3=1"] {
            assert!(
                matches!(parse_query(bad), Err(ApiError::BadQueryEncoding)),
                "{bad}"
            );
        }
    }

    #[test]
    fn bodies_must_be_objects() {
        assert!(parse_object(&Bytes::from_static(b"{\"a\":1}")).is_ok());
        assert!(parse_object(&Bytes::from_static(b"  ")).is_ok());
        assert!(parse_object(&Bytes::from_static(b"[1]")).is_err());
        assert!(parse_object(&Bytes::from_static(b"\"x\"")).is_err());
        assert!(parse_object(&Bytes::from_static(b"{oops")).is_err());
    }
}
