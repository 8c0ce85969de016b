//! Tags on a record (§5.5), for contacts and companies alike. A change moves the record's
//! `updated_at`, since the record object shows its tags.

use crate::domain::RecordKind;
use crate::domain::Tag;
use crate::domain::contact::same_names;
use crate::domain::input::Draft;
use crate::domain::limits::{MAX_TAGS_PER_RECORD, too_many_tags_on_record};
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
