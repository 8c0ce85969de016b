//! §5: the company endpoints, their shipping addresses and custom-field values, and client types.

use super::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AppState;
use super::auth::Tenant;
use super::error::ApiResult;
use super::extract::{JsonObject, QueryPairs, record_id};
use super::openapi::{
    ClientTypeList, CompanyBody, CompanyData, CompanyListParams, CompanyPage, ContactListParams,
    ContactPage, CustomValuesBody, CustomValuesData, ErrorBody, ShippingAddressData,
    ShippingAddressInput, ShippingAddressPage, ShippingListParams,
};
use super::{data, page};
use crate::domain::company::CompanyListField;
use crate::domain::contact::ContactListField;
use crate::domain::shipping::ShippingListField;
use crate::domain::{company, custom_field::CustomValues, shipping as address};
use crate::query;
use crate::service::{companies, contacts, shipping};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, delete))
        .routes(routes!(list_contacts))
        .routes(routes!(list_addresses, create_address))
        .routes(routes!(read_address, update_address, delete_address))
        .routes(routes!(read_custom_values, set_custom_values))
        .routes(routes!(client_types))
}

/// Create a company
///
/// `name` is required.
#[utoipa::path(
    post,
    path = "/companies",
    tag = "Companies",
    operation_id = "createCompany",
    request_body = CompanyBody,
    responses(
        (status = 201, description = "The new company.", body = CompanyData),
    ),
)]
async fn create(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let company = companies::create(&s.db, t, company::parse(&body, true)).await?;
    Ok(data(StatusCode::CREATED, company))
}

/// Get a company
#[utoipa::path(
    get,
    path = "/companies/{id}",
    tag = "Companies",
    operation_id = "getCompany",
    params(("id" = i64, Path, description = "The company's id.")),
    responses(
        (status = 200, description = "The company.", body = CompanyData),
    ),
)]
async fn read(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let company = companies::get(&s.db, t, record_id(&id)?).await?;
    Ok(data(StatusCode::OK, company))
}

/// Update a company
///
/// Only the fields present change; `POST`, `PUT` and `PATCH` are the same.
#[utoipa::path(
    method(post, put, patch),
    path = "/companies/{id}",
    tag = "Companies",
    operation_id = "updateCompany",
    params(("id" = i64, Path, description = "The company's id.")),
    request_body = CompanyBody,
    responses(
        (status = 200, description = "The company, updated.", body = CompanyData),
    ),
)]
async fn update(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let company =
        companies::update(&s.db, t, record_id(&id)?, company::parse(&body, false)).await?;
    Ok(data(StatusCode::OK, company))
}

/// Delete a company
#[utoipa::path(
    delete,
    path = "/companies/{id}",
    tag = "Companies",
    operation_id = "deleteCompany",
    params(("id" = i64, Path, description = "The company's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 409, description = "Contacts would be left without a company.", body = ErrorBody),
    ),
)]
async fn delete(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    companies::delete(&s.db, t, record_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// §5.4: `GET /companies`.
/// List companies
#[utoipa::path(
    get,
    path = "/companies",
    tag = "Companies",
    operation_id = "listCompanies",
    params(CompanyListParams),
    responses(
        (status = 200, description = "A page of companies.", body = CompanyPage),
    ),
)]
async fn list(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Response> {
    let q = query::parse::<CompanyListField>(&pairs)?;
    let page_spec = q.page;
    let (items, total) = companies::list(&s.db, t, q).await?;
    Ok(page(items, page_spec, total))
}

/// §5.4: a company's contacts, with the contact filters.
/// List a company's contacts
#[utoipa::path(
    get,
    path = "/companies/{id}/contacts",
    tag = "Companies",
    operation_id = "listCompanyContacts",
    params(("id" = i64, Path, description = "The company's id."), ContactListParams),
    responses(
        (status = 200, description = "A page of the company's contacts.", body = ContactPage),
    ),
)]
async fn list_contacts(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Response> {
    let company_id = record_id(&id)?;
    let q = query::parse::<ContactListField>(&pairs)?;
    let page_spec = q.page;
    let (items, total) = contacts::list(&s.db, t, Some(company_id), q).await?;
    Ok(page(items, page_spec, total))
}

/// List a company's shipping addresses
#[utoipa::path(
    get,
    path = "/companies/{id}/shipping-addresses",
    tag = "Shipping addresses",
    operation_id = "listShippingAddresses",
    params(("id" = i64, Path, description = "The company's id."), ShippingListParams),
    responses(
        (status = 200, description = "A page of shipping addresses.", body = ShippingAddressPage),
    ),
)]
async fn list_addresses(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Response> {
    let company_id = record_id(&id)?;
    let q = query::parse::<ShippingListField>(&pairs)?;
    let page_spec = q.page;
    let (items, total) = shipping::list(&s.db, t, company_id, q).await?;
    Ok(page(items, page_spec, total))
}

/// Add a shipping address
#[utoipa::path(
    post,
    path = "/companies/{id}/shipping-addresses",
    tag = "Shipping addresses",
    operation_id = "createShippingAddress",
    params(("id" = i64, Path, description = "The company's id.")),
    request_body = ShippingAddressInput,
    responses(
        (status = 201, description = "The new address.", body = ShippingAddressData),
    ),
)]
async fn create_address(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let address = shipping::create(&s.db, t, record_id(&id)?, address::parse(&body, true)).await?;
    Ok(data(StatusCode::CREATED, address))
}

