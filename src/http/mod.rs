//! HTTP: routing, extractors, JSON shapes and the error mapping. Handlers parse, call a use case
//! in `service`, and render.

pub mod admin;
pub mod auth;
pub mod companies;
pub mod console;
pub mod contacts;
pub mod cors;
pub mod custom_fields;
pub mod error;
pub mod extract;
pub mod faults;
pub mod journal;
pub mod limits;
pub mod metrics;
pub mod observe;
pub mod openapi;
pub mod price_levels;
pub mod rate_limit;
pub mod reference;
mod sandbox;
pub mod server;
pub mod tags;
pub mod tls;
pub mod warehouses;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::normalize_path::NormalizePath;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::domain::admin::AdminKey;
use crate::service::tokens::TokenChecker;
use crate::store::Database;

/// The base path of the Luminous external API.
pub const BASE: &str = "/external/api/v1";

/// What handlers and middleware share. axum clones the state for every request and layer, so it
/// is one reference-counted pointer.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub db: Database,
    pub tokens: TokenChecker,
    /// Largest accepted request body (413 above), body read and handler time limits (408 / 503
    /// above).
    pub limits: limits::RequestLimits,
    /// Requests per minute per token; `None` when off.
    pub rate_limiter: Option<Arc<rate_limit::RateLimiter>>,
    /// The admin API's key; `None`: no admin API (404).
    pub admin: Option<AdminKey>,
    /// The request journal (off with capacity 0).
    pub journal: journal::Journal,
    /// The fault rules of every tenant.
    pub faults: faults::Faults,
    /// The console's cookies are `Secure` (served over TLS).
    pub secure_cookies: bool,
    /// Browser origins allowed to call the API (`--cors-origin`); empty: CORS off.
    pub cors_origins: Vec<cors::CorsOrigin>,
}

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl Shared {
    /// The default limits and no rate limit.
    pub fn new(db: Database, body_limit: usize) -> Shared {
        Shared {
            db,
            tokens: TokenChecker::default(),
            limits: limits::RequestLimits {
                body_limit,
                timeouts: limits::RequestTimeouts::default(),
            },
            rate_limiter: None,
            admin: None,
            journal: journal::Journal::new(0),
            faults: faults::Faults::default(),
            secure_cookies: false,
            cors_origins: Vec::new(),
        }
    }
}

/// How to serve: every `rolodex serve` flag about HTTP, with the same defaults. The binary and the
/// in-process test servers both start from this, so a test configures exactly what a flag would.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Largest accepted request body, in bytes (413 above).
    pub body_limit: usize,
    /// Body read and handler time limits (408 / 503 above).
    pub timeouts: limits::RequestTimeouts,
    /// Connection-level limits: head and idle timeouts, the connection cap, the shutdown deadline.
    pub server: server::ServerConfig,
    /// Requests per minute per API token (429 above); 0 turns the limit off.
    pub rate_limit: u32,
    /// HTTPS with this certificate and key (`--tls-cert`, `--tls-key`); plain HTTP when `None`.
    pub tls: Option<tls::TlsConfig>,
    /// The admin API's key (`--admin-token`); `None`: no admin API.
    pub admin: Option<AdminKey>,
    /// Exchanges the journal keeps per tenant (`--journal`); 0: off.
    pub journal: usize,
    /// Browser origins allowed to call the API (`--cors-origin`); empty: CORS off.
    pub cors_origins: Vec<cors::CorsOrigin>,
    /// How often the contacts written since are indexed for search (SQLite,
    /// `--search-index-interval-ms`); `None`: never.
    pub search_index_interval: Option<std::time::Duration>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            body_limit: limits::DEFAULT_BODY_LIMIT,
            timeouts: limits::RequestTimeouts::default(),
            server: server::ServerConfig::default(),
            rate_limit: 0,
            tls: None,
            admin: None,
            journal: 0,
            cors_origins: Vec::new(),
            search_index_interval: Some(crate::service::contacts::INDEX_INTERVAL),
        }
    }
}

