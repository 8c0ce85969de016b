//! Warehouse use cases (issue 10): list, get, create, update, delete.

use crate::domain::ValidationErrors;
use crate::domain::input::{Draft, Patch};
use crate::domain::limits::MAX_WAREHOUSE_DEPTH;
use crate::domain::warehouse::{
    self, Warehouse, WarehouseChecks, WarehouseListField, WarehousePatch, WarehouseRecord,
};
use crate::error::{AppError, AppResult};
use crate::query::ListQuery;
use crate::store::{self, Conn, Database, StoreError, constraints};

/// What a body refers to that only the store can check: whether its name is taken, and its parent
/// (exists in the tenant, not too deep, not the warehouse itself or one of its descendants).
async fn check(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: Option<i64>,
    patch: &WarehousePatch,
) -> AppResult<WarehouseChecks> {
    let mut checks = WarehouseChecks::default();
    if let Some(name) = &patch.name {
        checks.name_taken = store::warehouses::name_taken(c, tenant_id, name.as_str(), id).await?;
    }
    if let Patch::Set(parent) = patch.parent_id {
        let exists = id != Some(parent) && store::warehouses::exists(c, tenant_id, parent).await?;
        // Bounded: a parent deeper than the limit is refused without walking further.
        let ancestors = if exists {
            store::warehouses::ancestors(c, tenant_id, parent, MAX_WAREHOUSE_DEPTH).await?
        } else {
            Vec::new()
        };
        checks.parent = warehouse::parent_check(id, parent, exists, &ancestors);
    }
    Ok(checks)
}

/// A body that names a parent may close a loop with a concurrent change, or hang a warehouse
/// under one being deleted: such writes take turns ([`store::warehouses::lock_hierarchy`]), and
/// take their turn before locking the warehouse itself, as a delete does, so they cannot deadlock.
async fn take_turn(c: &mut dyn Conn, tenant_id: i64, patch: &WarehousePatch) -> AppResult<()> {
    if let Patch::Set(_) = patch.parent_id {
        store::warehouses::lock_hierarchy(c, tenant_id).await?;
    }
    Ok(())
}

/// A name taken, or a parent deleted, by a racing request after [`check`] looked surfaces as a
/// constraint violation when the row is written: the same 422 the check gives. (The store first
/// runs the work again, and then the check itself answers; this is the answer if that keeps
/// failing.)
fn lost_race(e: StoreError) -> AppError {
    match e {
        StoreError::UniqueViolation {
            constraint: Some(constraints::WAREHOUSE_NAME),
        } => AppError::Validation(ValidationErrors::single("name", warehouse::NAME_TAKEN)),
        StoreError::ForeignKeyViolation {
            constraint: Some(constraints::WAREHOUSE_PARENT),
        } => AppError::Validation(ValidationErrors::single(
            "parent_id",
            warehouse::PARENT_MISSING,
        )),
        other => other.into(),
    }
}

pub async fn list(
    db: &Database,
    tenant_id: i64,
    query: ListQuery<WarehouseListField>,
) -> AppResult<(Vec<Warehouse>, u64)> {
    db.read(async move |tx| Ok(store::warehouses::list(tx.conn(), tenant_id, &query).await?))
        .await
}

pub async fn get(db: &Database, tenant_id: i64, id: i64) -> AppResult<Warehouse> {
    db.read(async move |tx| {
        store::warehouses::get(tx.conn(), tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)
    })
    .await
}

pub async fn create(
    db: &Database,
    tenant_id: i64,
    draft: Draft<WarehousePatch>,
) -> AppResult<Warehouse> {
    let id = db
        .transact(async move |tx| -> AppResult<i64> {
            take_turn(tx.conn(), tenant_id, draft.peek()).await?;
            let checks = check(tx.conn(), tenant_id, None, draft.peek()).await?;
            let new = warehouse::finish(draft.clone(), None, checks)?;
            let id = store::warehouses::insert(tx.conn(), tenant_id, &new)
                .await
                .map_err(lost_race)?;
            Ok(id)
        })
        .await?;
    get(db, tenant_id, id).await
}

/// `POST|PUT|PATCH /warehouses/{id}`: partial; `updated_at` moves only when something changed.
pub async fn update(
    db: &Database,
    tenant_id: i64,
    id: i64,
    draft: Draft<WarehousePatch>,
) -> AppResult<Warehouse> {
    db.transact(async move |tx| -> AppResult<()> {
        take_turn(tx.conn(), tenant_id, draft.peek()).await?;
        let current: WarehouseRecord = store::warehouses::load(tx.conn(), tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let checks = check(tx.conn(), tenant_id, Some(id), draft.peek()).await?;
        let new = warehouse::finish(draft.clone(), Some(&current), checks)?;
        if new != current {
            store::warehouses::update(tx.conn(), id, &new)
                .await
                .map_err(lost_race)?;
        }
        Ok(())
    })
    .await?;
    get(db, tenant_id, id).await
}

/// `DELETE /warehouses/{id}`: 409 for the tenant's only warehouse, or one with children.
pub async fn delete(db: &Database, tenant_id: i64, id: i64) -> AppResult<()> {
    db.transact(async move |tx| {
        // Two concurrent deletes must not remove the last two warehouses between them.
        store::warehouses::lock_hierarchy(tx.conn(), tenant_id).await?;
        store::warehouses::load(tx.conn(), tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let children = store::warehouses::children(tx.conn(), tenant_id, id).await?;
        if children > 0 {
            return Err(AppError::Conflict(warehouse::delete_conflict_children(
                children,
            )));
        }
        if store::warehouses::count(tx.conn(), tenant_id).await? <= 1 {
            return Err(AppError::Conflict(warehouse::DELETE_LAST.to_owned()));
        }
        store::warehouses::delete(tx.conn(), tenant_id, id).await?;
        Ok(())
    })
    .await
}
