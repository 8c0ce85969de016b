//! §5: the company endpoints.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};

use super::AppState;
use super::contacts::{data, page};
use super::error::ApiResult;
use super::extract::{JsonObject, QueryPairs, Tenant, record_id};
use crate::query;
use crate::service::{companies, contacts};
use crate::store::contacts::LIST_SCHEMA;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/companies", post(create))
        .route("/companies/{id}", get(read))
        .route("/companies/{id}/contacts", get(list_contacts))
}

async fn create(State(s): State<AppState>, Tenant(t): Tenant, JsonObject(body): JsonObject) -> ApiResult<Response> {
    let company = companies::create(&s.db, t, body).await?;
    Ok(data(StatusCode::CREATED, company))
}

async fn read(State(s): State<AppState>, Tenant(t): Tenant, Path(id): Path<String>) -> ApiResult<Response> {
    let company = companies::get(&s.db, t, record_id(&id)?).await?;
    Ok(data(StatusCode::OK, company))
}

/// §5.4: a company's contacts, with the contact filters.
async fn list_contacts(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Response> {
    let company_id = record_id(&id)?;
    let q = query::parse(&pairs, &LIST_SCHEMA)?;
    let page_spec = q.page;
    let (items, total) = contacts::list(&s.db, t, Some(company_id), q).await?;
    Ok(page(items, page_spec, total))
}
