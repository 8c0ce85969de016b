//! §5.5: tags on a record — `/contacts/{id}/tags...` and `/companies/{id}/tags...`.

use super::extract::Path;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::json;

use super::AppState;
use super::data;
use super::error::ApiResult;
use super::extract::{JsonObject, Tenant, record_id};
use crate::domain::tag::parse_names;
use crate::service::tags;
use crate::store::tags::Target;

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

async fn list(s: AppState, t: i64, target: Target, id: &str) -> ApiResult<Response> {
    let all = tags::list(&s.db, t, target, record_id(id)?).await?;
    Ok(data(StatusCode::OK, all))
}

async fn add(
    s: AppState,
    t: i64,
    target: Target,
    id: &str,
    body: serde_json::Map<String, serde_json::Value>,
) -> ApiResult<Response> {
    let all = tags::add(&s.db, t, target, record_id(id)?, parse_names(&body, false)).await?;
    Ok(data(StatusCode::OK, all))
}

async fn replace(
    s: AppState,
    t: i64,
    target: Target,
    id: &str,
    body: serde_json::Map<String, serde_json::Value>,
) -> ApiResult<Response> {
    let all = tags::replace(&s.db, t, target, record_id(id)?, parse_names(&body, true)).await?;
    Ok(axum::Json(json!({"message": "Tags replaced successfully", "tags": all})).into_response())
}

async fn remove(
    s: AppState,
    t: i64,
    target: Target,
    id: &str,
    name: String,
) -> ApiResult<StatusCode> {
    tags::remove(&s.db, t, target, record_id(id)?, name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_contact(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    list(s, t, Target::Contacts, &id).await
}

async fn list_company(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    list(s, t, Target::Companies, &id).await
}

async fn add_contact(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    add(s, t, Target::Contacts, &id, body).await
}

async fn add_company(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    add(s, t, Target::Companies, &id, body).await
}

async fn replace_contact(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    replace(s, t, Target::Contacts, &id, body).await
}

async fn replace_company(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    replace(s, t, Target::Companies, &id, body).await
}

async fn remove_contact(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    remove(s, t, Target::Contacts, &id, name).await
}

async fn remove_company(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    remove(s, t, Target::Companies, &id, name).await
}
