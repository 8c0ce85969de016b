//! Tags on a record (§5.5), for contacts and companies alike. A change moves the record's
//! `updated_at`, since the record object shows its tags.

use crate::domain::RecordKind;
use crate::domain::Tag;
use crate::domain::contact::same_names;
use crate::domain::input::Draft;
use crate::domain::limits::{MAX_TAGS_PER_RECORD, too_many_tags_on_record};
use crate::domain::tag::{Renamed, TagUsage};
use crate::error::{AppError, AppResult};
use crate::store::{Conn, Database, records, tags};

async fn require(
    c: &mut dyn Conn,
    kind: RecordKind,
    tenant_id: i64,
    id: i64,
    lock: bool,
) -> AppResult<()> {
    if records::exists(c, kind, tenant_id, id, lock).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn list(db: &Database, tenant_id: i64, kind: RecordKind, id: i64) -> AppResult<Vec<Tag>> {
    db.read(async move |tx| {
        require(tx.conn(), kind, tenant_id, id, false).await?;
        Ok(tags::of(tx.conn(), kind, id).await?)
    })
    .await
}

/// `POST /{type}/{id}/tags`: adds the named tags; answers every tag now on the record.
pub async fn add(
    db: &Database,
    tenant_id: i64,
    kind: RecordKind,
    id: i64,
    draft: Draft<Vec<String>>,
) -> AppResult<Vec<Tag>> {
    db.transact(async move |tx| -> AppResult<()> {
        require(tx.conn(), kind, tenant_id, id, true).await?;
        let names = draft.clone().finish()?;
        if tags::add(tx.conn(), tenant_id, kind, id, &names).await? {
            // Over the bound, the error rolls the whole addition back.
            if tags::count(tx.conn(), kind, id).await? > MAX_TAGS_PER_RECORD as u64 {
                return Err(AppError::Validation(too_many_tags_on_record()));
            }
            records::touch(tx.conn(), kind, id).await?;
        }
        Ok(())
    })
    .await?;
    list(db, tenant_id, kind, id).await
}

/// `PUT /{type}/{id}/tags`: the record's tags become exactly these (`[]`/`null`: none).
pub async fn replace(
    db: &Database,
    tenant_id: i64,
    kind: RecordKind,
    id: i64,
    draft: Draft<Vec<String>>,
) -> AppResult<Vec<Tag>> {
    db.transact(async move |tx| -> AppResult<()> {
        require(tx.conn(), kind, tenant_id, id, true).await?;
        let names = draft.clone().finish()?;
        let stored: Vec<String> = tags::of(tx.conn(), kind, id)
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect();
        if !same_names(&names, &stored) {
            tags::replace(tx.conn(), tenant_id, kind, id, &names).await?;
            records::touch(tx.conn(), kind, id).await?;
        }
        Ok(())
    })
    .await?;
    list(db, tenant_id, kind, id).await
}

/// `DELETE /{type}/{id}/tags/{name}`: 404 when the record does not carry the tag.
pub async fn remove(
    db: &Database,
    tenant_id: i64,
    kind: RecordKind,
    id: i64,
    name: String,
) -> AppResult<()> {
    db.transact(async move |tx| {
        require(tx.conn(), kind, tenant_id, id, true).await?;
        if !tags::remove(tx.conn(), tenant_id, kind, id, name.trim()).await? {
            return Err(AppError::NotFound);
        }
        records::touch(tx.conn(), kind, id).await?;
        Ok(())
    })
    .await
}

/// The tenant's tags, `per_page` of them on page `page` (from 1), ordered by name, with how many
/// records carry each; and how many tags the tenant has.
pub async fn usage(
    db: &Database,
    tenant_id: i64,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<TagUsage>, u64)> {
    db.read(async move |tx| {
        let offset = page.saturating_sub(1).saturating_mul(per_page);
        let list = tags::usage(tx.conn(), tenant_id, per_page, offset).await?;
        let total = tags::count_of_tenant(tx.conn(), tenant_id).await?;
        Ok((list, total))
    })
    .await
}

/// The tenant's tag `id` with its usage (404 for an unknown one or another tenant's).
pub async fn usage_of(db: &Database, tenant_id: i64, id: i64) -> AppResult<TagUsage> {
    db.read(async move |tx| {
        tags::usage_of(tx.conn(), tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)
    })
    .await
}

/// Renames the tenant's tag `id`. When another tag of the tenant already has the name
/// (case-insensitively), the two are merged into that one: every record carrying the renamed
/// tag carries the other instead, and the renamed tag is deleted. Every record whose tags change
/// moves its `updated_at`, as when a tag is added or removed one record at a time.
///
/// The work is one transaction over the tag's links (see docs/compatibility.md for its cost).
pub async fn rename(
    db: &Database,
    tenant_id: i64,
    id: i64,
    draft: Draft<String>,
) -> AppResult<Renamed> {
    db.transact(async move |tx| -> AppResult<Renamed> {
        let current = tags::lock(tx.conn(), tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let name = draft.clone().finish()?;
        if name == current.name {
            return Ok(Renamed::Unchanged);
        }
        let other = tags::other_named(tx.conn(), tenant_id, &name, id).await?;
        for kind in RecordKind::ALL {
            records::touch_tagged(tx.conn(), kind, id).await?;
        }
        match other {
            Some(into) => {
                for kind in RecordKind::ALL {
                    tags::move_links(tx.conn(), kind, id, into).await?;
                }
                tags::delete(tx.conn(), id).await?;
                Ok(Renamed::Merged { into })
            }
            None => {
                tags::rename(tx.conn(), id, &name).await?;
                Ok(Renamed::Renamed)
            }
        }
    })
    .await
}

/// Deletes the tenant's tag `id` from every record carrying it (each moves its `updated_at`).
pub async fn delete_tag(db: &Database, tenant_id: i64, id: i64) -> AppResult<()> {
    db.transact(async move |tx| -> AppResult<()> {
        tags::lock(tx.conn(), tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        for kind in RecordKind::ALL {
            records::touch_tagged(tx.conn(), kind, id).await?;
        }
        tags::delete(tx.conn(), id).await?;
        Ok(())
    })
    .await
}
