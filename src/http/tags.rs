//! §5.5: tags on a record — `/contacts/{id}/tags...` and `/companies/{id}/tags...`.

use super::extract::Path;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::json;

use super::AppState;
use super::auth::Tenant;
use super::data;
use super::error::ApiResult;
use super::extract::{JsonObject, record_id};
use crate::domain::RecordKind;
use crate::domain::tag::parse_names;
use crate::service::tags;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/contacts/{id}/tags",
            get(list_contact).post(add_contact).put(replace_contact),
        )
        .route("/contacts/{id}/tags/{name}", delete(remove_contact))
        .route(
            "/companies/{id}/tags",
            get(list_company).post(add_company).put(replace_company),
        )
        .route("/companies/{id}/tags/{name}", delete(remove_company))
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

async fn list_contact(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    list(s, t, RecordKind::Contact, &id).await
}

async fn list_company(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    list(s, t, RecordKind::Company, &id).await
}

async fn add_contact(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    add(s, t, RecordKind::Contact, &id, body).await
}

async fn add_company(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    add(s, t, RecordKind::Company, &id, body).await
}

async fn replace_contact(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    replace(s, t, RecordKind::Contact, &id, body).await
}

async fn replace_company(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    replace(s, t, RecordKind::Company, &id, body).await
}

async fn remove_contact(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    remove(s, t, RecordKind::Contact, &id, name).await
}

async fn remove_company(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    remove(s, t, RecordKind::Company, &id, name).await
}
