//! Price-level use cases (issue 10): the list and one level (as the hosted API has them), and
//! create, update and delete (a Rolodex extension).

use crate::domain::ValidationErrors;
use crate::domain::input::Draft;
use crate::domain::price_level::{
    self, NAME_TAKEN, PriceLevel, PriceLevelChecks, PriceLevelListField, PriceLevelPatch,
};
use crate::error::{AppError, AppResult};
use crate::query::ListQuery;
use crate::store::{self, Database, StoreError, constraints};

/// A name taken by a racing request surfaces as a unique violation at write time.
fn name_taken_meanwhile(e: StoreError) -> AppError {
    match e {
        StoreError::UniqueViolation {
            constraint: Some(constraints::PRICE_LEVEL_NAME),
        } => AppError::Validation(ValidationErrors::single("name", NAME_TAKEN)),
        other => other.into(),
    }
}

pub async fn list(
    db: &Database,
    tenant_id: i64,
    query: ListQuery<PriceLevelListField>,
) -> AppResult<(Vec<PriceLevel>, u64)> {
    db.read(async move |tx| Ok(store::price_levels::list(tx.conn(), tenant_id, &query).await?))
        .await
}

pub async fn get(db: &Database, tenant_id: i64, id: i64) -> AppResult<PriceLevel> {
    db.read(async move |tx| {
        store::price_levels::get(tx.conn(), tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)
    })
    .await
}

pub async fn create(
    db: &Database,
    tenant_id: i64,
    draft: Draft<PriceLevelPatch>,
) -> AppResult<PriceLevel> {
    let id = db
        .transact(async move |tx| -> AppResult<i64> {
            let name_taken = match &draft.peek().name {
                Some(name) => {
                    store::price_levels::name_taken(tx.conn(), tenant_id, name, None).await?
                }
                None => false,
            };
            let record = price_level::finish(draft.clone(), None, PriceLevelChecks { name_taken })?;
            store::price_levels::insert(tx.conn(), tenant_id, &record)
                .await
                .map_err(name_taken_meanwhile)
        })
        .await?;
    get(db, tenant_id, id).await
}

/// Partial update; `updated_at` moves only when something changed. The companies with the level
/// show the new values (they refer to it, nothing is copied).
pub async fn update(
    db: &Database,
    tenant_id: i64,
    id: i64,
    draft: Draft<PriceLevelPatch>,
) -> AppResult<PriceLevel> {
    db.transact(async move |tx| -> AppResult<()> {
        let current = store::price_levels::load(tx.conn(), tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let name_taken = match &draft.peek().name {
            Some(name) => {
                store::price_levels::name_taken(tx.conn(), tenant_id, name, Some(id)).await?
            }
            None => false,
        };
        let record = price_level::finish(
            draft.clone(),
            Some(&current),
            PriceLevelChecks { name_taken },
        )?;
        if record != current {
            store::price_levels::update(tx.conn(), id, &record)
                .await
                .map_err(name_taken_meanwhile)?;
        }
        Ok(())
    })
    .await?;
    get(db, tenant_id, id).await
}

/// `DELETE /price-levels/{id}`: 409 while a company has the level. The level is locked first, so
/// a company write naming it waits for this transaction (its foreign-key check needs the row).
pub async fn delete(db: &Database, tenant_id: i64, id: i64) -> AppResult<()> {
    db.transact(async move |tx| {
        store::price_levels::load(tx.conn(), tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let users = store::price_levels::companies_using(tx.conn(), tenant_id, id).await?;
        if users > 0 {
            return Err(AppError::Conflict(price_level::delete_conflict(users)));
        }
        store::price_levels::delete(tx.conn(), tenant_id, id)
            .await
            .map_err(|e| match e {
                // A company took the level after the count (the store runs the work again
                // first, and then the count answers; this is the answer if that keeps failing).
                StoreError::ForeignKeyViolation {
                    constraint: Some(constraints::COMPANY_PRICE_LEVEL),
                } => AppError::Conflict(price_level::delete_conflict(1)),
                other => other.into(),
            })?;
        Ok(())
    })
    .await
}
