//! §4: the contact endpoints.

use super::extract::Path;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};

use super::auth::Tenant;
use super::error::ApiResult;
use super::extract::{JsonObject, QueryPairs, record_id};
use super::{AppState, data, page};
use crate::domain::contact::{ContactListField, ContactPatchDraft, NewContactDraft, PasswordDraft};
use crate::query;
use crate::service::contacts;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contacts", get(list).post(create))
        .route(
            "/contacts/{id}",
            get(read)
                .post(update)
                .put(update)
                .patch(update)
                .delete(delete),
        )
        .route("/contacts/{id}/b2b-portal-password", post(set_password))
        .route("/contacts/{id}/password", post(set_password))
}

async fn create(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let contact = contacts::create(&s.db, t, NewContactDraft::parse(&body)).await?;
    Ok(data(StatusCode::CREATED, contact))
}

async fn read(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let contact = contacts::get(&s.db, t, record_id(&id)?).await?;
    Ok(data(StatusCode::OK, contact))
}

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

async fn delete(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    contacts::delete(&s.db, t, record_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

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
