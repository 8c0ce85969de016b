//! Company use cases (§5.1–§5.4, and the custom-field values and client types of §5.5).

use serde_json::{Map, Value};

use crate::domain::RecordKind;
use crate::domain::ValidationErrors;
use crate::domain::company::CompanyListField;
use crate::domain::company::{
    self, ClientType, ClientTypeRef, Company, CompanyChecks, CompanyPatch, CompanyRecord,
    ParentCheck,
};
use crate::domain::contact::same_names;
use crate::domain::custom_field::CustomValues;
use crate::domain::input::{Draft, Patch};
use crate::domain::limits::MAX_COMPANY_DEPTH;
use crate::domain::price_level::PRICE_LEVEL_MISSING;
use crate::error::{AppError, AppResult};
use crate::query::ListQuery;
use crate::store::{self, Conn, Database, StoreError, constraints};

async fn view(c: &mut dyn Conn, tenant_id: i64, id: i64) -> AppResult<Company> {
    store::companies::get(c, tenant_id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// What a body refers to that only the store can check: the client type (by id, or by name —
/// created when unknown), the parent company (exists, not too deep, no cycle), the price level
/// and the custom-field definitions.
async fn check(
    c: &mut dyn Conn,
    tenant_id: i64,
    company_id: Option<i64>,
    patch: &CompanyPatch,
) -> AppResult<CompanyChecks> {
    let mut checks = CompanyChecks::default();
    checks.client_type_id = match &patch.client_type {
        Patch::Absent => None,
        Patch::Null => Some(None),
        Patch::Set(ClientTypeRef::Id(id)) => {
            if store::companies::client_type_exists(c, tenant_id, *id).await? {
                Some(Some(*id))
            } else {
                checks.unknown_client_type_id = true;
                None
            }
        }
        Patch::Set(ClientTypeRef::Name(name)) => Some(Some(
            store::companies::ensure_client_type(c, tenant_id, name).await?,
        )),
    };
    if let Patch::Set(parent) = patch.parent_company_id {
        checks.parent = if !store::companies::exists(c, tenant_id, parent).await? {
            ParentCheck::Missing
        } else {
            // Bounded: a parent deeper than the limit is refused without walking further.
            let ancestors =
                store::companies::ancestors(c, tenant_id, parent, MAX_COMPANY_DEPTH).await?;
            if ancestors.len() > MAX_COMPANY_DEPTH {
                ParentCheck::TooDeep
            } else if company_id.is_some_and(|id| company::creates_cycle(id, parent, &ancestors)) {
                ParentCheck::Cycle
            } else {
                ParentCheck::Fine
            }
        };
    }
    if let Patch::Set(level) = patch.price_level_id {
        checks.unknown_price_level = !store::price_levels::exists(c, tenant_id, level).await?;
    }
    if patch.custom_fields.is_some() {
        checks.definitions = store::custom_fields::definitions(c, tenant_id).await?;
    }
    Ok(checks)
}

/// A parent company or price level deleted by a racing request after [`check`] saw it surfaces as
/// a violation of its foreign key when the row is written: the same 422 the check gives. (The
/// store first runs the work again, and then the check itself answers; this is the answer if that
/// keeps failing.)
fn parent_gone(e: StoreError) -> AppError {
    match e {
        StoreError::ForeignKeyViolation {
            constraint: Some(constraints::COMPANY_PARENT),
        } => AppError::Validation(ValidationErrors::single(
            "parent_company_id",
            company::PARENT_MISSING,
        )),
        StoreError::ForeignKeyViolation {
            constraint: Some(constraints::COMPANY_PRICE_LEVEL),
        } => AppError::Validation(ValidationErrors::single(
            "price_level_id",
            PRICE_LEVEL_MISSING,
        )),
        other => other.into(),
    }
}

pub async fn create(
    db: &Database,
    tenant_id: i64,
    draft: Draft<CompanyPatch>,
) -> AppResult<Company> {
    let id = db
        .transact(async move |tx| insert(tx.conn(), tenant_id, draft.clone()).await)
        .await?;
    get(db, tenant_id, id).await
}

/// The work of `POST /companies` inside a write transaction (also what seeding runs, many per
/// transaction): checks, rules, then the rows. Returns the new id.
pub(super) async fn insert(
    c: &mut dyn Conn,
    tenant_id: i64,
    draft: Draft<CompanyPatch>,
) -> AppResult<i64> {
    let checks = check(c, tenant_id, None, draft.peek()).await?;
    let new = company::finish(draft, &CompanyRecord::default(), &checks)?;
    let id = store::companies::insert(c, tenant_id, &new.record)
        .await
        .map_err(parent_gone)?;
    if let Some(names) = new.tags.as_ref().filter(|n| !n.is_empty()) {
        store::tags::replace(c, tenant_id, RecordKind::Company, id, names).await?;
    }
    if let Some(values) = &new.custom_values {
        store::custom_fields::set_values(c, id, values).await?;
    }
    if let Some(list) = new
        .shipping_addresses
        .as_ref()
        .filter(|l| !l.addresses.is_empty())
    {
        store::shipping::replace_all(c, tenant_id, id, list).await?;
    }
    Ok(id)
}

pub async fn get(db: &Database, tenant_id: i64, id: i64) -> AppResult<Company> {
    db.read(async move |tx| view(tx.conn(), tenant_id, id).await)
        .await
}

/// `POST|PATCH|PUT /companies/{id}`: partial; `updated_at` moves only when something changed.
pub async fn update(
    db: &Database,
    tenant_id: i64,
    id: i64,
    draft: Draft<CompanyPatch>,
) -> AppResult<Company> {
    db.transact(async move |tx| -> AppResult<()> {
        let current = store::companies::load(tx.conn(), tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let checks = check(tx.conn(), tenant_id, Some(id), draft.peek()).await?;
        let change = company::finish(draft.clone(), &current, &checks)?;
        let row_changed = change.record != current;
        if row_changed {
            store::companies::update_row(tx.conn(), id, &change.record)
                .await
                .map_err(parent_gone)?;
        }
        let mut changed = false;
        if let Some(names) = &change.tags {
            let stored: Vec<String> = store::tags::of(tx.conn(), RecordKind::Company, id)
                .await?
                .into_iter()
                .map(|t| t.name)
                .collect();
            if !same_names(names, &stored) {
                store::tags::replace(tx.conn(), tenant_id, RecordKind::Company, id, names).await?;
                changed = true;
            }
        }
        if let Some(values) = &change.custom_values {
            changed |= store::custom_fields::set_values(tx.conn(), id, values).await?;
        }
        if let Some(list) = &change.shipping_addresses {
            let stored = store::shipping::of_companies(tx.conn(), &[id])
                .await?
                .remove(&id)
                .unwrap_or_default();
            let same = stored.len() == list.addresses.len()
                && stored
                    .iter()
                    .zip(&list.addresses)
                    .all(|(a, f)| a.fields() == *f)
                && stored.iter().position(|a| a.is_default) == Some(list.default_index);
            let both_empty = stored.is_empty() && list.addresses.is_empty();
            if !same && !both_empty {
                store::shipping::replace_all(tx.conn(), tenant_id, id, list).await?;
                changed = true;
            }
        }
        if changed && !row_changed {
            store::records::touch(tx.conn(), RecordKind::Company, id).await?;
        }
        Ok(())
    })
    .await?;
    get(db, tenant_id, id).await
}

/// `DELETE /companies/{id}`: 409 while some contact has no other company.
pub async fn delete(db: &Database, tenant_id: i64, id: i64) -> AppResult<()> {
    db.transact(async move |tx| {
        store::companies::lock_linked_contacts(tx.conn(), tenant_id, id).await?;
        store::companies::load(tx.conn(), tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let stranded = store::companies::sole_company_contacts(tx.conn(), tenant_id, id).await?;
        if stranded > 0 {
            return Err(AppError::Conflict(company::delete_conflict(stranded)));
        }
        store::companies::delete(tx.conn(), tenant_id, id).await?;
        Ok(())
    })
    .await
}

pub async fn list(
    db: &Database,
    tenant_id: i64,
    query: ListQuery<CompanyListField>,
) -> AppResult<(Vec<Company>, u64)> {
    db.read(async move |tx| Ok(store::companies::list(tx.conn(), tenant_id, &query).await?))
        .await
}

pub async fn client_types(db: &Database, tenant_id: i64) -> AppResult<Vec<ClientType>> {
    db.read(async move |tx| Ok(store::companies::client_types(tx.conn(), tenant_id).await?))
        .await
}

async fn custom_values_of(c: &mut dyn Conn, id: i64) -> AppResult<Map<String, Value>> {
    Ok(store::custom_fields::values_of(c, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default())
}

/// `GET /companies/{id}/custom-fields`.
pub async fn custom_values(
    db: &Database,
    tenant_id: i64,
    id: i64,
) -> AppResult<Map<String, Value>> {
    db.read(async move |tx| {
        if !store::companies::exists(tx.conn(), tenant_id, id).await? {
            return Err(AppError::NotFound);
        }
        custom_values_of(tx.conn(), id).await
    })
    .await
}

/// `PUT /companies/{id}/custom-fields`: a flat `{label: value}` body; errors keyed by the label.
pub async fn set_custom_values(
    db: &Database,
    tenant_id: i64,
    id: i64,
    values: CustomValues,
) -> AppResult<Map<String, Value>> {
    db.transact(async move |tx| -> AppResult<()> {
        store::companies::load(tx.conn(), tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let definitions = store::custom_fields::definitions(tx.conn(), tenant_id).await?;
        let mut errors = ValidationErrors::new();
        let values = values.resolve(&definitions, "", &mut errors);
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        if store::custom_fields::set_values(tx.conn(), id, &values).await? {
            store::records::touch(tx.conn(), RecordKind::Company, id).await?;
        }
        Ok(())
    })
    .await?;
    custom_values(db, tenant_id, id).await
}