/// Get a shipping address
#[utoipa::path(
    get,
    path = "/companies/{id}/shipping-addresses/{address_id}",
    tag = "Shipping addresses",
    operation_id = "getShippingAddress",
    params(("id" = i64, Path, description = "The company's id."), ("address_id" = i64, Path, description = "The shipping address's id.")),
    responses(
        (status = 200, description = "The address.", body = ShippingAddressData),
    ),
)]
async fn read_address(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path((id, address_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let address = shipping::get(&s.db, t, record_id(&id)?, record_id(&address_id)?).await?;
    Ok(data(StatusCode::OK, address))
}

/// Update a shipping address
#[utoipa::path(
    method(post, put, patch),
    path = "/companies/{id}/shipping-addresses/{address_id}",
    tag = "Shipping addresses",
    operation_id = "updateShippingAddress",
    params(("id" = i64, Path, description = "The company's id."), ("address_id" = i64, Path, description = "The shipping address's id.")),
    request_body = ShippingAddressInput,
    responses(
        (status = 200, description = "The address, updated.", body = ShippingAddressData),
    ),
)]
async fn update_address(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path((id, address_id)): Path<(String, String)>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let address = shipping::update(
        &s.db,
        t,
        record_id(&id)?,
        record_id(&address_id)?,
        address::parse(&body, false),
    )
    .await?;
    Ok(data(StatusCode::OK, address))
}

/// Delete a shipping address
#[utoipa::path(
    delete,
    path = "/companies/{id}/shipping-addresses/{address_id}",
    tag = "Shipping addresses",
    operation_id = "deleteShippingAddress",
    params(("id" = i64, Path, description = "The company's id."), ("address_id" = i64, Path, description = "The shipping address's id.")),
    responses(
        (status = 204, description = "Deleted."),
    ),
)]
async fn delete_address(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path((id, address_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    shipping::delete(&s.db, t, record_id(&id)?, record_id(&address_id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Get a company's custom-field values
#[utoipa::path(
    get,
    path = "/companies/{id}/custom-fields",
    tag = "Custom fields",
    operation_id = "getCompanyCustomValues",
    params(("id" = i64, Path, description = "The company's id.")),
    responses(
        (status = 200, description = "The values by label.", body = CustomValuesData),
    ),
)]
async fn read_custom_values(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let values = companies::custom_values(&s.db, t, record_id(&id)?).await?;
    Ok(data(StatusCode::OK, values))
}

/// Set a company's custom-field values
///
/// The labels given change (`null` clears one); the others keep their values.
#[utoipa::path(
    method(put, post, patch),
    path = "/companies/{id}/custom-fields",
    tag = "Custom fields",
    operation_id = "setCompanyCustomValues",
    params(("id" = i64, Path, description = "The company's id.")),
    request_body = CustomValuesBody,
    responses(
        (status = 200, description = "Every value by label, after the change.", body = CustomValuesData),
    ),
)]
async fn set_custom_values(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let values =
        companies::set_custom_values(&s.db, t, record_id(&id)?, CustomValues::from(body)).await?;
    Ok(data(StatusCode::OK, values))
}

/// List client types
#[utoipa::path(
    get,
    path = "/client-types",
    tag = "Companies",
    operation_id = "listClientTypes",
    responses(
        (status = 200, description = "Every client type of the tenant.", body = ClientTypeList),
    ),
)]
async fn client_types(State(s): State<AppState>, Tenant(t): Tenant) -> ApiResult<Response> {
    let types = companies::client_types(&s.db, t).await?;
    Ok(data(StatusCode::OK, types))
}
