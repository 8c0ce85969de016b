//! The sandbox's middleware on the tenant API routes (installed only when the admin API or the
//! journal is on, so a plain server pays nothing for it): it applies the tenant's fault rules
//! (`faults.rs`) before the handler runs, and records the exchange in the journal (`journal.rs`).
//! It runs after authentication, so it knows the tenant; requests refused there (401, the rate
//! limit's 429) are neither faulted nor recorded.

use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use super::AppState;
use super::auth::Grant;
use super::error::ApiError;
use super::faults::Action;
use super::journal::{Entry, now_rfc3339_millis};
use super::observe::RequestId;
use crate::domain::journal::{kept_body, redact_query};

pub async fn around(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(grant) = req.extensions().get::<Grant>().copied() else {
        return next.run(req).await;
    };
    // The path after the API base: this router is nested under it.
    let action = state
        .faults
        .decide(grant.tenant_id, req.method().as_str(), req.uri().path());
    if !state.journal.enabled() {
        return run(action, req, next).await;
    }

    let started = Instant::now();
    let at = now_rfc3339_millis();
    let method = req.method().as_str().to_owned();
    let path = req
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| req.uri().path().to_owned(), |u| u.path().to_owned());
    let query = req.uri().query().map(redact_query);
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|id| id.as_str().to_owned());
    // The body was read whole by the limits middleware: collecting it again copies no I/O.
    let (parts, body) = req.into_parts();
    let request_bytes = collect(body).await;
    let request_body = kept_body(&request_bytes);
    let req = Request::from_parts(parts, Body::from(request_bytes));

    let response = run(action, req, next).await;

    let (parts, body) = response.into_parts();
    let response_bytes = collect(body).await;
    state.journal.record(
        grant.tenant_id,
        Entry {
            id: state.journal.next_id(),
            at,
            method,
            path,
            query,
            status: parts.status.as_u16(),
            request_body,
            response_body: kept_body(&response_bytes),
            duration_ms: (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
            request_id,
        },
    );
    Response::from_parts(parts, Body::from(response_bytes))
}

/// The request as the fault rule (if any) has it: delayed, then answered with the forced status
/// (the handler never runs) or passed on.
async fn run(action: Option<Action>, req: Request, next: Next) -> Response {
    let Some(action) = action else {
        return next.run(req).await;
    };
    if !action.delay.is_zero() {
        tokio::time::sleep(action.delay).await;
    }
    match action.status {
        Some(status) => ApiError::Injected {
            status,
            retry_after: action.retry_after,
        }
        .into_response(),
        None => next.run(req).await,
    }
}

async fn collect(body: Body) -> Bytes {
    body.collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default()
}
