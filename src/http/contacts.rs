//! §4: the contact endpoints.

use super::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::Tenant;
use super::error::ApiResult;
use super::extract::{JsonObject, QueryPairs, record_id};
use super::openapi::{
    ContactCreate, ContactData, ContactListParams, ContactPage, ContactUpdate, ErrorBody,
    PasswordBody,
};
use super::{AppState, data, page};
use crate::domain::contact::{ContactListField, ContactPatchDraft, NewContactDraft, PasswordDraft};
use crate::query;
use crate::service::contacts;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, delete))
        .routes(routes!(set_portal_password))
        .routes(routes!(set_password))
}

/// Create a contact
#[utoipa::path(
    post,
    path = "/contacts",
    tag = "Contacts",
    operation_id = "createContact",
    request_body = ContactCreate,
    responses(
        (status = 201, description = "The new contact.", body = ContactData),
        (status = 409, description = "The portal login changed meanwhile; retry.", body = ErrorBody),
    ),
)]
async fn create(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let contact = contacts::create(&s.db, t, NewContactDraft::parse(&body)).await?;
    Ok(data(StatusCode::CREATED, contact))
}

/// Get a contact
#[utoipa::path(
    get,
    path = "/contacts/{id}",
    tag = "Contacts",
    operation_id = "getContact",
    params(("id" = i64, Path, description = "The contact's id.")),
    responses((status = 200, description = "The contact.", body = ContactData)),
)]
async fn read(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let contact = contacts::get(&s.db, t, record_id(&id)?).await?;
    Ok(data(StatusCode::OK, contact))
}

/// Update a contact
///
/// Only the fields present change; `POST`, `PUT` and `PATCH` are the same.
#[utoipa::path(
    method(post, put, patch),
    path = "/contacts/{id}",
    tag = "Contacts",
    operation_id = "updateContact",
    params(("id" = i64, Path, description = "The contact's id.")),
    request_body = ContactUpdate,
    responses(
        (status = 200, description = "The contact, updated.", body = ContactData),
        (status = 409, description = "The portal login changed meanwhile; retry.", body = ErrorBody),
    ),
)]
async fn update(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let contact =
        contacts::update(&s.db, t, record_id(&id)?, ContactPatchDraft::parse(&body)).await?;
    Ok(data(StatusCode::OK, contact))
}

/// Delete a contact
#[utoipa::path(
    delete,
    path = "/contacts/{id}",
    tag = "Contacts",
    operation_id = "deleteContact",
    params(("id" = i64, Path, description = "The contact's id.")),
    responses((status = 204, description = "Deleted.")),
)]
async fn delete(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    contacts::delete(&s.db, t, record_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a contact's B2B portal password
///
/// The contact's `email` becomes its portal login; the password is stored hashed.
#[utoipa::path(
    post,
    path = "/contacts/{id}/b2b-portal-password",
    tag = "Contacts",
    operation_id = "setContactPortalPassword",
    params(("id" = i64, Path, description = "The contact's id.")),
    request_body = PasswordBody,
    responses(
        (status = 200, description = "The contact, with `has_portal_login`.", body = ContactData),
        (status = 409, description = "The portal login changed meanwhile; retry.", body = ErrorBody),
    ),
)]
async fn set_portal_password(
    state: State<AppState>,
    tenant: Tenant,
    id: Path<String>,
    body: JsonObject,
) -> ApiResult<Response> {
    set_password(state, tenant, id, body).await
}

/// Set a contact's B2B portal password (the older path)
#[utoipa::path(
    post,
    path = "/contacts/{id}/password",
    tag = "Contacts",
    operation_id = "setContactPassword",
    params(("id" = i64, Path, description = "The contact's id.")),
    request_body = PasswordBody,
    responses(
        (status = 200, description = "The contact, with `has_portal_login`.", body = ContactData),
        (status = 409, description = "The portal login changed meanwhile; retry.", body = ErrorBody),
    ),
)]
async fn set_password(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let contact =
        contacts::set_password(&s.db, t, record_id(&id)?, PasswordDraft::parse(&body)).await?;
    Ok(data(StatusCode::OK, contact))
}

/// List contacts
#[utoipa::path(
    get,
    path = "/contacts",
    tag = "Contacts",
    operation_id = "listContacts",
    params(ContactListParams),
    responses((status = 200, description = "A page of contacts.", body = ContactPage)),
)]
async fn list(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Response> {
    let q = query::parse::<ContactListField>(&pairs)?;
    let page_spec = q.page;
    let (items, total) = contacts::list(&s.db, t, None, q).await?;
    Ok(page(items, page_spec, total))
}
