//! The admin API under `/admin/v1` (mounted only when `serve --admin-token` is set; otherwise
//! every path here is a 404): tenants and their tokens, reset, seed, snapshots, the request journal
//! and fault rules. Authenticated by the admin token alone: tenant tokens are 401 here, and the
//! admin token is 401 on the tenant API (it is no tenant's token).

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};

use super::error::{ApiError, ApiResult};
use super::extract::{JsonObject, Path, QueryPairs, bearer, record_id};
use super::{AppState, data};
use crate::domain::admin::{self, JOURNAL_OFF, SnapshotName};
use crate::domain::fault;
use crate::error::AppError;
use crate::service::admin as use_cases;
use crate::service::seed;

/// The base path of the admin API.
pub const ADMIN_BASE: &str = "/admin/v1";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tenants", get(list_tenants).post(create_tenant))
        .route("/tenants/{slug}", get(show_tenant).delete(delete_tenant))
        .route(
            "/tenants/{slug}/tokens",
            get(list_tokens).post(create_token),
        )
        .route("/tenants/{slug}/tokens/{id}", delete(revoke_token))
        .route("/tenants/{slug}/reset", post(reset))
        .route("/tenants/{slug}/seed", post(seed_tenant))
        .route(
            "/tenants/{slug}/snapshots",
            get(list_snapshots).post(create_snapshot),
        )
        .route("/tenants/{slug}/snapshots/{name}", delete(delete_snapshot))
        .route(
            "/tenants/{slug}/snapshots/{name}/restore",
            post(restore_snapshot),
        )
        .route(
            "/tenants/{slug}/requests",
            get(list_requests).delete(clear_requests),
        )
        .route(
            "/tenants/{slug}/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/tenants/{slug}/faults/{id}", delete(remove_fault))
}

/// The admin routes' middleware: 401 unless the bearer token is the admin token.
pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let allowed = match (&state.admin, bearer(req.headers())) {
        (Some(key), Some(presented)) => key.matches(presented),
        _ => false,
    };
    if allowed {
        next.run(req).await
    } else {
        ApiError::Unauthenticated.into_response()
    }
}

async fn list_tenants(State(s): State<AppState>) -> ApiResult<Response> {
    Ok(data(StatusCode::OK, use_cases::list_tenants(&s.db).await?))
}

async fn create_tenant(
    State(s): State<AppState>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let slug = admin::parse_new_tenant(&body)?;
    let created = use_cases::create_tenant(&s.db, slug).await?;
    Ok(data(StatusCode::CREATED, created))
}

async fn show_tenant(State(s): State<AppState>, Path(slug): Path<String>) -> ApiResult<Response> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    Ok(data(
        StatusCode::OK,
        use_cases::tenant(&s.db, tenant).await?,
    ))
}

async fn delete_tenant(
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<StatusCode> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    use_cases::delete_tenant(&s.db, tenant).await?;
    // Its tokens are gone: refuse them here at once, not after the cache's half second.
    s.tokens.forget_all();
    s.journal.clear(tenant);
    s.faults.clear(tenant);
    Ok(StatusCode::NO_CONTENT)
}

async fn list_tokens(State(s): State<AppState>, Path(slug): Path<String>) -> ApiResult<Response> {
    use_cases::tenant_id(&s.db, &slug).await?;
    Ok(data(
        StatusCode::OK,
        use_cases::list_tokens(&s.db, &slug).await?,
    ))
}

async fn create_token(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    let name = admin::parse_new_token(&body)?;
    Ok(data(
        StatusCode::CREATED,
        use_cases::create_token(&s.db, tenant, name).await?,
    ))
}

async fn revoke_token(
    State(s): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    use_cases::revoke_token(&s.db, tenant, record_id(&id)?).await?;
    s.tokens.forget_all();
    Ok(StatusCode::NO_CONTENT)
}

async fn reset(State(s): State<AppState>, Path(slug): Path<String>) -> ApiResult<StatusCode> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    use_cases::reset(&s.db, tenant).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn seed_tenant(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    let request = admin::parse_seed(&body)?;
    let made = seed::seed(&s.db, tenant, request, &|_, _| {}).await?;
    Ok(data(StatusCode::CREATED, made))
}

/// A snapshot name from the path: one that could not have been created names nothing.
fn snapshot_name(raw: &str) -> ApiResult<SnapshotName> {
    SnapshotName::parse(raw).ok_or(ApiError::App(AppError::NotFound))
}

async fn list_snapshots(
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    Ok(data(
        StatusCode::OK,
        use_cases::list_snapshots(&s.db, tenant).await?,
    ))
}

async fn create_snapshot(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    let name = admin::parse_new_snapshot(&body)?;
    Ok(data(
        StatusCode::CREATED,
        use_cases::create_snapshot(&s.db, tenant, name).await?,
    ))
}

async fn restore_snapshot(
    State(s): State<AppState>,
    Path((slug, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    let name = snapshot_name(&name)?;
    use_cases::restore_snapshot(&s.db, tenant, name.as_str()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_snapshot(
    State(s): State<AppState>,
    Path((slug, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    let name = snapshot_name(&name)?;
    use_cases::delete_snapshot(&s.db, tenant, name.as_str()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_requests(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Response> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    let limit = admin::parse_journal_limit(&pairs)?;
    if !s.journal.enabled() {
        return Err(AppError::Conflict(JOURNAL_OFF.to_owned()).into());
    }
    Ok(data(StatusCode::OK, s.journal.latest(tenant, limit)))
}

async fn clear_requests(
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<StatusCode> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    s.journal.clear(tenant);
    Ok(StatusCode::NO_CONTENT)
}

async fn list_faults(State(s): State<AppState>, Path(slug): Path<String>) -> ApiResult<Response> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    Ok(data(StatusCode::OK, s.faults.list(tenant)))
}

async fn add_fault(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    let rule = fault::parse(&body)?;
    let added = s
        .faults
        .add(tenant, rule)
        .ok_or_else(|| AppError::Conflict(fault::too_many_rules()))?;
    Ok(data(StatusCode::CREATED, added))
}

async fn clear_faults(
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<StatusCode> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    s.faults.clear(tenant);
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_fault(
    State(s): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let tenant = use_cases::tenant_id(&s.db, &slug).await?;
    let id = u64::try_from(record_id(&id)?).unwrap_or(0);
    if s.faults.remove(tenant, id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound.into())
    }
}
