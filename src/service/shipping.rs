//! Shipping-address use cases (§5.5). Every change moves the company's `updated_at`, since the
//! company object shows its addresses.

use crate::domain::RecordKind;
use crate::domain::input::Draft;
use crate::domain::shipping::{ShippingAddress, ShippingListField, ShippingPatch};
use crate::error::{AppError, AppResult};
use crate::query::ListQuery;
use crate::store::{self, Conn, Database};

async fn view(
    c: &mut dyn Conn,
    tenant_id: i64,
    company_id: i64,
    id: i64,
) -> AppResult<ShippingAddress> {
    store::shipping::get(c, tenant_id, company_id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Locks the company (404 if it is not the tenant's).
async fn lock_company(c: &mut dyn Conn, tenant_id: i64, company_id: i64) -> AppResult<()> {
    store::companies::load(c, tenant_id, company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(())
}

pub async fn list(
    db: &Database,
    tenant_id: i64,
    company_id: i64,
    query: ListQuery<ShippingListField>,
) -> AppResult<(Vec<ShippingAddress>, u64)> {
    db.read(async move |tx| {
        if !store::companies::exists(tx.conn(), tenant_id, company_id).await? {
            return Err(AppError::NotFound);
        }
        Ok(store::shipping::list(tx.conn(), tenant_id, company_id, &query).await?)
    })
    .await
}

pub async fn get(
    db: &Database,
    tenant_id: i64,
    company_id: i64,
    id: i64,
) -> AppResult<ShippingAddress> {
    db.read(async move |tx| view(tx.conn(), tenant_id, company_id, id).await)
        .await
}

/// Adds an address; it becomes the default when flagged, or when the company had none.
pub async fn create(
    db: &Database,
    tenant_id: i64,
    company_id: i64,
    draft: Draft<ShippingPatch>,
) -> AppResult<ShippingAddress> {
    let id = db
        .transact(async move |tx| -> AppResult<i64> {
            lock_company(tx.conn(), tenant_id, company_id).await?;
            let patch = draft.clone().finish()?;
            let fields = patch.apply(&Default::default());
            let id = store::shipping::insert(tx.conn(), tenant_id, company_id, &fields).await?;
            if patch.is_default == Some(true) {
                store::shipping::make_default(tx.conn(), company_id, id).await?;
            } else {
                store::shipping::ensure_default(tx.conn(), company_id, None).await?;
            }
            store::records::touch(tx.conn(), RecordKind::Company, company_id).await?;
            Ok(id)
        })
        .await?;
    get(db, tenant_id, company_id, id).await
}

/// Partial update. `is_default: true` makes it the default; `false` on the default hands the
/// default to the oldest other address (an only address stays the default).
pub async fn update(
    db: &Database,
    tenant_id: i64,
    company_id: i64,
    id: i64,
    draft: Draft<ShippingPatch>,
) -> AppResult<ShippingAddress> {
    db.transact(async move |tx| -> AppResult<()> {
        lock_company(tx.conn(), tenant_id, company_id).await?;
        let current = view(tx.conn(), tenant_id, company_id, id).await?;
        let patch = draft.clone().finish()?;
        let before = current.fields();
        let after = patch.apply(&before);
        let mut changed = false;
        if after != before {
            store::shipping::update(tx.conn(), id, &after).await?;
            changed = true;
        }
        match patch.is_default {
            Some(true) if !current.is_default => {
                store::shipping::make_default(tx.conn(), company_id, id).await?;
                changed = true;
            }
            Some(false) if current.is_default => {
                store::shipping::unset_default(tx.conn(), id).await?;
                store::shipping::ensure_default(tx.conn(), company_id, Some(id)).await?;
                changed = true;
            }
            _ => {}
        }
        if changed {
            store::records::touch(tx.conn(), RecordKind::Company, company_id).await?;
        }
        Ok(())
    })
    .await?;
    get(db, tenant_id, company_id, id).await
}

/// Deletes an address; deleting the default makes the oldest remaining address the default.
pub async fn delete(db: &Database, tenant_id: i64, company_id: i64, id: i64) -> AppResult<()> {
    db.transact(async move |tx| {
        lock_company(tx.conn(), tenant_id, company_id).await?;
        view(tx.conn(), tenant_id, company_id, id).await?;
        store::shipping::delete(tx.conn(), id).await?;
        store::shipping::ensure_default(tx.conn(), company_id, None).await?;
        store::records::touch(tx.conn(), RecordKind::Company, company_id).await?;
        Ok(())
    })
    .await
}
