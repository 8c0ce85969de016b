//! Cross-origin requests (CORS): off unless `--cors-origin` names the browser origins allowed to
//! call the API (`*` for any). tower-http's `CorsLayer` answers the preflights and adds the
//! headers; [`Cors`] hands it only real preflights, so a plain `OPTIONS` (no `Origin` and
//! `Access-Control-Request-Method`) still gets the router's 405 with `Allow`.
//!
//! Credentials are never allowed: the API authenticates with a bearer token the page sends itself,
//! and the console's session cookie must not be usable from another origin.

use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, header};
use tower::{Layer, Service};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may cache a preflight's answer (Chromium caps it at 2 h).
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// Request headers a client of the API sends.
const ALLOWED_HEADERS: [HeaderName; 4] = [
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::ACCEPT,
    HeaderName::from_static("x-request-id"),
];

/// Response headers a page may read, beyond the CORS-safelisted ones.
const EXPOSED_HEADERS: [HeaderName; 6] = [
    HeaderName::from_static("x-request-id"),
    header::RETRY_AFTER,
    header::LOCATION,
    HeaderName::from_static("x-ratelimit-limit"),
    HeaderName::from_static("x-ratelimit-remaining"),
    HeaderName::from_static("x-ratelimit-reset"),
];

/// The methods the API serves.
const ALLOWED_METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// One `--cors-origin` value: `*` or a browser origin `scheme://host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigin {
    Any,
    Exact(HeaderValue),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "{0:?} is not an origin: expected `*` or http(s)://host[:port], without a path (e.g. https://app.example.com)"
)]
pub struct BadOrigin(String);

impl std::str::FromStr for CorsOrigin {
    type Err = BadOrigin;

    fn from_str(text: &str) -> Result<Self, BadOrigin> {
        let text = text.trim();
        if text == "*" {
            return Ok(CorsOrigin::Any);
        }
        let bad = || BadOrigin(text.to_owned());
        // A browser sends the origin serialised: lower-case scheme, no path, no trailing slash.
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .ok_or_else(bad)?;
        let valid_host = !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        if !valid_host {
            return Err(bad());
        }
        HeaderValue::from_str(text)
            .map(CorsOrigin::Exact)
            .map_err(|_| bad())
    }
}

/// The `CorsLayer` for these origins; `None` (CORS off) for none.
pub fn layer(origins: &[CorsOrigin]) -> Option<CorsOnPreflight> {
    if origins.is_empty() {
        return None;
    }
    let allow_origin = if origins.contains(&CorsOrigin::Any) {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| match o {
            CorsOrigin::Exact(value) => Some(value.clone()),
            CorsOrigin::Any => None,
        }))
    };
    Some(CorsOnPreflight(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods(ALLOWED_METHODS)
            .allow_headers(ALLOWED_HEADERS)
            .expose_headers(EXPOSED_HEADERS)
            .max_age(PREFLIGHT_MAX_AGE),
    ))
}

/// `CorsLayer`, but a plain `OPTIONS` goes to the router untouched.
#[derive(Clone)]
pub struct CorsOnPreflight(CorsLayer);

impl<S: Clone> Layer<S> for CorsOnPreflight {
    type Service = Cors<S>;

    fn layer(&self, inner: S) -> Cors<S> {
        Cors {
            cors: self.0.layer(inner.clone()),
            plain: inner,
        }
    }
}

#[derive(Clone)]
pub struct Cors<S> {
    cors: tower_http::cors::Cors<S>,
    plain: S,
}

/// `OPTIONS` with `Origin` and `Access-Control-Request-Method`: what a browser sends before a
/// cross-origin request it may not make unasked.
fn is_preflight(request: &Request) -> bool {
    request.method() == Method::OPTIONS
        && request.headers().contains_key(header::ORIGIN)
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

impl<S> Service<Request> for Cors<S>
where
    S: Service<Request, Response = axum::response::Response> + Clone,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = axum::response::Response;
    type Error = S::Error;
    type Future =
        futures::future::Either<<tower_http::cors::Cors<S> as Service<Request>>::Future, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Both are clones of one router service, which is always ready.
        match self.cors.poll_ready(cx) {
            Poll::Ready(Ok(())) => self.plain.poll_ready(cx),
            other => other,
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if request.method() == Method::OPTIONS && !is_preflight(&request) {
            futures::future::Either::Right(self.plain.call(request))
        } else {
            futures::future::Either::Left(self.cors.call(request))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_as_browsers_send_them() {
        assert_eq!("*".parse::<CorsOrigin>(), Ok(CorsOrigin::Any));
        for good in [
            "https://app.example.com",
            "http://localhost:3000",
            "http://[::1]:8080",
        ] {
            assert_eq!(
                good.parse::<CorsOrigin>(),
                Ok(CorsOrigin::Exact(HeaderValue::from_static(good)))
            );
        }
        for bad in [
            "",
            "app.example.com",
            "https://",
            "https://app.example.com/",
            "https://app.example.com/path",
            "ftp://app.example.com",
            "https://app.example.com?x=1",
        ] {
            assert!(bad.parse::<CorsOrigin>().is_err(), "{bad:?} accepted");
        }
    }
}
