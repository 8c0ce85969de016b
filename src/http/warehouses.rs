//! Warehouses (issue 10): `/warehouses` and `/warehouses/{id}`.

use super::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AppState;
use super::auth::Tenant;
use super::error::ApiResult;
use super::extract::{JsonObject, QueryPairs, record_id};
use super::openapi::{ErrorBody, WarehouseBody, WarehouseData, WarehouseListParams, WarehousePage};
use super::{data, page};
use crate::domain::warehouse::{self, WarehouseListField};
use crate::query;
use crate::service::warehouses;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, delete))
}

/// List warehouses
#[utoipa::path(
    get,
    path = "/warehouses",
    tag = "Warehouses",
    operation_id = "listWarehouses",
    params(WarehouseListParams),
    responses(
        (status = 200, description = "A page of warehouses.", body = WarehousePage),
    ),
)]
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

/// Create a warehouse
///
/// `name` is required and unique (case-insensitively); `parent_id` must not make a cycle.
#[utoipa::path(
    post,
    path = "/warehouses",
    tag = "Warehouses",
    operation_id = "createWarehouse",
    request_body = WarehouseBody,
    responses(
        (status = 201, description = "The new warehouse.", body = WarehouseData),
    ),
)]
async fn create(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let created = warehouses::create(&s.db, t, warehouse::parse(&body, true)).await?;
    Ok(data(StatusCode::CREATED, created))
}

/// Get a warehouse
#[utoipa::path(
    get,
    path = "/warehouses/{id}",
    tag = "Warehouses",
    operation_id = "getWarehouse",
    params(("id" = i64, Path, description = "The warehouse's id.")),
    responses(
        (status = 200, description = "The warehouse.", body = WarehouseData),
    ),
)]
async fn read(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let found = warehouses::get(&s.db, t, record_id(&id)?).await?;
    Ok(data(StatusCode::OK, found))
}

/// Update a warehouse
///
/// Only the fields present change; `POST`, `PUT` and `PATCH` are the same.
#[utoipa::path(
    method(post, put, patch),
    path = "/warehouses/{id}",
    tag = "Warehouses",
    operation_id = "updateWarehouse",
    params(("id" = i64, Path, description = "The warehouse's id.")),
    request_body = WarehouseBody,
    responses(
        (status = 200, description = "The warehouse, updated.", body = WarehouseData),
    ),
)]
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

/// Delete a warehouse
#[utoipa::path(
    delete,
    path = "/warehouses/{id}",
    tag = "Warehouses",
    operation_id = "deleteWarehouse",
    params(("id" = i64, Path, description = "The warehouse's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 409, description = "The warehouse has children, or is the only one.", body = ErrorBody),
    ),
)]
async fn delete(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    warehouses::delete(&s.db, t, record_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
