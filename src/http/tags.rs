//! §5.5: tags on a record — `/contacts/{id}/tags...` and `/companies/{id}/tags...`.

use super::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AppState;
use super::auth::Tenant;
use super::data;
use super::error::ApiResult;
use super::extract::{JsonObject, record_id};
use super::openapi::{TagList, TagsBody, TagsReplaced};
use crate::domain::RecordKind;
use crate::domain::tag::parse_names;
use crate::service::tags;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contact, add_contact, replace_contact))
        .routes(routes!(remove_contact))
        .routes(routes!(list_company, add_company, replace_company))
        .routes(routes!(remove_company))
}

async fn list(s: AppState, t: i64, kind: RecordKind, id: &str) -> ApiResult<Response> {
    let all = tags::list(&s.db, t, kind, record_id(id)?).await?;
    Ok(data(StatusCode::OK, all))
}

async fn add(
    s: AppState,
    t: i64,
    kind: RecordKind,
    id: &str,
    body: serde_json::Map<String, serde_json::Value>,
) -> ApiResult<Response> {
    let all = tags::add(&s.db, t, kind, record_id(id)?, parse_names(&body, false)).await?;
    Ok(data(StatusCode::OK, all))
}

async fn replace(
    s: AppState,
    t: i64,
    kind: RecordKind,
    id: &str,
    body: serde_json::Map<String, serde_json::Value>,
) -> ApiResult<Response> {
    let all = tags::replace(&s.db, t, kind, record_id(id)?, parse_names(&body, true)).await?;
    Ok(axum::Json(json!({"message": "Tags replaced successfully", "tags": all})).into_response())
}

async fn remove(
    s: AppState,
    t: i64,
    kind: RecordKind,
    id: &str,
    name: String,
) -> ApiResult<StatusCode> {
    tags::remove(&s.db, t, kind, record_id(id)?, name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a contact's tags
#[utoipa::path(
    get,
    path = "/contacts/{id}/tags",
    tag = "Tags",
    operation_id = "listContactTags",
    params(("id" = i64, Path, description = "The contact's id.")),
    responses(
        (status = 200, description = "The contact's tags.", body = TagList),
    ),
)]
async fn list_contact(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    list(s, t, RecordKind::Contact, &id).await
}

/// List a company's tags
#[utoipa::path(
    get,
    path = "/companies/{id}/tags",
    tag = "Tags",
    operation_id = "listCompanyTags",
    params(("id" = i64, Path, description = "The company's id.")),
    responses(
        (status = 200, description = "The company's tags.", body = TagList),
    ),
)]
async fn list_company(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    list(s, t, RecordKind::Company, &id).await
}

/// Add tags to a contact
///
/// Tags new to the tenant are created; those the record has are kept.
#[utoipa::path(
    post,
    path = "/contacts/{id}/tags",
    tag = "Tags",
    operation_id = "addContactTags",
    params(("id" = i64, Path, description = "The contact's id.")),
    request_body = TagsBody,
    responses(
        (status = 200, description = "Every tag of the contact, after the change.", body = TagList),
    ),
)]
async fn add_contact(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    add(s, t, RecordKind::Contact, &id, body).await
}

/// Add tags to a company
///
/// Tags new to the tenant are created; those the record has are kept.
#[utoipa::path(
    post,
    path = "/companies/{id}/tags",
    tag = "Tags",
    operation_id = "addCompanyTags",
    params(("id" = i64, Path, description = "The company's id.")),
    request_body = TagsBody,
    responses(
        (status = 200, description = "Every tag of the company, after the change.", body = TagList),
    ),
)]
async fn add_company(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    add(s, t, RecordKind::Company, &id, body).await
}

/// Replace a contact's tags
#[utoipa::path(
    put,
    path = "/contacts/{id}/tags",
    tag = "Tags",
    operation_id = "replaceContactTags",
    params(("id" = i64, Path, description = "The contact's id.")),
    request_body = TagsBody,
    responses(
        (status = 200, description = "The contact's tags, replaced.", body = TagsReplaced),
    ),
)]
async fn replace_contact(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    replace(s, t, RecordKind::Contact, &id, body).await
}

/// Replace a company's tags
#[utoipa::path(
    put,
    path = "/companies/{id}/tags",
    tag = "Tags",
    operation_id = "replaceCompanyTags",
    params(("id" = i64, Path, description = "The company's id.")),
    request_body = TagsBody,
    responses(
        (status = 200, description = "The company's tags, replaced.", body = TagsReplaced),
    ),
)]
async fn replace_company(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    replace(s, t, RecordKind::Company, &id, body).await
}

/// Remove a tag from a contact
#[utoipa::path(
    delete,
    path = "/contacts/{id}/tags/{name}",
    tag = "Tags",
    operation_id = "removeContactTag",
    params(("id" = i64, Path, description = "The contact's id."), ("name" = String, Path, description = "The tag's name.")),
    responses(
        (status = 204, description = "Removed."),
    ),
)]
async fn remove_contact(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    remove(s, t, RecordKind::Contact, &id, name).await
}

/// Remove a tag from a company
#[utoipa::path(
    delete,
    path = "/companies/{id}/tags/{name}",
    tag = "Tags",
    operation_id = "removeCompanyTag",
    params(("id" = i64, Path, description = "The company's id."), ("name" = String, Path, description = "The tag's name.")),
    responses(
        (status = 204, description = "Removed."),
    ),
)]
async fn remove_company(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    remove(s, t, RecordKind::Company, &id, name).await
}
