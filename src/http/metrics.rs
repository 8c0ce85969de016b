//! Prometheus metrics (`serve --metrics-listen ADDR`): the `metrics` facade records, the
//! Prometheus exporter's recorder keeps them, and `GET /metrics` on a listener of its own (the same
//! serve loop, limits and timeouts as the API) renders the text exposition format.
//!
//! Off (no listener given), no recorder is installed: every `metrics::` call in the code is a
//! no-op, and the request path skips building labels at all ([`enabled`]).
//!
//! What is recorded where: requests, latency and in-flight requests in `observe`; rate-limited
//! requests in `auth`; SQLite writer batches and commits and reader waits, and PostgreSQL pool
//! waits, in the store (pool and queue sizes are read when scraped); password hashes in progress
//! in `service::passwords`.

use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use super::server::{self, ServerConfig};
use crate::store::Database;

/// Requests answered, by `method`, `route` (template) and `status`.
pub const REQUESTS: &str = "rolodex_http_requests_total";
/// Seconds from the request head to the answer, by `method` and `route`.
pub const REQUEST_SECONDS: &str = "rolodex_http_request_duration_seconds";
/// Requests being handled now.
pub const IN_FLIGHT: &str = "rolodex_http_requests_in_flight";
/// Requests refused by the per-token rate limit (429).
pub const RATE_LIMITED: &str = "rolodex_http_rate_limited_total";
/// 1, labelled with the `version`.
pub const BUILD_INFO: &str = "rolodex_build_info";

/// Buckets of every `*_seconds` histogram: from a cached read to the request timeout.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Jobs per SQLite group commit (at most 256), for every `*_batch_size` histogram.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// How often histogram samples are folded into their buckets (else they pile up between
/// scrapes, or forever when nobody scrapes).
const UPKEEP: Duration = Duration::from_secs(5);

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Whether a recorder is installed (metrics are served).
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Installs the process's recorder, once (a second server in the same process shares it), and
/// starts its upkeep on the current runtime.
pub fn install() -> Result<PrometheusHandle, String> {
    static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Suffix("_batch_size".into()), BATCH_BUCKETS)
                })
                .map_err(|e| format!("cannot set up the metrics: {e}"))?;
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder)
                .map_err(|e| format!("cannot install the metrics recorder: {e}"))?;
            ENABLED.store(true, Ordering::Relaxed);
            metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            let upkeep = handle.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(UPKEEP);
                loop {
                    every.tick().await;
                    upkeep.run_upkeep();
                }
            });
            Ok(handle)
        })
        .clone()
}

/// Serves `GET /metrics` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    handle: PrometheusHandle,
    db: Database,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(render))
        .with_state((handle, db));
    server::serve(listener, app, ServerConfig::default(), None, shutdown).await
}

async fn render(State((handle, db)): State<(PrometheusHandle, Database)>) -> Response {
    // Pool and queue sizes are read now rather than tracked on every request.
    db.record_gauges();
    let text = handle.render();
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

/// A request in flight, counted until it is answered or dropped (the client went away).
pub struct InFlight(());

impl InFlight {
    pub fn start() -> InFlight {
        metrics::gauge!(IN_FLIGHT).increment(1.0);
        InFlight(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!(IN_FLIGHT).decrement(1.0);
    }
}

/// A method as a label: the standard ones by name, anything else `other` (a client's made-up
/// methods must not make new series).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts an answered request and its latency. `route` is a template (bounded), never a path.
pub fn record_request(method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
    let method = method_label(method);
    metrics::counter!(
        REQUESTS,
        "method" => method,
        "route" => route.to_owned(),
        "status" => status.as_u16().to_string()
    )
    .increment(1);
    metrics::histogram!(REQUEST_SECONDS, "method" => method, "route" => route.to_owned())
        .record(elapsed.as_secs_f64());
}

/// Counts a request refused by the rate limit.
pub fn record_rate_limited() {
    metrics::counter!(RATE_LIMITED).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
