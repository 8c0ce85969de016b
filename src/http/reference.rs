//! `GET /docs`: the API reference, Redoc rendering the OpenAPI document of `openapi.rs`. Redoc's
//! standalone bundle is vendored (vendor/redoc-VERSION/, with its licences) and embedded in the
//! binary, so the page needs no CDN and no npm at build time.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::{AppState, BASE, openapi};

/// The vendored Redoc release (vendor/redoc-VERSION/README.md says where it came from).
macro_rules! redoc_version {
    () => {
        "2.5.4"
    };
}
pub const REDOC_VERSION: &str = redoc_version!();
const REDOC_BUNDLE: &[u8] = include_bytes!(concat!(
    "../../vendor/redoc-",
    redoc_version!(),
    "/redoc.standalone.js"
));
/// Where the page is served.
pub const DOCS_PATH: &str = "/docs";
/// Where the bundle is served, under a versioned name so that browsers may keep it for good.
pub const BUNDLE_PATH: &str = concat!("/docs/redoc-", redoc_version!(), ".standalone.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(DOCS_PATH, get(page))
        .route(BUNDLE_PATH, get(bundle))
}

async fn page() -> Response {
    let document = format!("{BASE}{}", openapi::DOCUMENT_PATH);
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rolodex API reference</title>
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<noscript>This reference needs JavaScript; the OpenAPI document itself is <a href="{document}">{document}</a>.</noscript>
<redoc spec-url="{document}" hide-download-button="false"></redoc>
<script src="{BUNDLE_PATH}"></script>
</body>
</html>
"#
    );
    let mut response = Html(html).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn bundle() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            // The name carries the version: the content behind it never changes.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        REDOC_BUNDLE,
    )
        .into_response()
}
