//! §5.6: custom-field definitions.

use super::extract::Path;
use crate::domain::custom_field::parse_definition;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AppState;
use super::auth::Tenant;
use super::data;
use super::error::ApiResult;
use super::extract::{JsonObject, QueryPairs, record_id};
use super::openapi::{CustomFieldBody, CustomFieldData, CustomFieldList, CustomFieldListParams};
use crate::service::custom_fields;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, delete))
}

/// `GET /custom-fields[?object_type=companies]`: a short list, without paging.
/// List custom-field definitions
#[utoipa::path(
    get,
    path = "/custom-fields",
    tag = "Custom fields",
    operation_id = "listCustomFields",
    params(CustomFieldListParams),
    responses(
        (status = 200, description = "Every definition (no paging).", body = CustomFieldList),
    ),
)]
async fn list(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Response> {
    let object_type = pairs
        .into_iter()
        .find(|(k, _)| k == "object_type")
        .map(|(_, v)| v);
    let all = custom_fields::list(&s.db, t, object_type).await?;
    Ok(data(StatusCode::OK, all))
}

/// Create a custom-field definition
///
/// `label` (unique, case-insensitively) and `type` are required.
#[utoipa::path(
    post,
    path = "/custom-fields",
    tag = "Custom fields",
    operation_id = "createCustomField",
    request_body = CustomFieldBody,
    responses(
        (status = 201, description = "The new definition.", body = CustomFieldData),
    ),
)]
async fn create(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let def = custom_fields::create(&s.db, t, parse_definition(&body, true)).await?;
    Ok(data(StatusCode::CREATED, def))
}

/// Get a custom-field definition
#[utoipa::path(
    get,
    path = "/custom-fields/{id}",
    tag = "Custom fields",
    operation_id = "getCustomField",
    params(("id" = i64, Path, description = "The definition's id.")),
    responses(
        (status = 200, description = "The definition.", body = CustomFieldData),
    ),
)]
async fn read(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let def = custom_fields::get(&s.db, t, record_id(&id)?).await?;
    Ok(data(StatusCode::OK, def))
}

/// Update a custom-field definition
#[utoipa::path(
    method(post, put, patch),
    path = "/custom-fields/{id}",
    tag = "Custom fields",
    operation_id = "updateCustomField",
    params(("id" = i64, Path, description = "The definition's id.")),
    request_body = CustomFieldBody,
    responses(
        (status = 200, description = "The definition, updated.", body = CustomFieldData),
    ),
)]
async fn update(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let def =
        custom_fields::update(&s.db, t, record_id(&id)?, parse_definition(&body, false)).await?;
    Ok(data(StatusCode::OK, def))
}

/// Delete a custom-field definition
#[utoipa::path(
    delete,
    path = "/custom-fields/{id}",
    tag = "Custom fields",
    operation_id = "deleteCustomField",
    params(("id" = i64, Path, description = "The definition's id.")),
    responses(
        (status = 204, description = "Deleted, with every company's value for it."),
    ),
)]
async fn delete(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    custom_fields::delete(&s.db, t, record_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
