//! §5: the company endpoints, their shipping addresses and custom-field values, and client types.

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
use crate::domain::company::CompanyListField;
use crate::domain::contact::ContactListField;
use crate::domain::shipping::ShippingListField;
use crate::domain::{company, custom_field::CustomValues, shipping as address};
use crate::query;
use crate::service::{companies, contacts, shipping};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/companies", get(list).post(create))
        .route(
            "/companies/{id}",
            get(read)
                .post(update)
                .put(update)
                .patch(update)
                .delete(delete),
        )
        .route("/companies/{id}/contacts", get(list_contacts))
        .route(
            "/companies/{id}/shipping-addresses",
            get(list_addresses).post(create_address),
        )
        .route(
            "/companies/{id}/shipping-addresses/{address_id}",
            get(read_address)
                .post(update_address)
                .put(update_address)
                .patch(update_address)
                .delete(delete_address),
        )
        .route(
            "/companies/{id}/custom-fields",
            get(read_custom_values)
                .put(set_custom_values)
                .post(set_custom_values)
                .patch(set_custom_values),
        )
        .route("/client-types", get(client_types))
}

async fn create(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let company = companies::create(&s.db, t, company::parse(&body, true)).await?;
    Ok(data(StatusCode::CREATED, company))
}

async fn read(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let company = companies::get(&s.db, t, record_id(&id)?).await?;
    Ok(data(StatusCode::OK, company))
}

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

async fn delete(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    companies::delete(&s.db, t, record_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// §5.4: `GET /companies`.
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

async fn create_address(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let address = shipping::create(&s.db, t, record_id(&id)?, address::parse(&body, true)).await?;
    Ok(data(StatusCode::CREATED, address))
}

async fn read_address(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path((id, address_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let address = shipping::get(&s.db, t, record_id(&id)?, record_id(&address_id)?).await?;
    Ok(data(StatusCode::OK, address))
}

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

async fn delete_address(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path((id, address_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    shipping::delete(&s.db, t, record_id(&id)?, record_id(&address_id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn read_custom_values(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let values = companies::custom_values(&s.db, t, record_id(&id)?).await?;
    Ok(data(StatusCode::OK, values))
}

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

async fn client_types(State(s): State<AppState>, Tenant(t): Tenant) -> ApiResult<Response> {
    let types = companies::client_types(&s.db, t).await?;
    Ok(data(StatusCode::OK, types))
}
