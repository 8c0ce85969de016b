//! Warehouses (issue 10): `/warehouses` and `/warehouses/{id}`.

use super::extract::Path;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::AppState;
use super::auth::Tenant;
use super::error::ApiResult;
use super::extract::{JsonObject, QueryPairs, record_id};
use super::{data, page};
use crate::domain::warehouse::{self, WarehouseListField};
use crate::query;
use crate::service::warehouses;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/warehouses", get(list).post(create))
        .route(
            "/warehouses/{id}",
            get(read)
                .post(update)
                .put(update)
                .patch(update)
                .delete(delete),
        )
}

async fn list(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Response> {
    let q = query::parse::<WarehouseListField>(&pairs)?;
    let page_spec = q.page;
    let (items, total) = warehouses::list(&s.db, t, q).await?;
    Ok(page(items, page_spec, total))
}

async fn create(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let created = warehouses::create(&s.db, t, warehouse::parse(&body, true)).await?;
    Ok(data(StatusCode::CREATED, created))
}

async fn read(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let found = warehouses::get(&s.db, t, record_id(&id)?).await?;
    Ok(data(StatusCode::OK, found))
}

async fn update(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let updated =
        warehouses::update(&s.db, t, record_id(&id)?, warehouse::parse(&body, false)).await?;
    Ok(data(StatusCode::OK, updated))
}

async fn delete(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    warehouses::delete(&s.db, t, record_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