/// Serves the API on `listener` from `db` until `shutdown` resolves (then drains, see
/// [`server::serve`]). The one start-up path: `rolodex serve` and the tests both call it.
pub async fn serve(
    listener: TcpListener,
    db: Database,
    options: &ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut shared = Shared::new(db, options.body_limit);
    shared.limits.timeouts = options.timeouts;
    shared.rate_limiter = (options.rate_limit > 0)
        .then(|| Arc::new(rate_limit::RateLimiter::new(options.rate_limit)));
    shared.admin = options.admin;
    shared.journal = journal::Journal::new(options.journal);
    shared.secure_cookies = options.tls.is_some();
    shared.cors_origins = options.cors_origins.clone();
    // Upkeep beside the requests, stopped with the server.
    let _stop_indexer = options.search_index_interval.map(|every| {
        AbortOnDrop(tokio::spawn(crate::service::contacts::keep_search_index(
            shared.db.clone(),
            every,
        )))
    });
    let app = router(AppState::new(shared));
    server::serve(
        listener,
        app,
        options.server,
        options.tls.as_ref(),
        shutdown,
    )
    .await
}

/// Aborts a background task when dropped (the server stopped, or its future was dropped).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The tenant API's routes, each registered with its operation in the OpenAPI document (see
/// [`openapi`]): a route cannot be served without being documented.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(contacts::routes())
        .merge(companies::routes())
        .merge(tags::routes())
        .merge(custom_fields::routes())
        .merge(warehouses::routes())
        .merge(price_levels::routes())
}

/// The tenant API's OpenAPI document as served at `{BASE}/openapi.json` (and committed as
/// `docs/openapi.json`): pretty JSON with a final newline.
pub fn api_document_json() -> Result<String, serde_json::Error> {
    openapi_json(api_routes().into_openapi())
}

fn openapi_json(routes_doc: utoipa::openapi::OpenApi) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(&openapi::document(routes_doc))?;
    text.push('\n');
    Ok(text)
}

/// Serves the OpenAPI document, rendered once at start-up.
fn document_route(routes_doc: utoipa::openapi::OpenApi) -> axum::routing::MethodRouter<AppState> {
    let document = openapi_json(routes_doc)
        .map(axum::body::Bytes::from)
        .map_err(|e| e.to_string());
    get(move || {
        let document = document.clone();
        async move {
            match document {
                Ok(bytes) => (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    )],
                    bytes,
                )
                    .into_response(),
                Err(e) => error::ApiError::App(crate::error::AppError::Internal(format!(
                    "OpenAPI document: {e}"
                )))
                .into_response(),
            }
        }
    })
}

/// The whole application, ready to serve.
pub fn router(state: AppState) -> Router {
    // Authentication comes first under the API base, as on Laravel's `auth:api` group: it wraps
    // the API's whole router, so it runs before routing there and an unknown path is 401 without
    // a valid token and 404 with one (a wrong method: 401, then 405 with `Allow`). Inside it, as
    // route layers (only requests that reach an API route): the rate limit, then the sandbox.
    let (mut api, routes_doc) = api_routes().split_for_parts();
    // Fault rules and the journal, inside authentication; only where they can be used.
    if state.admin.is_some() || state.journal.enabled() {
        api = api.route_layer(from_fn_with_state(state.clone(), sandbox::around));
    }
    let api = api
        .route_layer(from_fn_with_state(state.clone(), auth::rate_limit))
        .route_layer(axum::middleware::from_fn(observe::note_route))
        .fallback(not_found)
        .with_state(state.clone());
    let api = from_fn_with_state(state.clone(), auth::authenticate).layer(api);
    // Layers run outside in, i.e. bottom to top here (all after routing, so the route template is
    // known): the request id and log line (`observe`), then every request limit (see
    // `limits::guard`).
    // The OpenAPI document needs no token: it is mounted beside the authenticated API, not in it.
    let mut app = Router::new()
        .route(
            &format!("{BASE}{}", openapi::DOCUMENT_PATH),
            document_route(routes_doc),
        )
        .merge(reference::routes())
        .route("/health", get(health))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        // The web console, outside the API's token authentication: it signs in with a session.
        .nest(console::PREFIX, console::routes(state.clone()))
        .nest_service(BASE, api);
    if state.admin.is_some() {
        app = app.nest(
            admin::ADMIN_BASE,
            admin::routes().route_layer(from_fn_with_state(state.clone(), admin::authenticate)),
        );
    }
    let cors = cors::layer(&state.cors_origins);
    let app = app
        .fallback(not_found)
        .layer(axum::middleware::map_response(json_method_not_allowed))
        .layer(from_fn_with_state(state.limits, limits::guard))
        .layer(tower::util::option_layer(cors))
        .layer(axum::middleware::from_fn(observe::around))
        // Outside the log, which counts the body's bytes before compression.
        .layer(compression())
        .with_state(state);
    // `GET /contacts/` is `GET /contacts`, as on Laravel. Before routing, so the router above
    // sees the trimmed path: a router's own layers run after it has matched a route.
    Router::new().fallback_service(NormalizePath::trim_trailing_slash(app))
}

