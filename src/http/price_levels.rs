//! Price levels (issue 10): `GET /price-levels` (paged) and `GET /price-levels/{id}` as the hosted
//! API has them, and create, update and delete as a Rolodex extension. One level is a bare object
//! (no `data` wrapper), as the Luminous page documents for `GET`; create and update answer with
//! the same bare object, so the resource has one shape (docs/compatibility.md).

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
use super::{bare, page};
use crate::domain::price_level::{self, PriceLevelListField};
use crate::query;
use crate::service::price_levels;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/price-levels", get(list).post(create))
        .route(
            "/price-levels/{id}",
            get(read)
                .post(update)
                .put(update)
                .patch(update)
                .delete(delete),
        )
}

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

async fn create(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let level = price_levels::create(&s.db, t, price_level::parse(&body, true)).await?;
    Ok(bare(StatusCode::CREATED, level))
}

async fn read(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let level = price_levels::get(&s.db, t, record_id(&id)?).await?;
    Ok(bare(StatusCode::OK, level))
}

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

async fn delete(
    State(s): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    price_levels::delete(&s.db, t, record_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
