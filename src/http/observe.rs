//! What an operator sees of each request: its `X-Request-Id` and one log line at INFO.
//!
//! [`around`] is the outermost layer of the router (inside routing, so the route template is
//! known), so every answer the application gives carries the id: 401, 404, 405, 413, 429, a
//! fault, a timeout. The whole request runs in a `request` span holding the id, so every line
//! logged while handling it carries the id too. The log line names the route template (never the
//! raw path, so no ids or query values; never a body, header or token), the status, the latency,
//! the tenant and the response size.
//!
//! The API's routes sit in a nested router behind authentication, whose template the outer layer
//! does not see; the inner router's [`note_route`] and authentication leave the matched template
//! and the tenant in the response's extensions for it. A request under the API base that matched
//! no API route (refused before routing, or no such path) is logged as `/external/api/v1/*`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::auth::Grant;

/// The header carrying the request id, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// Longest request id taken from a client.
pub const MAX_REQUEST_ID: usize = 128;

/// The tracing target of the request log lines (`ROLODEX_LOG=rolodex::request=off` silences them).
pub const LOG_TARGET: &str = "rolodex::request";

/// The route template of a request that matched none (no raw paths in logs or labels).
pub const UNMATCHED: &str = "(unmatched)";

/// The template of a request under the API base that matched no API route (or was refused
/// before routing): no raw paths in the log.
const API_ANY: &str = "/external/api/v1/*";

/// The request's id, in its extensions (the journal records it).
#[derive(Debug, Clone)]
pub struct RequestId(pub HeaderValue);

impl RequestId {
    pub fn as_str(&self) -> &str {
        // Only visible ASCII gets in (see `sane`), so this never falls back.
        self.0.to_str().unwrap_or_default()
    }
}

/// The template the inner (API) router matched, passed out in the response's extensions.
#[derive(Debug, Clone)]
struct InnerRoute(MatchedPath);

/// A client's id is kept when it is 1 to 128 visible ASCII characters (no spaces, no controls).
fn sane(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_REQUEST_ID
        && bytes.iter().all(|b| (0x21..=0x7e).contains(b))
}

/// A new id: 128 random bits as 32 lowercase hex digits.
fn generate() -> HeaderValue {
    let mut hex = [0u8; 32];
    let random: u128 = rand::random();
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, slot) in hex.iter_mut().enumerate() {
        *slot = DIGITS[((random >> (4 * (31 - i))) & 0xf) as usize];
    }
    // Hex digits are always a valid header value.
    HeaderValue::from_bytes(&hex).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// The request id (the client's when sane, else a new one), the `request` span, the log line.
pub async fn around(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = match req.headers().get(REQUEST_ID) {
        Some(sent) if sane(sent) => sent.clone(),
        _ => generate(),
    };
    let method = req.method().clone();
    let outer_route = req.extensions().get::<MatchedPath>().cloned();
    let under_api = is_under_api(req.uri().path());
    req.extensions_mut().insert(RequestId(id.clone()));
    let in_flight = super::metrics::enabled().then(super::metrics::InFlight::start);
    let span = tracing::info_span!("request", request_id = %id.to_str().unwrap_or_default());
    let mut response = next.run(req).instrument(span.clone()).await;

    let inner_route = response.extensions_mut().remove::<InnerRoute>();
    let route = inner_route
        .as_ref()
        .map(|r| r.0.as_str())
        .or(outer_route.as_ref().map(|r| r.as_str()))
        .unwrap_or(if under_api { API_ANY } else { UNMATCHED });
    if in_flight.is_some() {
        super::metrics::record_request(&method, route, response.status(), started.elapsed());
    }
    drop(in_flight);
    if tracing::enabled!(target: LOG_TARGET, tracing::Level::INFO) {
        let tenant = response.extensions().get::<Grant>().map(|g| g.tenant_id);
        let bytes = http_body::Body::size_hint(response.body()).exact();
        let latency_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
        span.in_scope(|| {
            tracing::info!(
                target: LOG_TARGET,
                method = %method,
                route = %route,
                status = response.status().as_u16(),
                latency_ms,
                tenant,
                bytes,
                "request"
            );
        });
    }
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// Whether a path is under the API base (where the nested router, not this one, matches).
fn is_under_api(path: &str) -> bool {
    path.strip_prefix(super::BASE)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// On the API router's routes: passes the matched template out to [`around`].
pub async fn note_route(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(req).await;
    if let Some(route) = route {
        response.extensions_mut().insert(InnerRoute(route));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_short_visible_ascii() {
        assert!(sane(&HeaderValue::from_static("req-42")));
        assert!(sane(&HeaderValue::from_static("a")));
        assert!(sane(&HeaderValue::from_str(&"x".repeat(128)).unwrap()));
        assert!(!sane(&HeaderValue::from_str(&"x".repeat(129)).unwrap()));
        assert!(!sane(&HeaderValue::from_static("")));
        assert!(!sane(&HeaderValue::from_static("two words")));
        assert!(!sane(&HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap()));
        assert!(!sane(&HeaderValue::from_bytes(b"tab\there").unwrap()));
    }

    #[test]
    fn generated_ids_are_32_hex_digits_and_differ() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        for id in [a, b] {
            assert_eq!(id.len(), 32);
            assert!(id.as_bytes().iter().all(u8::is_ascii_hexdigit));
            assert!(sane(&id));
        }
    }

    #[test]
    fn paths_under_the_api_base_are_told_apart() {
        assert!(is_under_api("/external/api/v1"));
        assert!(is_under_api("/external/api/v1/"));
        assert!(is_under_api("/external/api/v1/contacts/1"));
        assert!(!is_under_api("/external/api/v10"));
        assert!(!is_under_api("/health"));
        assert_eq!(API_ANY, format!("{}/*", crate::http::BASE));
    }
}