/// Responses of at least this many bytes are compressed when the client accepts gzip or br;
/// below, the framing costs more than it saves.
pub const COMPRESSION_MIN_BYTES: u16 = 1024;

/// gzip or br, as the request's `Accept-Encoding` prefers, at level 4: most of the size saving
/// for a fraction of the default levels' CPU (brotli's default is its slowest, 11).
fn compression() -> CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{NotForContentType, Predicate as _, SizeAbove};
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(4))
        .compress_when(
            SizeAbove::new(COMPRESSION_MIN_BYTES)
                .and(NotForContentType::GRPC)
                .and(NotForContentType::IMAGES)
                .and(NotForContentType::SSE),
        )
}

async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, axum::Json(json!({"status": "ok"}))).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(
                    json!({"status": "unavailable", "message": "The database is unreachable."}),
                ),
            )
                .into_response()
        }
    }
}

/// Liveness: the process accepts and answers requests. No database round trip, so a database
/// outage does not get a healthy process restarted.
async fn live() -> Response {
    (StatusCode::OK, axum::Json(json!({"status": "ok"}))).into_response()
}

/// Readiness: the database answers and carries every migration this binary embeds. The reason
/// is the store's fixed wording, never the backend's message (which may name a host or a user).
async fn ready(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match state.db.ready().await {
        Ok(()) => (StatusCode::OK, axum::Json(json!({"status": "ready"}))).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({"status": "unavailable", "reason": e.readiness_reason()})),
            )
                .into_response()
        }
    }
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"message": "Not found."})),
    )
        .into_response()
}

/// axum answers a wrong method with an empty 405 and an `Allow` header; give it the JSON body
/// every error has.
async fn json_method_not_allowed(method: Method, response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = json!({"message": format!("The {method} method is not supported for this route.")});
    Response::from_parts(parts, Body::from(body.to_string()))
}

/// `{"data": ...}` with a status.
pub fn data<T: serde::Serialize>(status: StatusCode, value: T) -> Response {
    (status, axum::Json(One { data: value })).into_response()
}

/// A record without an envelope, for the few endpoints the reference documents that way
/// (`GET /price-levels/{id}`).
pub fn bare<T: serde::Serialize>(status: StatusCode, value: T) -> Response {
    (status, axum::Json(value)).into_response()
}

/// The envelopes, serialised straight from the domain objects (no intermediate `Value` tree).
#[derive(serde::Serialize)]
struct One<T> {
    data: T,
}

#[derive(serde::Serialize)]
struct Paged<T> {
    data: Vec<T>,
    meta: serde_json::Value,
}

/// A paged list: `{"data": [...], "meta": {...}}`.
pub fn page<T: serde::Serialize>(items: Vec<T>, page: crate::query::Page, total: u64) -> Response {
    axum::Json(Paged {
        data: items,
        meta: page.meta(total),
    })
    .into_response()
}
