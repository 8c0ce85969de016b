//! Tags on a record (§5.5), for contacts and companies alike. A change moves the record's
//! `updated_at`, since the record object shows its tags.

use serde_json::{Map, Value};

use crate::domain::Tag;
use crate::domain::contact::same_names;
use crate::domain::limits::{MAX_TAGS_PER_RECORD, too_many_tags_on_record};
use crate::domain::tag::parse_names;
use crate::error::{AppError, AppResult};
use crate::store::tags::{self, Target};
use crate::store::{Conn, Database};

async fn require(
    c: &mut dyn Conn,
    target: Target,
    tenant_id: i64,
    id: i64,
    lock: bool,
) -> AppResult<()> {
    if tags::exists(c, target, tenant_id, id, lock).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn list(db: &Database, tenant_id: i64, target: Target, id: i64) -> AppResult<Vec<Tag>> {
    db.read(async move |tx| {
        let c = tx.conn();
        require(c, target, tenant_id, id, false).await?;
        Ok(tags::of(c, target, id).await?)
    })
    .await
}

/// `POST /{type}/{id}/tags`: adds the named tags; answers every tag now on the record.
pub async fn add(
    db: &Database,
    tenant_id: i64,
    target: Target,
    id: i64,
    body: Map<String, Value>,
) -> AppResult<Vec<Tag>> {
    let parsed = parse_names(&body, false);
    db.transact(async move |tx| -> AppResult<()> {
        let c = tx.conn();
        require(c, target, tenant_id, id, true).await?;
        if !parsed.errors.is_empty() {
            return Err(AppError::Validation(parsed.errors.clone()));
        }
        if tags::add(c, tenant_id, target, id, &parsed.value).await? {
            // Over the bound, the error rolls the whole addition back.
            if tags::count(c, target, id).await? > MAX_TAGS_PER_RECORD as u64 {
                return Err(AppError::Validation(too_many_tags_on_record()));
            }
            tags::touch(c, target, id).await?;
        }
        Ok(())
    })
    .await?;
    list(db, tenant_id, target, id).await
}

/// `PUT /{type}/{id}/tags`: the record's tags become exactly these (`[]`/`null`: none).
pub async fn replace(
    db: &Database,
    tenant_id: i64,
    target: Target,
    id: i64,
    body: Map<String, Value>,
) -> AppResult<Vec<Tag>> {
    let parsed = parse_names(&body, true);
    db.transact(async move |tx| -> AppResult<()> {
        let c = tx.conn();
        require(c, target, tenant_id, id, true).await?;
        if !parsed.errors.is_empty() {
            return Err(AppError::Validation(parsed.errors.clone()));
        }
        let stored: Vec<String> = tags::of(c, target, id)
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect();
        if !same_names(&parsed.value, &stored) {
            tags::replace(c, tenant_id, target, id, &parsed.value).await?;
            tags::touch(c, target, id).await?;
        }
        Ok(())
    })
    .await?;
    list(db, tenant_id, target, id).await
}

/// `DELETE /{type}/{id}/tags/{name}`: 404 when the record does not carry the tag.
pub async fn remove(
    db: &Database,
    tenant_id: i64,
    target: Target,
    id: i64,
    name: String,
) -> AppResult<()> {
    db.transact(async move |tx| {
        let c = tx.conn();
        require(c, target, tenant_id, id, true).await?;
        if !tags::remove(c, tenant_id, target, id, name.trim()).await? {
            return Err(AppError::NotFound);
        }
        tags::touch(c, target, id).await?;
        Ok(())
    })
    .await
}
