//! Price levels (issue 10): `GET /price-levels` (paged) and `GET /price-levels/{id}` as the hosted
//! API has them, and create, update and delete as a Rolodex extension. One level is a bare object
//! (no `data` wrapper), as the Luminous page documents for `GET`; create and update answer with
//! the same bare object, so the resource has one shape (docs/compatibility.md).

use super::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AppState;
use super::auth::Tenant;
use super::error::ApiResult;
use super::extract::{JsonObject, QueryPairs, record_id};
use super::openapi::{ErrorBody, PriceLevelBody, PriceLevelListParams, PriceLevelPage};
use super::{bare, page};
use crate::domain::price_level::{self, PriceLevel, PriceLevelListField};
use crate::query;
use crate::service::price_levels;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, delete))
}

/// List price levels
#[utoipa::path(
    get,
    path = "/price-levels",
    tag = "Price levels",
    operation_id = "listPriceLevels",
    params(PriceLevelListParams),
    responses(
        (status = 200, description = "A page of price levels.", body = PriceLevelPage),
    ),
)]
async fn list(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Response> {
    let q = query::parse::<PriceLevelListField>(&pairs)?;
    let page_spec = q.page;
    let (items, total) = price_levels::list(&s.db, t, q).await?;
    Ok(page(items, page_spec, total))
}

/// Create a price level
///
/// A Rolodex extension. `name` is required and unique (case-insensitively).
#[utoipa::path(
    post,
    path = "/price-levels",
    tag = "Price levels",
    operation_id = "createPriceLevel",
    request_body = PriceLevelBody,
    responses(
        (status = 201, description = "The new level, bare (no `data`).", body = PriceLevel),
    ),
)]
async fn create(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let level = price_levels::create(&s.db, t, price_level::parse(&body, true)).await?;
    Ok(bare(StatusCode::CREATED, level))
}

/// Get a price level
#[utoipa::path(
    get,
    path = "/price-levels/{id}",
    tag = "Price levels",
    operation_id = "getPriceLevel",
    params(("id" = i64, Path, description = "The price level's id.")),
    responses(
        (status = 200, description = "The level, bare (no `data`), as the Luminous reference has it.", body = PriceLevel),
    ),
)]
async fn read(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let level = price_levels::get(&s.db, t, record_id(&id)?).await?;
    Ok(bare(StatusCode::OK, level))
}

/// Update a price level
///
/// A Rolodex extension; only the fields present change.
#[utoipa::path(
    method(post, put, patch),
    path = "/price-levels/{id}",
    tag = "Price levels",
    operation_id = "updatePriceLevel",
    params(("id" = i64, Path, description = "The price level's id.")),
    request_body = PriceLevelBody,
    responses(
        (status = 200, description = "The level, updated, bare (no `data`).", body = PriceLevel),
    ),
)]
async fn update(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let level =
        price_levels::update(&s.db, t, record_id(&id)?, price_level::parse(&body, false)).await?;
    Ok(bare(StatusCode::OK, level))
}

/// Delete a price level
#[utoipa::path(
    delete,
    path = "/price-levels/{id}",
    tag = "Price levels",
    operation_id = "deletePriceLevel",
    params(("id" = i64, Path, description = "The price level's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 409, description = "Companies still use the level.", body = ErrorBody),
    ),
)]
async fn delete(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    price_levels::delete(&s.db, t, record_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
