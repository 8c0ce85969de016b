//! §5.6: custom-field definitions.

use super::extract::Path;
use crate::domain::custom_field::parse_definition;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::AppState;
use super::auth::Tenant;
use super::data;
use super::error::ApiResult;
use super::extract::{JsonObject, QueryPairs, record_id};
use crate::service::custom_fields;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/custom-fields", get(list).post(create))
        .route(
            "/custom-fields/{id}",
            get(read)
                .post(update)
                .put(update)
                .patch(update)
                .delete(delete),
        )
}

/// `GET /custom-fields[?object_type=companies]`: a short list, without paging.
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

async fn create(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let def = custom_fields::create(&s.db, t, parse_definition(&body, true)).await?;
    Ok(data(StatusCode::CREATED, def))
}

async fn read(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let def = custom_fields::get(&s.db, t, record_id(&id)?).await?;
    Ok(data(StatusCode::OK, def))
}

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

async fn delete(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    custom_fields::delete(&s.db, t, record_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
