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
    db.read(Box::new(move |c| {
        Box::pin(async move {
            require(c, kind, tenant_id, id, false).await?;
            Ok(tags::of(c, kind, id).await?)
        })
    }))
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
    db.write_retrying(Box::new(move |c| {
        let draft = draft.clone();
        Box::pin(async move {
            require(c, kind, tenant_id, id, true).await?;
            let names = draft.finish()?;
            if tags::add(c, tenant_id, kind, id, &names).await? {
                // Over the bound, the error rolls the whole addition back.
                if tags::count(c, kind, id).await? > MAX_TAGS_PER_RECORD as u64 {
                    return Err(AppError::Validation(too_many_tags_on_record()));
                }
                records::touch(c, kind, id).await?;
            }
            Ok(tags::of(c, kind, id).await?)
        })
    }))
    .await
}

/// `PUT /{type}/{id}/tags`: the record's tags become exactly these (`[]`/`null`: none).
pub async fn replace(
    db: &Database,
    tenant_id: i64,
    kind: RecordKind,
    id: i64,
    draft: Draft<Vec<String>>,
) -> AppResult<Vec<Tag>> {
    db.write_retrying(Box::new(move |c| {
        let draft = draft.clone();
        Box::pin(async move {
            require(c, kind, tenant_id, id, true).await?;
            let names = draft.finish()?;
            let stored: Vec<String> = tags::of(c, kind, id)
                .await?
                .into_iter()
                .map(|t| t.name)
                .collect();
            if !same_names(&names, &stored) {
                tags::replace(c, tenant_id, kind, id, &names).await?;
                records::touch(c, kind, id).await?;
            }
            Ok(tags::of(c, kind, id).await?)
        })
    }))
    .await
}

/// `DELETE /{type}/{id}/tags/{name}`: 404 when the record does not carry the tag.
pub async fn remove(
    db: &Database,
    tenant_id: i64,
    kind: RecordKind,
    id: i64,
    name: String,
) -> AppResult<()> {
    db.write_retrying(Box::new(move |c| {
        let name = name.clone();
        Box::pin(async move {
            require(c, kind, tenant_id, id, true).await?;
            if !tags::remove(c, tenant_id, kind, id, name.trim()).await? {
                return Err(AppError::NotFound);
            }
            records::touch(c, kind, id).await?;
            Ok(())
        })
    }))
    .await
}
