//! Authentication, once per request, as a middleware on everything under the API base (matched
//! routes, wrong methods and unknown paths alike, as Laravel's `auth:api` group answers 401 before
//! 404): the bearer token is checked here and the grant goes into the request's extensions, where
//! the `Tenant` extractor and the rate limit (on matched routes only) find it.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use super::extract::{bearer, host_slug};
use super::rate_limit::Decision;

/// Who the request is from, established by [`authenticate`].
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    pub tenant_id: i64,
    /// The token's database id: the rate limiter's key.
    pub token_id: i64,
}

/// Checks the bearer token (and the `Host` tenant, if the host names one).
async fn grant_of(state: &AppState, headers: &HeaderMap) -> Result<Grant, ApiError> {
    let token = bearer(headers).ok_or(ApiError::Unauthenticated)?;
    let grant = state
        .tokens
        .check(&state.db, token)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if let Some(slug) = host_slug(headers)
        && slug != grant.tenant_slug.to_ascii_lowercase()
    {
        return Err(ApiError::Unauthenticated);
    }
    Ok(Grant {
        tenant_id: grant.tenant_id,
        token_id: grant.token_id,
    })
}

/// The API's middleware: 401 without a valid token; otherwise the request runs as its tenant with
/// its [`Grant`] in the extensions.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let grant = match grant_of(&state, req.headers()).await {
        Ok(grant) => grant,
        Err(e) => return e.into_response(),
    };
    req.extensions_mut().insert(grant);
    // The rest of the request runs as its tenant: its database work takes that tenant's share
    // of the readers / connections.
    let mut response = state.db.as_tenant(grant.tenant_id, next.run(req)).await;
    // For the request log (`observe`), outside this nested router.
    response.extensions_mut().insert(grant);
    response
}

/// The API routes' rate limit, after [`authenticate`] and only on matched routes (an unknown path
/// is neither limited nor counted): 429 over the token's limit; otherwise the answer carries the
/// `X-RateLimit-*` headers.
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (Some(limiter), Some(grant)) = (
        state.rate_limiter.as_deref(),
        req.extensions().get::<Grant>().copied(),
    ) else {
        return next.run(req).await;
    };
    let (limit, remaining) = match limiter.hit(grant.token_id) {
        Decision::Allowed { limit, remaining } => (limit, remaining),
        Decision::Limited {
            limit,
            retry_after,
            reset_at,
        } => {
            super::metrics::record_rate_limited();
            return ApiError::TooManyAttempts {
                limit,
                retry_after,
                reset_at,
            }
            .into_response();
        }
    };
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    response
}

/// The tenant of the request, established by the bearer token (§1).
#[derive(Debug, Clone, Copy)]
pub struct Tenant(pub i64);

/// Reads the grant the authentication middleware (`auth::authenticate`) left; a route without
/// that middleware has none, and answers 401.
impl<S: Send + Sync> FromRequestParts<S> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Grant>()
            .map(|grant| Tenant(grant.tenant_id))
            .ok_or(ApiError::Unauthenticated)
    }
}
